/**
 * The export's renderings by payload (plugins/artdaqdb-conftool/rendered.ts): where a stored document's payload ends;
 * a document whose payload was rendered lately takes that rendering with the facts of its own bookkeeping, without
 * reading its payload again, exactly what a whole read gives; a JSON payload, a document without the layout's
 * `origin` member or with unreadable bookkeeping is read whole; what is kept stays within its bound.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { streamArtdaqWith } from "../../core/json/mod.ts";
import { parseStoredDocument } from "../../plugins/artdaqdb-conftool/document.ts";
import { type ExportRead, readForExport } from "../../plugins/artdaqdb-conftool/export.ts";
import { writeStoredDocument } from "../../plugins/artdaqdb-conftool/payloads.ts";
import { payloadEnd, RenderedPayloads } from "../../plugins/artdaqdb-conftool/rendered.ts";
import { tempDir } from "../_helpers/peers.ts";
import { SPEC_DOCUMENT, SPEC_OID } from "./_fixtures.ts";

const utf8 = new TextEncoder();
const where = { collection: "RunHistory", id: SPEC_OID, source: "boot.json" };
const SPEC = SPEC_DOCUMENT.trimEnd();

/** The spec's document with its bookkeeping changed as another run's would be. */
function otherRun(text: string): string {
  return text.replaceAll("2024-03-04T12:05:01.337-0600", "2024-03-05T08:00:00.000-0600")
    .replaceAll('"name" : "boot"', '"name" : "boot2"');
}

/** `readForExport`, counting its calls. */
function counted() {
  const calls: string[] = [];
  const readWhole = (text: string): ExportRead => {
    calls.push(text);
    return readForExport(text, where);
  };
  return { calls, readWhole };
}

Deno.test("payloadEnd: where the stored document's writer ended the payload; -1 without the origin member", () => {
  const doc = parseStoredDocument(SPEC, where).doc;
  let end = -1;
  const chunks: Uint8Array[] = [];
  streamArtdaqWith((writer) => (end = writeStoredDocument(writer, doc)), (chunk) => chunks.push(chunk.slice()));
  const bytes = utf8.encode(SPEC);
  assert.equal(payloadEnd(bytes), end);
  assert.equal(payloadEnd(utf8.encode('{\n"document" : {\n\n}\n}')), -1);
  // A FHiCL table named origin in the payload: the bookkeeping's member is the last one.
  const withOrigin = SPEC.replace('"debug_level" : "1"', '"debug_level" : "1",\n"origin" : "x"');
  assert.equal(payloadEnd(utf8.encode(withOrigin)), withOrigin.lastIndexOf(',\n"origin" : '));
});

Deno.test("RenderedPayloads: the same payload under other bookkeeping takes the rendering, with its own facts", () => {
  const rendered = new RenderedPayloads();
  const { calls, readWhole } = counted();
  const first = rendered.read(utf8.encode(SPEC), readWhole);
  const text = first.render();
  assert.equal(calls.length, 1);
  const other = otherRun(SPEC);
  const second = rendered.read(utf8.encode(other), readWhole);
  assert.equal(calls.length, 1, "the second document's payload is not read again");
  const whole = readForExport(other, where);
  assert.deepEqual(second.facts, whole.facts);
  assert.notDeepEqual(second.facts, first.facts);
  assert.deepEqual(second.render(), whole.render());
  assert.deepEqual(second.render(), text);
  // Another payload is read whole.
  rendered.read(utf8.encode(SPEC.replace('"debug_level" : "1"', '"debug_level" : "2"')), readWhole);
  assert.equal(calls.length, 2);
});

Deno.test("RenderedPayloads: JSON payloads, no origin member, unreadable bookkeeping are read whole", () => {
  const rendered = new RenderedPayloads();
  const json = SPEC.replace('"format" : "fhicl"', '"format" : "json"');
  const { calls, readWhole } = counted();
  for (let i = 0; i < 2; i++) {
    const read = rendered.read(utf8.encode(json), readWhole);
    assert.deepEqual(read.render(), readForExport(json, where).render());
  }
  assert.equal(calls.length, 2);
  assert.equal(rendered.length, 0);
  // The same payload as FHiCL kept first: the JSON document is still rendered as JSON.
  rendered.read(utf8.encode(SPEC), readWhole).render();
  assert.deepEqual(rendered.read(utf8.encode(json), readWhole).render(), readForExport(json, where).render());
  assert.equal(calls.length, 4);
  rendered.read(utf8.encode(SPEC), readWhole).render();
  const noOrigin = SPEC.replace('"origin" : {', '"origins" : {');
  for (let i = 0; i < 2; i++) rendered.read(utf8.encode(noOrigin), readWhole).render();
  assert.equal(calls.length, 6);
  const broken = SPEC.slice(0, SPEC.lastIndexOf('"version"')) + '"version" : ';
  assert.throws(() => rendered.read(utf8.encode(broken), readWhole), /boot\.json/);
  assert.equal(calls.length, 7);
});

Deno.test("RenderedPayloads: keeps at most its limit, the most recently used last", () => {
  const texts = Array.from({ length: 6 }, (_, i) => SPEC.replace('"debug_level" : "1"', `"debug_level" : "${i}"`));
  const size = readForExport(texts[0], where).render().length;
  const rendered = new RenderedPayloads(size * 4 + 1);
  const { calls, readWhole } = counted();
  for (const text of texts.slice(0, 4)) rendered.read(utf8.encode(text), readWhole).render();
  assert.equal(calls.length, 4);
  rendered.read(utf8.encode(texts[0]), readWhole); // used again: now the newest
  assert.equal(calls.length, 4);
  rendered.read(utf8.encode(texts[4]), readWhole).render(); // over the limit: texts[1], the oldest, goes
  assert.ok(rendered.length <= size * 4 + 1);
  rendered.read(utf8.encode(texts[0]), readWhole);
  assert.equal(calls.length, 5);
  rendered.read(utf8.encode(texts[1]), readWhole);
  assert.equal(calls.length, 6);
});

/** `text` written to a file in `dir`, with the `WrittenPayload` a store would have noted for it (FHiCL digest `sha`). */
function writtenFile(dir: string, name: string, text: string, sha = "fhicl-digest", shared = true) {
  const path = join(dir, name);
  const bytes = utf8.encode(text);
  Deno.writeFileSync(path, bytes);
  const info = Deno.statSync(path);
  const file = { collection: "RunHistory", id: SPEC_OID, path, store: "filesystemdb:///test" };
  return {
    file,
    payload: { sha256: sha, source: { path, length: payloadEnd(bytes), ino: info.ino!, size: info.size }, shared },
  };
}

Deno.test("RenderedPayloads.readKnown: a document the store wrote reads only its bookkeeping once its FHiCL is rendered", async () => {
  await using dir = await tempDir();
  const rendered = new RenderedPayloads();
  const { calls, readWhole } = counted();
  const first = writtenFile(dir.path, "a.json", SPEC);
  const text = rendered.readKnown(first.payload, readWhole)!.render();
  assert.equal(calls.length, 1);
  const other = otherRun(SPEC);
  const second = writtenFile(dir.path, "b.json", other);
  const read = rendered.readKnown(second.payload, readWhole)!;
  assert.equal(calls.length, 1, "its payload is not read");
  assert.deepEqual(read.facts, readForExport(other, where).facts);
  assert.deepEqual(read.render(), text);
  // Another FHiCL digest: read whole.
  const third = writtenFile(dir.path, "c.json", other, "other-digest");
  rendered.readKnown(third.payload, readWhole)!.render();
  assert.equal(calls.length, 2);
});

for (
  const [what, change] of [
    ["replaced (another inode)", (path: string) => {
      Deno.writeFileSync(`${path}.tmp`, Deno.readFileSync(path));
      Deno.renameSync(`${path}.tmp`, path);
    }],
    ["grown", (path: string) => Deno.writeTextFileSync(path, "\n", { append: true })],
    ["removed", (path: string) => Deno.removeSync(path)],
    ["rewritten with its payload's end moved (same inode and size)", (path: string) => {
      const text = Deno.readTextFileSync(path);
      const file = Deno.openSync(path, { write: true });
      const last = text.lastIndexOf("\n"); // in the bookkeeping: the text stays JSON, its payload ends 1 byte later
      file.writeSync(utf8.encode(" " + text.slice(0, last) + text.slice(last + 1)));
      file.close();
    }],
  ] as const
) {
  Deno.test(`RenderedPayloads.readKnown: a file ${what} since it was written is not taken for it`, async () => {
    await using dir = await tempDir();
    const rendered = new RenderedPayloads();
    const { readWhole } = counted();
    const first = writtenFile(dir.path, "a.json", SPEC);
    rendered.readKnown(first.payload, readWhole)!.render();
    const second = writtenFile(dir.path, "b.json", otherRun(SPEC));
    change(second.file.path);
    assert.equal(rendered.readKnown(second.payload, readWhole), null);
  });
}

Deno.test("RenderedPayloads.readKnown: a JSON document under a rendered FHiCL digest is left to the caller", async () => {
  await using dir = await tempDir();
  const rendered = new RenderedPayloads();
  const { readWhole } = counted();
  const first = writtenFile(dir.path, "a.json", SPEC);
  rendered.readKnown(first.payload, readWhole)!.render();
  const json = writtenFile(dir.path, "b.json", SPEC.replace('"format" : "fhicl"', '"format" : "json"'));
  assert.equal(rendered.readKnown(json.payload, readWhole), null);
});

Deno.test("RenderedPayloads.readKnown: the rendering of a document no other document shares is not kept", async () => {
  await using dir = await tempDir();
  const rendered = new RenderedPayloads();
  const { calls, readWhole } = counted();
  const unique = writtenFile(dir.path, "a.json", SPEC, "unique", false);
  rendered.readKnown(unique.payload, readWhole)!.render();
  assert.equal(rendered.length, 0);
  const again = writtenFile(dir.path, "b.json", otherRun(SPEC), "unique", true);
  rendered.readKnown(again.payload, readWhole)!.render();
  assert.equal(calls.length, 2);
  assert.ok(rendered.length > 0);
});
