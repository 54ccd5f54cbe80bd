/**
 * Group commit of the filesystem provider (`Store.deferCommits` / `commit`): with it on, documents are written as
 * before but `index.json` is written once per commit, not once per collection per put; the run is visible to the
 * same store at once and to a fresh reader (another process, after a crash) only after the commit.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "../_helpers/peers.ts";
import { openFilesystemStore, preparedRun } from "./_fixtures.ts";

Deno.test("group commit: runs are visible at once, on disk only after commit(), identical to write-through", async () => {
  await using deferred = await tempDir();
  await using direct = await tempDir();
  const store = openFilesystemStore(deferred.path);
  await store.deferCommits(true);
  await store.putRun(preparedRun(100), "initial");
  await store.putRun(preparedRun(100), "update");
  await store.putRun(preparedRun(101), "initial");
  assert.deepEqual(await store.listRuns(), [100, 101]);
  assert.equal(await store.hasUpdate(100), true);
  const exported = await store.exportRun(100);

  const reader = openFilesystemStore(deferred.path);
  assert.deepEqual(await reader.listRuns(), [], "index.json must not be written before the commit");

  await store.commit();
  assert.deepEqual(await openFilesystemStore(deferred.path).listRuns(), [100, 101]);

  // The same puts written through give the same index files and the same export.
  const plain = openFilesystemStore(direct.path);
  await plain.putRun(preparedRun(100), "initial");
  await plain.putRun(preparedRun(100), "update");
  await plain.putRun(preparedRun(101), "initial");
  for (const collection of ["RunHistory", "SystemLayout"]) {
    assert.equal(
      await Deno.readTextFile(join(deferred.path, collection, "index.json")),
      await Deno.readTextFile(join(direct.path, collection, "index.json")),
      `${collection}/index.json`,
    );
  }
  assert.deepEqual((await plain.exportRun(100)).files, exported.files);
  await store.close();
  await plain.close();
});

Deno.test("group commit: turning it off commits, and later puts are written through", async () => {
  await using dir = await tempDir();
  const store = openFilesystemStore(dir.path);
  await store.deferCommits(true);
  await store.putRun(preparedRun(200), "initial");
  await store.deferCommits(false);
  assert.deepEqual(await openFilesystemStore(dir.path).listRuns(), [200]);
  await store.putRun(preparedRun(201), "initial");
  assert.deepEqual(await openFilesystemStore(dir.path).listRuns(), [200, 201]);
  await store.close();
});

Deno.test("group commit: a change written by another process meanwhile is kept, ours re-applied on top", async () => {
  await using dir = await tempDir();
  const ours = openFilesystemStore(dir.path);
  const other = openFilesystemStore(dir.path);
  await ours.deferCommits(true);
  await ours.putRun(preparedRun(300), "initial");
  await other.putRun(preparedRun(301), "initial"); // write-through, rewrites index.json under the lock
  assert.deepEqual(await ours.listRuns(), [300, 301]);
  await ours.commit();
  assert.deepEqual(await openFilesystemStore(dir.path).listRuns(), [300, 301]);
  await ours.close();
  await other.close();
});

Deno.test("group commit: close() commits what is pending", async () => {
  await using dir = await tempDir();
  const store = openFilesystemStore(dir.path);
  await store.deferCommits(true);
  await store.putRun(preparedRun(400), "initial");
  await store.close();
  assert.deepEqual(await openFilesystemStore(dir.path).listRuns(), [400]);
});

Deno.test("group commit: new documents are flushed by the commit before any index lists them; a document that cannot be flushed stops every later commit", async () => {
  await using dir = await tempDir();
  const store = openFilesystemStore(dir.path);
  await store.deferCommits(true);
  await store.putRun(preparedRun(500), "initial");
  // A written document whose flush fails (here: gone before the commit flushes it).
  const documents = [...Deno.readDirSync(join(dir.path, "RunHistory"))].filter((entry) => entry.name.endsWith(".json"));
  assert.ok(documents.length > 0);
  await Deno.remove(join(dir.path, "RunHistory", documents[0].name));
  await assert.rejects(store.commit(), (error: Error) => error.name === "StoreError" && /fsync/.test(error.message));
  assert.deepEqual(await openFilesystemStore(dir.path).listRuns(), [], "nothing may be listed after a failed flush");
  await store.putRun(preparedRun(501), "initial");
  await assert.rejects(store.commit(), /fsync/, "a later commit must not list anything either");
  assert.equal(await Deno.stat(join(dir.path, "SystemLayout", "index.json")).catch(() => null), null);
  await assert.rejects(store.close(), /fsync/);
});

Deno.test("group commit: a new document goes straight to its name; one a crash left torn is replaced by the retry", async () => {
  await using clean = await tempDir();
  await using crashed = await tempDir();
  const entries = (root: string) => [...Deno.readDirSync(join(root, "RunHistory"))].map((entry) => entry.name).sort();
  const documents = (root: string) => entries(root).filter((name) => /^[0-9a-f]{24}\.json$/.test(name));

  const first = openFilesystemStore(clean.path);
  await first.deferCommits(true);
  await first.putRun(preparedRun(600), "initial");
  await first.commit();
  const names = documents(clean.path);
  assert.ok(names.length > 0);
  assert.deepEqual(entries(clean.path).filter((name) => name.endsWith(".tmp")), [], "no temporary file is left");

  // The same run's documents (ids follow their identity) half-written by an archiver killed before its commit.
  Deno.mkdirSync(join(crashed.path, "RunHistory"), { recursive: true });
  for (const name of names) Deno.writeTextFileSync(join(crashed.path, "RunHistory", name), '{\n"document" : {');
  const retry = openFilesystemStore(crashed.path);
  await retry.deferCommits(true);
  await retry.putRun(preparedRun(600), "initial");
  await retry.commit();
  assert.deepEqual(documents(crashed.path), names);
  for (const name of names) {
    assert.deepEqual(
      Deno.readFileSync(join(crashed.path, "RunHistory", name)),
      Deno.readFileSync(join(clean.path, "RunHistory", name)),
      `${name} must be rewritten whole`,
    );
  }
  assert.deepEqual(await openFilesystemStore(crashed.path).listRuns(), [600]);
  await first.close();
  await retry.close();
});

Deno.test("group commit: flushing hundreds of written documents at once stays within a small open-file limit", async () => {
  // All at once, the commit's fsyncs opened every document written since the last commit together: 12,000 small
  // runs in one invocation failed with "Too many open files". A child with `ulimit -n 256` writes 60 runs (hundreds
  // of documents) before one commit.
  await using dir = await tempDir();
  const fixtures = new URL("./_fixtures.ts", import.meta.url).href;
  const code = `
    import { openFilesystemStore, preparedRun } from ${JSON.stringify(fixtures)};
    const store = openFilesystemStore(${JSON.stringify(dir.path)});
    await store.deferCommits(true);
    for (let run = 1; run <= 60; run++) await store.putRun(preparedRun(run), "initial");
    await store.commit();
    console.log((await store.listRuns()).length);
    await store.close();
  `;
  const out = await new Deno.Command("sh", {
    args: ["-c", 'ulimit -n 256 && exec "$0" eval "$1"', Deno.execPath(), code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  assert.equal(new TextDecoder().decode(out.stdout).trim(), "60");
  assert.deepEqual((await openFilesystemStore(dir.path).listRuns()).length, 60);
});
