/**
 * Reuse of converted payloads (plugins/artdaqdb-conftool/payloads.ts): a document whose FHiCL has the SHA-256 of a
 * document the store wrote earlier copies that document's payload; what is stored is byte for byte what a store that
 * converts it writes (small documents on the calling thread, a real 12 MB run on the threads); a payload file that
 * was removed, replaced, cut short or no longer looks like a payload is not used; the sources' bookkeeping forgets a
 * document written again or removed.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { OffloadPool } from "../../core/offload/mod.ts";
import { realFixturesDir } from "../../core/paths.ts";
import type { PreparedDocument, PreparedRun } from "../../core/roles.ts";
import { type PayloadSource, PayloadSources } from "../../plugins/artdaqdb-conftool/payloads.ts";
import type { Offload } from "../../plugins/artdaqdb-conftool/offload.ts";
import { tempDir } from "../_helpers/peers.ts";
import { openFilesystemStore, preparedRun, SPEC_TIME } from "./_fixtures.ts";

const RUN_DIR = join(realFixturesDir(), "run_records/1001506");
const utf8 = new TextEncoder();
const clock = () => SPEC_TIME;

/** `prepared` with every document held as bytes with their SHA-256, as the run-record source prepares files. */
function withDigests(prepared: PreparedRun): PreparedRun {
  const asBytes = (document: PreparedDocument): PreparedDocument => {
    const bytes = utf8.encode(document.text);
    return {
      name: document.name,
      bytes,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      ...(document.path !== undefined ? { path: document.path } : {}),
      get text() {
        return new TextDecoder().decode(bytes);
      },
    };
  };
  return { ...prepared, documents: prepared.documents.map(asBytes) };
}

/** ProtoDUNE run 1001506's 105 real `.fcl` files as a prepared run (with digests) numbered `run`. */
function largeRun(run: number): PreparedRun {
  const names = [...Deno.readDirSync(RUN_DIR)].filter((e) => e.isFile && e.name.endsWith(".fcl")).map((e) => e.name);
  names.sort();
  return withDigests(preparedRun(run, {
    documents: names.map((name) => ({ name, text: Deno.readTextFileSync(join(RUN_DIR, name)) })),
  }));
}

/** The document files (`<collection>/<oid>.json`, not `index.json`) below `dir`, by relative path. */
function documentFiles(dir: string): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const collection of Deno.readDirSync(dir)) {
    if (!collection.isDirectory || collection.name === "SystemMetadata") continue;
    for (const entry of Deno.readDirSync(join(dir, collection.name))) {
      if (entry.name.endsWith(".json") && entry.name !== "index.json") {
        files.set(`${collection.name}/${entry.name}`, Deno.readFileSync(join(dir, collection.name, entry.name)));
      }
    }
  }
  return files;
}

/**
 * Stores `first` then `second` in one store under group commit (the import's mode) at `reusing`, and `second` alone
 * in a fresh store at `fresh`; returns the document files each wrote for `second`.
 */
async function storeBoth(
  reusing: string,
  fresh: string,
  first: () => PreparedRun,
  second: () => PreparedRun,
  between?: () => void,
  offload?: () => Offload,
) {
  const store = openFilesystemStore(reusing, { durable: false, clock, ...(offload ? { offload: offload() } : {}) });
  await store.deferCommits(true);
  await store.putRun(first(), "initial");
  const before = new Set(documentFiles(reusing).keys());
  between?.();
  await store.putRun(second(), "initial");
  await store.close();
  const plain = openFilesystemStore(fresh, { durable: false, clock, ...(offload ? { offload: offload() } : {}) });
  await plain.deferCommits(true);
  await plain.putRun(second(), "initial");
  await plain.close();
  const reused = [...documentFiles(reusing)].filter(([path]) => !before.has(path));
  return { reused: new Map(reused), converted: documentFiles(fresh) };
}

function assertSameFiles(actual: Map<string, Uint8Array>, expected: Map<string, Uint8Array>) {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
  for (const [path, bytes] of expected) {
    assert.ok(actual.get(path)!.length === bytes.length && actual.get(path)!.every((b, i) => b === bytes[i]), path);
  }
}

Deno.test("payload reuse: a run of the same files is stored byte for byte as a store that converts it", async () => {
  await using a = await tempDir();
  await using b = await tempDir();
  const { reused, converted } = await storeBoth(
    a.path,
    b.path,
    () => withDigests(preparedRun(500)),
    () => withDigests(preparedRun(501)),
  );
  assert.ok(converted.size >= 7);
  assertSameFiles(reused, converted);
});

Deno.test("payload reuse: a real 12 MB run on two threads equals its conversion", async () => {
  await using a = await tempDir();
  await using b = await tempDir();
  const pools: OffloadPool[] = [];
  const offload = () => {
    const pool = new OffloadPool(2);
    pools.push(pool);
    return { pool, minBytes: 0 };
  };
  const { reused, converted } = await storeBoth(
    a.path,
    b.path,
    () => largeRun(700),
    () => largeRun(701),
    undefined,
    offload,
  );
  assert.ok(converted.size > 100);
  assertSameFiles(reused, converted);
});

Deno.test("payload reuse: the payload is copied (a byte changed in place in the earlier file shows up)", async () => {
  // Demonstrates that the copy happens (the store holds the database lock: nothing else changes its files).
  await using a = await tempDir();
  await using b = await tempDir();
  const { reused } = await storeBoth(
    a.path,
    b.path,
    () => withDigests(preparedRun(510)),
    () => withDigests(preparedRun(511)),
    () => {
      for (const [path, bytes] of documentFiles(a.path)) rewriteInPlace(join(a.path, path), withMarkerChanged(bytes));
    },
  );
  const texts = [...reused.values()].map((bytes) => new TextDecoder().decode(bytes));
  assert.ok(texts.some((text) => text.includes("XoySimulator")), "the run-511 document copied run 510's payload");
});

for (
  const [what, damage] of [
    ["removed", (path: string) => Deno.removeSync(path)],
    ["replaced by a file of the same size (another inode)", (path: string) => {
      Deno.writeFileSync(`${path}.tmp`, withMarkerChanged(Deno.readFileSync(path)));
      Deno.renameSync(`${path}.tmp`, path);
    }],
    ["changed in place and grown (same inode)", (path: string) => {
      rewriteInPlace(path, withMarkerChanged(Deno.readFileSync(path)));
      const file = Deno.openSync(path, { append: true });
      file.writeSync(utf8.encode("\n"));
      file.close();
    }],
    ["cut short", (path: string) => Deno.truncateSync(path, 40)],
    ["rewritten with the payload's end moved (same inode and size)", (path: string) => {
      const bytes = Deno.readFileSync(path);
      const moved = new Uint8Array(bytes.length);
      moved.set(bytes.subarray(0, 16));
      moved[16] = 0x20;
      moved.set(bytes.subarray(16, bytes.length - 1), 17);
      rewriteInPlace(path, moved);
    }],
    ["rewritten with another beginning (same inode and size)", (path: string) => {
      const bytes = Deno.readFileSync(path);
      bytes[0] = 0x20;
      rewriteInPlace(path, bytes);
    }],
  ] as const
) {
  Deno.test(`payload reuse: an earlier file ${what} is not used; the document is converted`, async () => {
    await using a = await tempDir();
    await using b = await tempDir();
    const { reused, converted } = await storeBoth(
      a.path,
      b.path,
      () => withDigests(preparedRun(520)),
      () => withDigests(preparedRun(521)),
      () => {
        for (const path of documentFiles(a.path).keys()) damage(join(a.path, path));
      },
    );
    assertSameFiles(reused, converted);
  });
}

Deno.test("PayloadSources: the newest document by digest, every document noted, the oldest dropped first", () => {
  const source = (n: number): PayloadSource => ({ path: `/db/RunHistory/${n}.json`, length: n, ino: n, size: n + 10 });
  const sources = new PayloadSources(3);
  assert.equal(sources.find(undefined), undefined);
  sources.record("a", "RunHistory", "1", source(1));
  sources.record("b", "RunHistory", "2", source(2));
  assert.deepEqual(sources.find("a"), source(1));
  assert.deepEqual(sources.written("RunHistory", "2"), { sha256: "b", source: source(2), shared: false });
  sources.forget("RunHistory", "1");
  assert.equal(sources.find("a"), undefined);
  assert.equal(sources.written("RunHistory", "1"), undefined);
  sources.record("b", "RunHistory", "3", source(3)); // the same digest again: the newer document is found
  assert.deepEqual(sources.find("b"), source(3));
  assert.deepEqual(sources.written("RunHistory", "2"), { sha256: "b", source: source(2), shared: true }, "still noted");
  sources.forget("RunHistory", "2"); // not the one found by digest
  assert.deepEqual(sources.find("b"), source(3));
  sources.record("c", "RunHistory", "4", source(4));
  sources.record("d", "RunHistory", "5", source(5));
  sources.record("e", "RunHistory", "6", source(6)); // over the limit: document 3, the oldest, goes
  assert.equal(sources.written("RunHistory", "3"), undefined);
  assert.equal(sources.find("b"), undefined);
  assert.equal(sources.size, 3);
  sources.record("f", "RunHistory", "5", source(7)); // document 5 written again with other content
  assert.equal(sources.find("d"), undefined);
  assert.deepEqual(sources.written("RunHistory", "5"), { sha256: "f", source: source(7), shared: false });
  sources.forget("RunHistory", "4");
  sources.record("d", "RunHistory", "8", source(8));
  assert.equal(sources.written("RunHistory", "8")!.shared, false, "a forgotten document shares nothing");
});

/** `bytes` with the first `ToySimulator` (component01.fcl's payload) spelled `XoySimulator`. */
function withMarkerChanged(bytes: Uint8Array): Uint8Array {
  const at = indexOf(bytes, utf8.encode("ToySimulator"));
  if (at >= 0) bytes[at] = "X".charCodeAt(0);
  return bytes;
}

function rewriteInPlace(path: string, bytes: Uint8Array): void {
  const file = Deno.openSync(path, { write: true });
  let written = 0;
  while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
  file.close();
}

function indexOf(bytes: Uint8Array, pattern: Uint8Array): number {
  outer: for (let i = 0; i + pattern.length <= bytes.length; i++) {
    for (let j = 0; j < pattern.length; j++) if (bytes[i + j] !== pattern[j]) continue outer;
    return i;
  }
  return -1;
}

Deno.test("payload reuse: the export of a run of repeated files on threads equals a converting store's", async () => {
  await using a = await tempDir();
  await using b = await tempDir();
  const pool = new OffloadPool(2);
  const store = openFilesystemStore(a.path, { durable: false, clock, offload: { pool, minBytes: 0 } });
  const plain = openFilesystemStore(b.path, { durable: false, clock });
  try {
    await store.deferCommits(true);
    await store.putRun(largeRun(710), "initial");
    await store.putRun(largeRun(711), "initial");
    await store.exportRun(710); // the threads keep its renderings: run 711's payloads take them
    await plain.putRun(largeRun(711), "initial");
    const [threads, one] = [await store.exportRun(711), await plain.exportRun(711)];
    assert.equal(threads.files.length, one.files.length);
    assert.equal(threads.storedAt, one.storedAt);
    for (const [i, file] of one.files.entries()) {
      assert.equal(threads.files[i].path, file.path);
      assert.ok(
        threads.files[i].data.length === file.data.length && threads.files[i].data.every((x, j) => x === file.data[j]),
        file.path,
      );
    }
  } finally {
    await store.close();
    await plain.close();
  }
});

Deno.test("PayloadSources.inFlight: a put waits for the one in flight writing its digests, never in a circle", async () => {
  const sources = new PayloadSources();
  const order: string[] = [];
  const endA = await sources.inFlight(["x", undefined]); // A will write x
  const b = sources.inFlight(["x", "y"]).then((end) => { // B waits for A (x) before noting y
    order.push("B starts");
    return end;
  });
  const endC = await sources.inFlight(["y"]); // C notes y while B waits: C does not wait for B
  order.push("C starts");
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(order, ["C starts"]);
  sources.record("x", "RunHistory", "a", { path: "/db/a.json", length: 1, ino: 1, size: 2 });
  endA();
  const endB = await b; // y is C's: B does not wait again
  assert.deepEqual(order, ["C starts", "B starts"]);
  const endD = await sources.inFlight(["x"]); // x has a source now: no wait
  endB();
  endC();
  endD();
  // Every note ended: nothing to wait for (a wait would fail here, not hang the suite).
  let timer: ReturnType<typeof setTimeout> | undefined;
  const settled = await Promise.race([
    sources.inFlight(["y"]).then((end) => (end(), "no wait")),
    new Promise((resolve) => timer = setTimeout(() => resolve("waited"), 1000)),
  ]);
  clearTimeout(timer);
  assert.equal(settled, "no wait");
});

Deno.test("payload reuse: two runs of the same files in flight at once are each stored as a converting store's", async () => {
  await using a = await tempDir();
  const pool = new OffloadPool(2);
  const store = openFilesystemStore(a.path, { durable: false, clock, offload: { pool, minBytes: 0 } });
  await store.deferCommits(true);
  await Promise.all([store.putRun(largeRun(720), "initial"), store.putRun(largeRun(721), "initial")]);
  await store.close();
  const converted = new Map<string, Uint8Array>();
  for (const run of [720, 721]) {
    await using fresh = await tempDir();
    const plain = openFilesystemStore(fresh.path, { durable: false, clock });
    await plain.deferCommits(true);
    await plain.putRun(largeRun(run), "initial");
    await plain.close();
    for (const [path, bytes] of documentFiles(fresh.path)) converted.set(path, bytes);
  }
  assertSameFiles(documentFiles(a.path), converted);
});
