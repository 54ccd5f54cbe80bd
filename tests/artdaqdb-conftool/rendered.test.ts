/**
 * The export's renderings by payload (plugins/artdaqdb-conftool/rendered.ts): where a stored document's payload ends;
 * a document whose payload was rendered lately takes that rendering with the facts of its own bookkeeping, without
 * reading its payload again, exactly what a whole read gives; a JSON payload, a document without the layout's
 * `origin` member or with unreadable bookkeeping is read whole; what is kept stays within its bound.
 */
import assert from "node:assert/strict";
import { streamArtdaqWith } from "../../core/json/mod.ts";
import { parseStoredDocument } from "../../plugins/artdaqdb-conftool/document.ts";
import { type ExportRead, readForExport } from "../../plugins/artdaqdb-conftool/export.ts";
import { writeStoredDocument } from "../../plugins/artdaqdb-conftool/payloads.ts";
import { payloadEnd, RenderedPayloads } from "../../plugins/artdaqdb-conftool/rendered.ts";
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
  assert.equal(second.render(), whole.render());
  assert.equal(second.render(), text);
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
    assert.equal(read.render(), readForExport(json, where).render());
  }
  assert.equal(calls.length, 2);
  assert.equal(rendered.length, 0);
  // The same payload as FHiCL kept first: the JSON document is still rendered as JSON.
  rendered.read(utf8.encode(SPEC), readWhole).render();
  assert.equal(rendered.read(utf8.encode(json), readWhole).render(), readForExport(json, where).render());
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
