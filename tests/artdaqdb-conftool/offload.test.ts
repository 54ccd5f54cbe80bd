/**
 * The conftool store with conversion threads (plugins/artdaqdb-conftool/offload.ts): a large real run stored and
 * exported through the pool is byte for byte what the same store writes and exports on one thread (documents,
 * indexes, exported files, export time); a syntax error found on a thread is the same one-line message and changes
 * nothing; small runs stay on the calling thread.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { RunInputError, StoreError } from "../../core/errors.ts";
import { OffloadPool } from "../../core/offload/mod.ts";
import { realFixturesDir } from "../../core/paths.ts";
import type { PreparedRun } from "../../core/roles.ts";
import { splitBySize } from "../../plugins/artdaqdb-conftool/offload.ts";
import { openFilesystemStore, preparedRun } from "./_fixtures.ts";

const RUN_DIR = join(realFixturesDir(), "run_records/1001506");

/**
 * ProtoDUNE run 1001506's 105 real `.fcl` files (11.7 MB) as a prepared run of the SBN schema; with `asBytes`, each
 * held as its bytes, as the run-record source prepares a run directory's files.
 */
function largeRun(run: number, asBytes = false): PreparedRun {
  const names = [...Deno.readDirSync(RUN_DIR)].filter((e) => e.isFile && e.name.endsWith(".fcl")).map((e) => e.name);
  names.sort();
  return preparedRun(run, {
    documents: names.map((name) => {
      const path = join(RUN_DIR, name);
      if (!asBytes) return { name, text: Deno.readTextFileSync(path), path };
      const bytes = Deno.readFileSync(path);
      return { name, bytes, path, text: "not read: a store hands the bytes on" };
    }),
  });
}

/** The document files (`<oid>.json`) below `dir`, and any temporary file left there. */
function documentFilesBelow(dir: string): string[] {
  return [...filesBelow(dir).keys()].filter((path) => !path.endsWith("/index.json"));
}

/** Every file below `dir` (relative path → bytes), except `SystemMetadata` (its record has a random id). */
function filesBelow(dir: string, prefix = ""): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const entry of Deno.readDirSync(join(dir, prefix))) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.name === "SystemMetadata") continue;
    if (entry.isDirectory) { for (const [p, data] of filesBelow(dir, path)) files.set(p, data); }
    else if (entry.isFile && entry.name !== "index.lock") files.set(path, Deno.readFileSync(join(dir, path)));
  }
  return files;
}

Deno.test("conftool offload: a 12 MB run stored and exported on threads equals the one-thread result", async () => {
  const root = await Deno.makeTempDir({ prefix: "conftool-offload-" });
  const run = largeRun(1001506);
  const one = openFilesystemStore(join(root, "one"), { durable: false });
  const pool = new OffloadPool(2);
  const threads = openFilesystemStore(join(root, "threads"), { durable: false, offload: { pool, minBytes: 0 } });
  try {
    for (const store of [one, threads]) {
      await store.putRun(run, "initial");
      await store.putRun(run, "update");
    }
    const a = filesBelow(join(root, "one"));
    const b = filesBelow(join(root, "threads"));
    assert.ok(a.size > 100, `${a.size} files`);
    assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
    for (const [path, data] of a) assert.deepEqual(b.get(path), data, path);

    const [exportOne, exportThreads] = [await one.exportRun(1001506), await threads.exportRun(1001506)];
    assert.equal(exportThreads.storedAt, exportOne.storedAt);
    assert.equal(exportThreads.configuration, exportOne.configuration);
    assert.deepEqual(exportThreads.files.map((f) => f.path), exportOne.files.map((f) => f.path));
    exportOne.files.forEach((file, i) => assert.deepEqual(exportThreads.files[i].data, file.data, file.path));
    assert.ok(exportOne.files.some((f) => f.path === "RunHistory2.fcl"), "the update document wins its entity");
  } finally {
    await one.close();
    await threads.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("conftool offload: under group commit, documents written on the threads equal one thread's; a crash's leftover is replaced", async () => {
  const root = await Deno.makeTempDir({ prefix: "conftool-offload-" });
  const one = openFilesystemStore(join(root, "one"), { durable: false });
  const pool = new OffloadPool(2);
  const threads = openFilesystemStore(join(root, "threads"), { durable: true, offload: { pool, minBytes: 0 } });
  try {
    await one.putRun(largeRun(1001506), "initial");
    await one.putRun(largeRun(1001506), "update");
    const expected = filesBelow(join(root, "one"));
    // A document a crash left half-written and unlisted under the id the put derives: replaced, not kept.
    const leftover = [...expected.keys()].find((path) =>
      path.startsWith("RunHistory/") && !path.endsWith("index.json")
    );
    assert.ok(leftover);
    Deno.mkdirSync(join(root, "threads", "RunHistory"), { recursive: true });
    Deno.writeTextFileSync(join(root, "threads", leftover), '{\n"document" : {');

    await threads.deferCommits(true);
    const run = largeRun(1001506, true);
    await threads.putRun(run, "initial");
    await threads.putRun(largeRun(1001506, true), "update");
    await threads.deferCommits(false);
    const held = run.documents.filter((document) => document.bytes !== undefined);
    assert.equal(held.length, 105);
    assert.ok(held.every((document) => document.bytes!.length === 0), "the bytes moved to the threads");

    const stored = filesBelow(join(root, "threads"));
    assert.ok(expected.size > 100, `${expected.size} files`);
    assert.deepEqual([...stored.keys()].sort(), [...expected.keys()].sort());
    for (const [path, data] of expected) assert.deepEqual(stored.get(path), data, path);
    assert.deepEqual(await threads.listRuns(), await one.listRuns());
  } finally {
    await one.close();
    await threads.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("conftool offload: a syntax error under group commit removes the documents the threads wrote", async () => {
  const root = await Deno.makeTempDir({ prefix: "conftool-offload-" });
  const pool = new OffloadPool(2);
  const store = openFilesystemStore(root, { durable: true, offload: { pool, minBytes: 0 } });
  try {
    const bad = largeRun(9, true);
    bad.documents.push({
      name: "EventBuilder1.fcl",
      text: "a: 1\nb: [1,\n",
      path: "/daq/run_records/9/EventBuilder1.fcl",
    });
    await store.deferCommits(true);
    await assert.rejects(store.putRun(bad, "initial"), RunInputError);
    await store.deferCommits(false);
    assert.deepEqual(await store.listRuns(), []);
    assert.deepEqual(documentFilesBelow(root), [], "no document file is left behind");
  } finally {
    await store.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("conftool offload: a syntax error found on a thread names run and file, and nothing is written", async () => {
  const root = await Deno.makeTempDir({ prefix: "conftool-offload-" });
  const bad = largeRun(7);
  const path = "/daq/run_records/7/EventBuilder1.fcl";
  bad.documents.push({ name: "EventBuilder1.fcl", text: "a: 1\nb: [1,\n", path });
  const pool = new OffloadPool(2);
  const threads = openFilesystemStore(join(root, "threads"), { durable: false, offload: { pool, minBytes: 0 } });
  const one = openFilesystemStore(join(root, "one"), { durable: false });
  try {
    const messages: string[] = [];
    for (const store of [threads, one]) {
      await assert.rejects(store.putRun(bad, "initial"), (error) => {
        assert.ok(error instanceof RunInputError);
        assert.equal(error.run, 7);
        messages.push(error.message);
        return true;
      });
      assert.deepEqual(await store.listRuns(), []);
    }
    assert.match(
      messages[0],
      /^run 7: \/daq\/run_records\/7\/EventBuilder1\.fcl is not valid FHiCL \(EventBuilder1\.fcl:2:4: missing ']' .*\); fix or remove the file in the run directory$/,
    );
    assert.equal(messages[1], messages[0], "the same message as on one thread");
  } finally {
    await threads.close();
    await one.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("conftool offload: a document file missing at export is the provider's one-line error, on a thread too", async () => {
  const root = await Deno.makeTempDir({ prefix: "conftool-offload-" });
  const pool = new OffloadPool(2);
  const threads = openFilesystemStore(root, { durable: false, offload: { pool, minBytes: 0 } });
  const one = openFilesystemStore(root, { durable: false });
  try {
    await threads.putRun(largeRun(8), "initial");
    const files = [...Deno.readDirSync(join(root, "RunHistory"))].filter((e) => /^[0-9a-f]{24}\.json$/.test(e.name));
    await Deno.remove(join(root, "RunHistory", files[files.length >> 1].name));
    const messages: string[] = [];
    for (const store of [threads, one]) {
      await assert.rejects(store.exportRun(8), (error) => {
        assert.ok(error instanceof StoreError, String(error));
        messages.push(error.message);
        return true;
      });
    }
    assert.match(messages[0], /^RunHistory\/index\.json lists document [0-9a-f]{24} but .*\.json is missing; rebuild/);
    assert.equal(messages[1], messages[0], "the same message as on one thread");
  } finally {
    await threads.close();
    await one.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("conftool offload: runs below minBytes are converted on the calling thread", async () => {
  const root = await Deno.makeTempDir({ prefix: "conftool-offload-" });
  let calls = 0;
  const pool = new OffloadPool(1);
  const original = pool.call.bind(pool);
  pool.call = ((...args: Parameters<typeof pool.call>) => {
    calls++;
    return original(...args);
  }) as typeof pool.call;
  const store = openFilesystemStore(root, { durable: false, offload: { pool, minBytes: 1 << 20 } });
  try {
    await store.putRun(preparedRun(5), "initial");
    await store.exportRun(5);
    assert.equal(calls, 0);
    await store.putRun(largeRun(6), "initial");
    await store.exportRun(6);
    assert.ok(calls >= 2, `${calls} calls`);
  } finally {
    await store.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("conftool offload: splitBySize cuts consecutive stretches of about equal size", () => {
  const size = (n: number) => n;
  assert.deepEqual(splitBySize([5, 1, 1, 1, 2], 2, size), [[5], [1, 1, 1, 2]]);
  assert.deepEqual(splitBySize([1, 1, 1, 1], 2, size), [[1, 1], [1, 1]]);
  assert.deepEqual(splitBySize([1, 1, 1, 1], 1, size), [[1, 1, 1, 1]]);
  assert.deepEqual(splitBySize([9], 4, size), [[9]]);
  assert.deepEqual(splitBySize([], 3, size), []);
  const items = Array.from({ length: 100 }, (_, i) => (i * 37) % 11 + 1);
  const parts = splitBySize(items, 3, size);
  assert.equal(parts.length, 3);
  assert.deepEqual(parts.flat(), items, "order kept, nothing lost");
});
