/**
 * The export's reading of DB-JSON metadata straight from a document's text (`readFhiclMetadata`, with its cache of
 * node texts seen lately) renders exactly what `dbJsonToFhicl` renders from the whole ordered model: on random
 * storable documents and the real corpus, in three text layouts, read one after another so that the cache carries
 * nodes from one document to the next; on metadata damaged in every way the writer's reading rules cover (duplicate
 * fields, fields of the wrong kind, unknown fields, missing or repeated entries); and with the nesting limit of the
 * whole parse, also where a node seen before is found again deeper.
 */
import { dbJsonToFhicl, fhiclToDbJson, readDbJsonParts, readFhiclMetadata, renderFhicl } from "../../core/fhicl/mod.ts";
import { Random, randomCommentedText } from "../../core/fhicl/generate.ts";
import {
  JsonNumber,
  JsonObject,
  JsonReader,
  JsonSyntaxError,
  type JsonValue,
  MAX_JSON_DEPTH,
  parseOrdered,
  stringifyArtdaq,
} from "../../core/json/mod.ts";
import { assertEquals, assertOk, assertThrows } from "../json/_assert.ts";
import { FIXTURE_TIMESTAMP, listFcl, REAL_FIXTURES } from "./_corpus.ts";

/** `document.data` as a model and `document.metadata` read from the text, rendered (never the whole parse). */
function renderFromText(text: string): string {
  const parts = readDbJsonParts(text, "doc.json");
  if (parts === null) throw new Error("not a document of the usual shape");
  return renderFhicl(parts.data, parts.metadata);
}

/** The outcome of rendering: the text, or the error's class and message. */
function outcome(render: () => string): string {
  try {
    return render();
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
}

/** The same JSON in three layouts: the JsonWriter one, on one line, and indented. */
const LAYOUTS: Array<(text: string) => string> = [
  (text) => text,
  (text) => text.replaceAll("\n", ""),
  (text) => text.replaceAll("\n", "\n  "),
];

function assertSameRendering(doc: JsonObject, what: string): void {
  const expected = outcome(() => dbJsonToFhicl(doc));
  const text = stringifyArtdaq(doc);
  for (const [i, layout] of LAYOUTS.entries()) {
    assertEquals(outcome(() => renderFromText(layout(text))), expected, `${what}, layout ${i}`);
  }
}

const toDb = (text: string, name = "doc.fcl") =>
  fhiclToDbJson(text, "notprovided", { timestamp: FIXTURE_TIMESTAMP, sourceName: name });

Deno.test("metadata read from the text renders as the model does: random documents and the real corpus", () => {
  for (let seed = 1; seed <= 300; seed++) {
    assertSameRendering(toDb(randomCommentedText(new Random(seed), { storable: true })), `seed ${seed}`);
  }
  let real = 0;
  for (const path of listFcl(REAL_FIXTURES)) {
    let doc: JsonObject;
    try {
      doc = toDb(Deno.readTextFileSync(path), path);
    } catch {
      continue; // not storable (syntax artdaq_database refuses): the import reports it, there is nothing to export
    }
    assertSameRendering(doc, path);
    real++;
  }
  assertOk(real > 50, `only ${real} real documents`);
});

/** Every metadata node (an object with a `type` or `children` entry) below `value`, outermost first. */
function metadataNodes(value: JsonValue, out: JsonObject[] = []): JsonObject[] {
  if (value instanceof JsonObject) {
    if (value.has("type") || value.has("children")) out.push(value);
    for (let i = 0; i < value.size; i++) metadataNodes(value.valueAt(i), out);
  } else if (Array.isArray(value)) { for (const item of value) metadataNodes(item, out); }
  return out;
}

/** Damage to one metadata node, each a case the writer's reading rules decide. */
const DAMAGE: Array<(node: JsonObject, rng: Random) => void> = [
  (node) => node.add("comment", "#a later comment"), // only the first entry counts
  (node) => node.flat.unshift("comment", "#an earlier comment"),
  (node) => node.flat.unshift("annotation", new JsonNumber("7")), // not text: reads as ""
  (node) => node.flat.unshift("type", new JsonNumber("5")), // compared by identity
  (node) => node.flat.unshift("type", new JsonObject([["deep", [[["x"]]]]])),
  (node) => node.add("unknown", new JsonObject([["list", [new JsonObject([["a", "b"]]), []]]])),
  (node) => node.flat.unshift("children", "not an object"),
  (node) => node.flat.unshift("children", [new JsonObject()]),
  (node) => node.add("protection", "@protect_ignore"),
  (node) => {
    // fields in reverse order, each pair kept
    const pairs: JsonValue[][] = [];
    for (let j = 0; j < node.flat.length; j += 2) pairs.push([node.flat[j], node.flat[j + 1]]);
    node.flat.splice(0, node.flat.length, ...pairs.reverse().flat());
  },
  (node, rng) => {
    // an entry of `children` removed, repeated or replaced by a scalar
    const children = node.get("children");
    if (!(children instanceof JsonObject) || children.size === 0) return;
    const j = 2 * rng.int(children.size);
    const choice = rng.int(3);
    if (choice === 0) children.flat.splice(j, 2);
    else if (choice === 1) children.flat.splice(j, 0, children.flat[j], children.flat[j + 1]);
    else children.flat[j + 1] = "scalar";
  },
];

Deno.test("metadata read from the text renders as the model does: damaged metadata of every kind", () => {
  let differentFromIntact = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const rng = new Random(seed);
    const intact = toDb(randomCommentedText(rng, { storable: true }));
    const doc = parseOrdered(stringifyArtdaq(intact)) as JsonObject;
    const nodes = metadataNodes((doc.get("document") as JsonObject).get("metadata")!);
    for (let k = 0; k < 3 && nodes.length > 0; k++) {
      DAMAGE[(seed * 3 + k) % DAMAGE.length](nodes[rng.int(nodes.length)], rng);
    }
    if (outcome(() => dbJsonToFhicl(doc)) !== outcome(() => dbJsonToFhicl(intact))) differentFromIntact++;
    assertSameRendering(doc, `seed ${seed}`);
  }
  // The damage must change what is rendered often enough for the comparison to mean something.
  assertOk(differentFromIntact > 100, `only ${differentFromIntact} damaged documents render differently`);
});

Deno.test("metadata read from the text: duplicate keys, and `document.metadata` missing or not an object", () => {
  const doc = parseOrdered(
    '{"document":{"data":{"main":{"a":"1","a":"2","t":{"x":"1"},"t":"s"}},"metadata":{"main":{"type":"table",' +
      '"children":{"a":{"type":"number","comment":"#first","annotation":"//1"},' +
      '"a":{"type":"number","comment":"#second","annotation":"//2"},' +
      '"t":{"type":"table","comment":"","children":{"x":{"type":"number","comment":"","annotation":""}}},' +
      '"t":{"type":"string_doublequoted","comment":"#s","annotation":""}}}}}}',
  ) as JsonObject;
  assertSameRendering(doc, "duplicates");
  assertEquals(
    renderFromText(stringifyArtdaq(doc)),
    '#first\na: 1 //1\n#first\na: 2 //1\n\nt: {\n\nx: 1 \n\n}\nt: "s"',
  );
  for (const metadata of ['"x"', "[]", "null"]) {
    const text = `{"document":{"data":{"main":{}},"metadata":${metadata}}}`;
    assertEquals(outcome(() => renderFromText(text)), outcome(() => dbJsonToFhicl(parseOrdered(text))));
    assertOk(outcome(() => renderFromText(text)).startsWith("RunInputError: not an artdaq_database FHiCL document"));
  }
});

/** A metadata node nested `levels` times through `children` (2 JSON levels each), ending in a leaf. */
function chain(levels: number): string {
  let node = '{"type":"number","comment":"","annotation":""}';
  for (let i = 0; i < levels; i++) node = `{"type":"table","comment":"","children":{"a":${node}}}`;
  return node;
}

Deno.test("metadata read from the text keeps the nesting limit, also for a node seen before found deeper", () => {
  // `document.metadata` opens at depth 3; a chain of height 2 * 548 + 1 fits under it (3 + 1097 = 1100).
  const deep = chain(548);
  const fits = `{"document":{"metadata":{"x":${deep}}}}`;
  parseOrdered(fits);
  const reader = new JsonReader(fits);
  reader.firstKey();
  reader.firstKey();
  readFhiclMetadata(reader);
  // The same node again, below one more table: over the limit for the whole parse, and for the reader although it
  // has just read that text.
  const tooDeep = `{"document":{"metadata":{"x":${deep},"y":{"type":"table","children":{"b":${deep}}}}}}`;
  assertThrows(() => parseOrdered(tooDeep), JsonSyntaxError, `nesting deeper than ${MAX_JSON_DEPTH} levels`);
  const again = new JsonReader(tooDeep);
  again.firstKey();
  again.firstKey();
  assertThrows(() => readFhiclMetadata(again), JsonSyntaxError, `nesting deeper than ${MAX_JSON_DEPTH} levels`);
});
