/**
 * Renderings made at conversion (core/fhicl/dbjson_bytes.ts → plugins/artdaqdb-conftool/tasks.ts, payloads.ts,
 * rendered.ts): a large document written under group commit has the export's rendering of its FHiCL kept in the
 * store's directory of renderings (under TMPDIR), and its export takes it instead of reading and rendering the
 * document. The export is byte for byte a rendering store's; a rendering that cannot be read is rendered again; the
 * directory goes with the store.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { OffloadPool } from "../../core/offload/mod.ts";
import { realFixturesDir } from "../../core/paths.ts";
import type { PreparedRun } from "../../core/roles.ts";
import { PayloadSources } from "../../plugins/artdaqdb-conftool/payloads.ts";
import { removeStaleRenderings } from "../../plugins/artdaqdb-conftool/store.ts";
import { tempDir } from "../_helpers/peers.ts";
import { openFilesystemStore, preparedRun, SPEC_TIME } from "./_fixtures.ts";

const RUN_DIR = join(realFixturesDir(), "run_records/1001506");
const clock = () => SPEC_TIME;

/** ProtoDUNE run 1001506's 105 real `.fcl` files (12 MB) as a prepared run numbered `run`. */
function largeRun(run: number): PreparedRun {
  const names = [...Deno.readDirSync(RUN_DIR)].filter((e) => e.isFile && e.name.endsWith(".fcl")).map((e) => e.name);
  names.sort();
  return preparedRun(run, {
    documents: names.map((name) => ({ name, text: Deno.readTextFileSync(join(RUN_DIR, name)) })),
  });
}

/** The store's directories of renderings under `tmp`. */
function renderingDirs(tmp: string): string[] {
  return [...Deno.readDirSync(tmp)].filter((e) => e.name.startsWith("archiver-renderings-")).map((e) =>
    join(tmp, e.name)
  );
}

/**
 * Puts run `run` under group commit on two threads (renderings kept), with TMPDIR at a directory of its own;
 * `between` runs before the export. Returns that export, and the export of the same run from a store that renders.
 */
async function exportBoth(run: number, between?: (tmp: string) => void) {
  await using a = await tempDir();
  await using b = await tempDir();
  await using tmp = await tempDir();
  const before = Deno.env.get("TMPDIR");
  Deno.env.set("TMPDIR", tmp.path);
  const pool = new OffloadPool(2);
  const store = openFilesystemStore(a.path, { durable: false, clock, offload: { pool, minBytes: 0 } });
  const plain = openFilesystemStore(b.path, { durable: false, clock });
  try {
    await store.deferCommits(true);
    await store.putRun(largeRun(run), "initial");
    const dirs = renderingDirs(tmp.path);
    assert.equal(dirs.length, 1);
    const logs = [...Deno.readDirSync(dirs[0])];
    assert.ok(logs.length >= 1 && logs.length <= 2, `${logs.length} files of renderings (one per thread)`);
    between?.(dirs[0]);
    const kept = await store.exportRun(run);
    await plain.putRun(largeRun(run), "initial");
    const rendered = await plain.exportRun(run);
    await store.close();
    assert.deepEqual(renderingDirs(tmp.path), [], "the directory goes with the store");
    return { kept, rendered };
  } finally {
    await store.close();
    await plain.close();
    if (before === undefined) Deno.env.delete("TMPDIR");
    else Deno.env.set("TMPDIR", before);
  }
}

function assertSameExport(
  actual: { files: Array<{ path: string; data: Uint8Array }>; storedAt: string },
  expected: { files: Array<{ path: string; data: Uint8Array }>; storedAt: string },
) {
  assert.equal(actual.storedAt, expected.storedAt);
  assert.deepEqual(actual.files.map((f) => f.path), expected.files.map((f) => f.path));
  for (const [i, file] of expected.files.entries()) {
    const data = actual.files[i].data;
    assert.ok(data.length === file.data.length && data.every((x, j) => x === file.data[j]), file.path);
  }
}

Deno.test("kept renderings: the export of a new 12 MB run takes them and equals a rendering store's", async () => {
  const { kept, rendered } = await exportBoth(730);
  assertSameExport(kept, rendered);
});

Deno.test("kept renderings: renderings that cannot be read (cut short, or gone) are rendered again", async () => {
  const cut = await exportBoth(731, (dir) => {
    for (const entry of Deno.readDirSync(dir)) Deno.truncateSync(join(dir, entry.name), 100);
  });
  assertSameExport(cut.kept, cut.rendered);
  const gone = await exportBoth(732, (dir) => {
    for (const entry of Deno.readDirSync(dir)) Deno.removeSync(join(dir, entry.name));
  });
  assertSameExport(gone.kept, gone.rendered);
});

Deno.test("PayloadSources: a rendering is noted for a digest noted, until its last document goes, up to a limit", () => {
  const sources = new PayloadSources(16384, 100);
  const source = { path: "/x/a.json", length: 10, ino: 1, size: 20 };
  const rendering = { path: "/r/log.fcl", offset: 0, size: 60 };
  sources.recordRendering("s1", rendering); // no document of that FHiCL noted: ignored
  assert.equal(sources.renderingNotWanted("s1"), false);
  sources.record("s1", "RunHistory", "a", source);
  sources.record("s1", "RunHistory", "b", source);
  sources.recordRendering("s1", rendering);
  assert.equal(sources.renderingNotWanted("s1"), true); // noted already
  assert.deepEqual(sources.written("RunHistory", "a")?.rendering, rendering);
  sources.forget("RunHistory", "a");
  assert.deepEqual(sources.written("RunHistory", "b")?.rendering, rendering); // another document has that FHiCL
  sources.forget("RunHistory", "b");
  assert.equal(sources.renderingNotWanted("s1"), false); // forgotten with its last document
  sources.record("s2", "RunHistory", "c", source);
  assert.equal(sources.renderingNotWanted("s2"), false);
  sources.recordRendering("s2", { ...rendering, offset: 60 });
  assert.equal(sources.renderingNotWanted("s3"), true); // 120 bytes noted in all: past the limit, no more are made
  assert.equal(sources.renderingNotWanted(undefined), true);
});

Deno.test("kept renderings: the export takes them as they are (its own files: written over, the export shows it)", async () => {
  const { kept, rendered } = await exportBoth(733, (dir) => {
    for (const entry of Deno.readDirSync(dir)) {
      const path = join(dir, entry.name);
      Deno.writeFileSync(path, new Uint8Array(Deno.statSync(path).size).fill(0x40)); // "@" everywhere
    }
  });
  const taken = kept.files.filter((file) => file.data.length > 0 && file.data.every((b) => b === 0x40));
  assert.ok(taken.length >= 50, `${taken.length} of ${kept.files.length} documents taken from kept renderings`);
  assert.equal(kept.files.length, rendered.files.length);
});

Deno.test("kept renderings: directories that processes no longer running left behind are removed; others are kept", async () => {
  await using tmp = await tempDir();
  const before = Deno.env.get("TMPDIR");
  Deno.env.set("TMPDIR", tmp.path);
  const dead = join(tmp.path, "archiver-renderings-2147483646-abc123");
  const alive = join(tmp.path, `archiver-renderings-${Deno.pid}-def456`);
  const running = join(tmp.path, "archiver-renderings-1-ghi789"); // pid 1 always runs
  const other = join(tmp.path, "archiver-renderings-x");
  for (const dir of [dead, alive, running, other]) {
    Deno.mkdirSync(dir);
    Deno.writeTextFileSync(join(dir, "log.fcl"), "a: 1\n");
  }
  try {
    await removeStaleRenderings();
    assert.deepEqual(renderingDirs(tmp.path).sort(), [alive, running, other].sort());
  } finally {
    if (before === undefined) Deno.env.delete("TMPDIR");
    else Deno.env.set("TMPDIR", before);
  }
});
