/**
 * The stop-time update reads only what it decides on: the update versions and the initial version's
 * `SystemLayout` marker — never the initial version's per-process documents (most of a run's bytes). Checked on
 * the filesystem provider from the same store and from a fresh one (the lazily parsed index view).
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { CollectionIndex } from "../../plugins/artdaqdb-conftool/fs/index_file.ts";
import { tempDir } from "../_helpers/peers.ts";
import { openFilesystemStore, preparedRun } from "./_fixtures.ts";

function openStore(path: string) {
  return openFilesystemStore(path, { durable: false });
}

/** Overwrites every RunHistory document of the initial version with text that is not JSON. */
async function spoilInitialRunHistory(path: string, configuration: string): Promise<number> {
  const directory = join(path, "RunHistory");
  const index = CollectionIndex.parse(await Deno.readTextFile(join(directory, "index.json")));
  const ids = index.versionIds(configuration);
  for (const id of ids) await Deno.writeTextFile(join(directory, `${id}.json`), "not json");
  return ids.length;
}

for (const fresh of [false, true]) {
  Deno.test(`update reads no initial per-process document (${fresh ? "fresh store" : "same store"})`, async () => {
    await using dir = await tempDir();
    const store = openStore(dir.path);
    await store.putRun(preparedRun(500), "initial");
    assert.ok(await spoilInitialRunHistory(dir.path, "500/standard00042") > 0);
    const updater = fresh ? openStore(dir.path) : store;
    await updater.putRun(preparedRun(500), "update");
    assert.equal(await updater.hasUpdate(500), true);
    // Idempotent: the same update again finds itself stored.
    await updater.putRun(preparedRun(500), "update");
    const index = CollectionIndex.parse(await Deno.readTextFile(join(dir.path, "SystemLayout", "index.json")));
    assert.deepEqual([...index.map("version").keys()].sort(), ["500/standard00042", "500/standard00042v1"]);
    await store.close();
    if (fresh) await updater.close();
  });
}
