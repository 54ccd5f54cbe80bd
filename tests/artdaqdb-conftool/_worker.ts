/**
 * A second process for the filesystem locking tests.
 *
 * - `deno run -A _worker.ts store <db dir> <run>...`: archives the runs (concurrently) through the plugin.
 * - `deno run -A _worker.ts hold <lock file> <ms>`: takes the index lock, prints `locked`, holds it for ms.
 *
 * @module
 */

import { artdaqdbConftool } from "../../plugins/artdaqdb-conftool/mod.ts";
import { withFileLock } from "../../plugins/artdaqdb-conftool/fs/lock.ts";
import { preparedRun } from "./_fixtures.ts";

const [mode, target, ...rest] = Deno.args;
if (mode === "store") {
  const store = artdaqdbConftool({ database_uri: `filesystemdb://${target}` }, { durable: false });
  await Promise.all(rest.map((run) => store.putRun(preparedRun(Number(run)), "initial")));
  await store.close();
} else if (mode === "hold") {
  await withFileLock(target, 5_000, async () => {
    console.log("locked");
    await new Promise((resolve) => setTimeout(resolve, Number(rest[0])));
  });
} else {
  console.error(`usage: _worker.ts store <db> <run>... | hold <lock file> <ms>`);
  Deno.exit(2);
}
