/**
 * Replay of the embedded server's journal at start: the whole journal is parsed at once, and a corrupt line is
 * still named by its number (the fast path falls back to line-by-line parsing to find it).
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { StoreError } from "../../core/errors.ts";
import { FolderStore } from "../../plugins/ucondb/storage.ts";
import { tempDir } from "../_helpers/peers.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

async function writeThree(dir: string): Promise<void> {
  const folder = await FolderStore.open(dir, "public.runs", { durable: false });
  for (const run of [1, 2, 3]) {
    await folder.put("configuration", bytes(`blob ${run}`), { key: String(run), override: false, tags: [], tv: 0 });
  }
  await folder.tag(2, "two");
  await folder.close();
}

Deno.test("journal replay: versions, keys and tags come back", async () => {
  await using dir = await tempDir();
  await writeThree(dir.path);
  const folder = await FolderStore.open(dir.path, "public.runs", { durable: false });
  assert.deepEqual(folder.versions().map((v) => v.key).sort(), ["1", "2", "3"]);
  assert.deepEqual(folder.byKey("configuration", "2")?.tags, ["two"]);
  assert.equal(
    new TextDecoder().decode((await folder.readBlob(folder.byKey("configuration", "3")!.dataKey))!),
    "blob 3",
  );
  await folder.close();
});

for (
  const [what, bad] of [
    ["not JSON", "{not json"],
    ["two values on one line", '{"op":"drop"},{"op":"drop"}'],
  ]
) {
  Deno.test(`journal replay: a corrupt line (${what}) is named by its number`, async () => {
    await using dir = await tempDir();
    await writeThree(dir.path);
    const path = join(dir.path, "journal.jsonl");
    const lines = (await Deno.readTextFile(path)).split("\n");
    lines.splice(1, 0, bad);
    await Deno.writeTextFile(path, lines.join("\n"));
    await assert.rejects(
      FolderStore.open(dir.path, "public.runs", { durable: false }),
      (error: unknown) => error instanceof StoreError && error.message.includes(`${path}:2: corrupt journal line`),
    );
  });
}

Deno.test("de-duplication: equal bytes share a data key, different bytes with the same adler32 and size do not", async () => {
  await using dir = await tempDir();
  // [1,0,0,1] and [0,1,1,0] have the same sum and the same weighted sum: the same adler32, the same size.
  const one = new Uint8Array([1, 0, 0, 1]);
  const other = new Uint8Array([0, 1, 1, 0]);
  for (const reopened of [false, true]) {
    const folder = await FolderStore.open(dir.path, "public.runs", { durable: false });
    const suffix = reopened ? "-again" : "";
    const a = await folder.put("configuration", one, { key: `a${suffix}`, override: false, tags: [], tv: 0 });
    const b = await folder.put("configuration", other, { key: `b${suffix}`, override: false, tags: [], tv: 0 });
    assert.equal(a.adler32, b.adler32);
    assert.notEqual(a.dataKey, b.dataKey, "same checksum and size, other bytes: a blob of its own");
    const c = await folder.put("configuration", one.slice(), { key: `c${suffix}`, override: false, tags: [], tv: 0 });
    assert.equal(c.dataKey, a.dataKey, "equal bytes: the same data key");
    assert.deepEqual(await folder.readBlob(b.dataKey), other);
    if (reopened) assert.equal(a.dataKey, folder.byKey("configuration", "a")!.dataKey, "after a replay too");
    await folder.close();
  }
});

Deno.test("received bodies: summed as they arrive; a refused put and a crash's leftovers leave no file behind", async () => {
  await using dir = await tempDir();
  const blobFiles = () => [...Deno.readDirSync(join(dir.path, "blobs"))].filter((e) => e.isFile).map((e) => e.name);
  const folder = await FolderStore.open(dir.path, "public.runs", { durable: true });
  const chunks = ["Wiki", "pedia"].map(bytes);
  const received = await folder.receive((async function* () {
    yield* chunks;
  })());
  assert.deepEqual([received.size, received.adler32], [9, 300286872], "size and adler32 of the whole body");
  assert.ok(chunks.every((chunk) => chunk.length === 0), "each chunk is freed once written, not at a collection");
  const version = await folder.putReceived("configuration", received, { key: "1", override: false, tags: [], tv: 0 });
  assert.equal(new TextDecoder().decode((await folder.readBlob(version.dataKey))!), "Wikipedia");
  const again = await folder.receive(["Wi", "kipedia"].map(bytes));
  const same = await folder.putReceived("configuration", again, { key: "2", override: false, tags: [], tv: 0 });
  assert.equal(same.dataKey, version.dataKey, "identical bytes received in other chunks share the data key");
  const other = await folder.receive(["Wikipedib"].map(bytes));
  const differs = await folder.putReceived("configuration", other, { key: "3", override: false, tags: [], tv: 0 });
  assert.notEqual(differs.dataKey, version.dataKey);
  assert.equal(new TextDecoder().decode((await folder.readBlob(differs.dataKey))!), "Wikipedib");
  await assert.rejects(
    folder.put("configuration", bytes("other"), { key: "1", override: false, tags: [], tv: 0 }),
    /with key 1 already exists/,
  );
  assert.deepEqual(blobFiles(), [], "the refused body's file is removed");
  const failing = (async function* () {
    yield bytes("half");
    throw new Error("connection reset");
  })();
  await assert.rejects(folder.receive(failing), /connection reset/);
  assert.deepEqual(blobFiles(), [], "a body that fails midway leaves no file");
  await folder.close();

  // A server killed while receiving leaves its file: removed when the folder is next opened.
  await Deno.writeTextFile(join(dir.path, "blobs", "received-1b4e28ba-2fa1-11d2-883f-0016d3cca427"), "torn");
  const reopened = await FolderStore.open(dir.path, "public.runs", { durable: true });
  assert.deepEqual(blobFiles(), []);
  assert.equal(reopened.byKey("configuration", "1")?.size, 9);
  await reopened.close();
});
