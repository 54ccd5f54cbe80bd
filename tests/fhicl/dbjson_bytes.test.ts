/**
 * The direct FHiCL → DB-JSON bytes conversion (core/fhicl/dbjson_bytes.ts) against its reference, `fhiclToDbJson`
 * encoded by `encodeArtdaq`: the same bytes for every tree of everything it accepts (the real corpus and each rule
 * of the conversion, the in-place cases included), and null (left to the reference) for what the reference refuses
 * and for the cases it declines by design. The fuzzer (core/fhicl/fuzz.ts) makes the same check on every input.
 */
import assert from "node:assert/strict";
import { encodeDbJsonTrees, RecentContainers } from "../../core/fhicl/dbjson_bytes.ts";
import { dbJsonToFhicl, fhiclToDbJson, scanComments } from "../../core/fhicl/mod.ts";
import { encodeArtdaq, type JsonObject } from "../../core/json/mod.ts";
import { listFcl, REAL_FIXTURES } from "./_corpus.ts";

const utf8 = new TextDecoder();

/** The three trees as text, joined from their parts. */
interface Trees {
  data: string;
  metadata: string;
  comments: string;
}

function direct(text: string, bytes?: Uint8Array): Trees | null {
  const trees = encodeDbJsonTrees(text, bytes);
  if (trees === null) return null;
  const join = (parts: Uint8Array[]) => parts.map((part) => utf8.decode(part)).join("");
  return { data: join(trees.data), metadata: join(trees.metadata), comments: utf8.decode(trees.comments) };
}

function reference(text: string): Trees | null {
  let dbJson: JsonObject;
  try {
    dbJson = fhiclToDbJson(text, "x", { timestamp: "" });
  } catch {
    return null;
  }
  const document = dbJson.get("document") as JsonObject;
  return {
    data: utf8.decode(encodeArtdaq(document.get("data")!)),
    metadata: utf8.decode(encodeArtdaq(document.get("metadata")!)),
    comments: utf8.decode(encodeArtdaq(dbJson.get("comments")!)),
  };
}

/** `text` is accepted by both and converted to the same bytes; returns the trees. */
function assertSame(text: string): Trees {
  const expected = reference(text);
  assert.ok(expected !== null, `the reference refuses ${JSON.stringify(text.slice(0, 80))}`);
  assert.deepEqual(direct(text), expected, JSON.stringify(text.slice(0, 200)));
  return expected;
}

Deno.test("direct conversion: every real FHiCL file gives the reference's bytes, or is refused by both", () => {
  let same = 0, refused = 0;
  for (const path of listFcl(REAL_FIXTURES)) {
    const bytes = Deno.readFileSync(path);
    const text = utf8.decode(bytes);
    const expected = reference(text);
    assert.deepEqual(direct(text, bytes), expected, path);
    if (expected === null) refused++;
    else same++;
  }
  assert.ok(same > 600 && refused > 0, `${same} converted, ${refused} refused`);
});

Deno.test("direct conversion: a key repeated inside a table replaces the earlier value where it stands", () => {
  const { data } = assertSame("t: { a: 1 b: 2 a: 3 }\n");
  assert.match(data, /"a" : "3",\n"b" : "2"/);
  assertSame("t: { a: 1 b: 2 a: { x: 1 y: [1, 2] } c: 3 }\n"); // the first member, by a longer value
  assertSame("t: { a: 1 b: [1, 2, 3] c: 3 b: 4 }\n"); // a middle one, by a shorter value
  assertSame("t: { a: 1 b: 2 c: 3 c: [] }\n"); // the last one
  assertSame('t: { a: 1 b: 2 b: 3 b: "x" b: { } }\n'); // again and again
  assertSame("t: { u: { a: 1 a: 2 } a: 5 v: { a: 1 } a: 6 }\n"); // nested tables keep their own keys
  assertSame("t: {\n  a: 1 # one\n  # above\n  a: 2 # two\n  b: 3\n}\n"); // the repeat's comment goes with it
  assertSame("s: [ { a: 1 a: 2 }, { a: 3 } ]\nt @protect_ignore: { a: 1 a: 2 }\n");
  // A large table (members found by hash), repeated at its first, middle and last member.
  const members = Array.from({ length: 100 }, (_, i) => `m${i}: ${i}`).join("\n");
  assertSame(`t: {\n${members}\nm0: x\nm50: [1]\nm99: { z: 1 }\nm0: y\n}\n`);
  // Top-level keys are never replaced: each binding is appended.
  assert.match(assertSame("a: 1\nb: 2\na: 3\n").data, /"a" : "1",\n"b" : "2",\n"a" : "3"/);
});

Deno.test("direct conversion: two keys of one hash are told apart, or the table is left to the reference", () => {
  // "k4uzx" and "kf2ad" have the same 32-bit FNV-1a hash (the converter's key hash).
  assertSame("t: { k4uzx: 1 kf2ad: 2 k4uzx: 3 }\n");
  const members = Array.from({ length: 70 }, (_, i) => `m${i}: ${i}`).join("\n");
  const large = `t: {\n${members}\nk4uzx: 1\nkf2ad: 2\n}\n`;
  assert.ok(reference(large) !== null);
  assert.equal(direct(large), null);
});

Deno.test("direct conversion: a main binding of a prolog key removes the first prolog entry of that key", () => {
  const prolog = "BEGIN_PROLOG\na: 1\nb: { x: 1 }\nc: [3]\nEND_PROLOG\n";
  for (const main of ["a: 9\n", "b: 9\n", "c: 9\n", "a: 9\nc: 9\n", "c: 9\nb: 9\na: 9\n", "d: 9\n"]) {
    assertSame(prolog + main);
  }
  assertSame("BEGIN_PROLOG\na: 1\nEND_PROLOG\na: 2\n"); // the only entry
  assertSame("BEGIN_PROLOG\na: 1\na: 2\nb: 3\nEND_PROLOG\na: 4\nx: 0\na: 5\na: 6\n"); // repeated prolog keys
  assertSame("a: 0\nBEGIN_PROLOG\na: 1\nEND_PROLOG\nb: 2\n"); // a main binding before the prolog stays
  assertSame("BEGIN_PROLOG\na: 1\nEND_PROLOG\nBEGIN_PROLOG\nb: 2\nEND_PROLOG\nb: 3\na: 4\n");
  assertSame("BEGIN_PROLOG\n# p\na: 1 # q\nEND_PROLOG\na: 2\n");
});

Deno.test("direct conversion: comments and annotations by line, as the reference finds them", () => {
  assertSame("# head\n\n# above a\na: 1 # on a\nb: 2\n// slashes\nc: 3\n# see #include here\nd: 4\n");
  assertSame('a: "one\ntwo" # after a two-line string\nb: 1 # b\n# c\nc: 2'); // a quoted string spans lines
  assertSame("a: 'x\n\ny' # single quotes too\nb: 1 # b\n");
  assertSame("t: { # opens\n  a: 1 # a\n  # b\n  b: [ # seq\n    1, # one\n    2 # two\n  ]\n}\n");
  assertSame('#include "other.fcl"\n# above\na: 1 # ann\n'); // #include lines are rewritten first
  assertSame("a: 1\r\n# c\r\nb: 2 # d\r\n");
  assertSame("a: 1 # é is past ASCII: the scan of comments stops here\n# dropped\nb: 2\n");
  assertSame("# only a comment");
  assertSame("");
  assertSame('a: "x" # "quoted" \\ comment\t\n');
});

Deno.test("direct conversion: scalars, escapes, sequences, protections as the reference writes them", () => {
  assertSame('s: "a\tb\\"c\\\\d\u0001e" q: \'it"s\' u: plain w: a:b:c\n');
  assertSame("c: (1, 2) d: (1,2) e: ( -1.5e3 , +2 )\n");
  assertSame("n: @nil r: @local::x.y[0] e: @erase i: @id::abc d: @db::x s: @sequence::q t: @table::t\n");
  assertSame("b: true f: false i: infinity j: -infinity k: +infinity\n");
  assertSame("n: [1, -2, +3, 1.5, .5, 5., 1e5, 1E-3, 0x1F, 0b101, 1_000]\n".replace(", 1_000", ""));
  assertSame("e: [] t: {} s: [[], [[1]], [{}], [{ a: [] }]]\n");
  assertSame(`s: [${Array.from({ length: 300 }, (_, i) => i).join(", ")}]\n`); // item keys past the first 256
  assertSame("t @protect_ignore: { a: 1 s: [1, { b: 2 }] u @protect_error: { c: 3 } }\nv @protect_error: 4\n");
  assertSame("a.b: 1\nc[0]: 2\nd.e[1].f: 3\n"); // dotted and indexed keys at the top level
  assertSame("a:1\nb :2\nc\t:\t3\nd:  4\ne: //x\n5\nf: #x\n6\n");
});

Deno.test("direct conversion: left to the reference — a refused text, or a value past ASCII", () => {
  for (
    const text of [
      "a: [1,]",
      "a: ",
      "a: {",
      "a: [1 2]",
      "a 1",
      "t: { a.b: 1 }",
      "t: { a[0]: 1 }",
      "@table::x",
      "a @initial: 1",
      'a: "x',
      "a: 'x",
      "a: 1x",
      "a: 1.2.3",
      "a: (1, 2",
      "a: 1}",
      "}",
      "BEGIN_PROLOG\na: 1\n",
      "END_PROLOG\n",
      "BEGIN_PROLOG\nBEGIN_PROLOG\nEND_PROLOG\n",
      "a: " + "[".repeat(600) + "]".repeat(600),
      "a: " + "{ b: ".repeat(600) + "1" + " }".repeat(600),
    ]
  ) {
    assert.equal(reference(text), null, text);
    assert.equal(direct(text), null, text);
  }
  // Accepted by the reference; its UTF-8 would need the decoder's view of the bytes: left to it.
  assert.ok(reference('a: "é"\n') !== null);
  assert.equal(direct('a: "é"\n'), null);
});

Deno.test("direct conversion: no rendering when not asked for; the trees are the same", () => {
  const text = "a: 1 # one\nt: { b: [1, 2] }\n";
  const rendered = encodeDbJsonTrees(text)!;
  assert.ok(rendered.fhicl !== null);
  const trees = { data: direct(text)!.data, metadata: direct(text)!.metadata };
  const plain = encodeDbJsonTrees(text, undefined, false)!;
  assert.equal(plain.fhicl, null);
  assert.equal(plain.data.map((part) => utf8.decode(part)).join(""), trees.data);
  assert.equal(plain.metadata.map((part) => utf8.decode(part)).join(""), trees.metadata);
});

Deno.test("direct conversion: a container remembered without a rendering does not cost a later one its rendering", () => {
  const table = bigTable(500);
  // Seen twice without a rendering (remembered at the second), then in a conversion that renders.
  encodeDbJsonTrees(`a: ${table}\nb: ${table}\n`, undefined, false);
  const text = `c: ${table}\n`;
  const trees = encodeDbJsonTrees(text)!;
  assert.ok(trees.fhicl !== null);
  const rendering = trees.fhicl.map((part) => utf8.decode(part)).join("");
  assert.equal(rendering, dbJsonToFhicl(fhiclToDbJson(text, "x", { timestamp: "" })));
  // A container whose rendering is out of order (a key replaced inside) still leaves the document without one.
  const replaced = table.replace("k1: 501", "k1: 501\n    k1: 7");
  encodeDbJsonTrees(`d: ${replaced}\ne: ${replaced}\n`);
  assert.equal(encodeDbJsonTrees(`f: ${replaced}\n`)!.fhicl, null);
  assertSame(`f: ${replaced}\n`);
});

Deno.test("direct conversion: the text's own bytes give what its text gives; buffers are reused safely", () => {
  const big = `t: {\n${Array.from({ length: 20_000 }, (_, i) => `  k${i}: "v${i}"`).join("\n")}\n}\n`;
  const bytes = new TextEncoder().encode(big);
  const fromBytes = direct(big, bytes);
  assert.deepEqual(fromBytes, reference(big));
  // A small conversion after a large one (buffers kept or dropped) is still exact, and the source is untouched.
  assertSame("a: 1\n");
  assert.equal(utf8.decode(bytes), big);
});

/** A table of about `bytes` bytes of text (large enough to be remembered), its values numbered from `from`. */
function bigTable(from: number, bytes = 600): string {
  const lines: string[] = [];
  for (let i = 0; lines.join("\n").length < bytes; i++) lines.push(`    k${i}: ${from + i}`);
  return `{\n${lines.join("\n")}\n  }`;
}

Deno.test("direct conversion: containers converted lately are taken again exactly, lines counted past them", () => {
  const table = bigTable(0);
  const sequence = `[${Array.from({ length: 150 }, (_, i) => i).join(", ")}]`;
  // Seen thrice: remembered at the second sighting, taken at the third; a comment right after each.
  const text = [1, 2, 3, 4].map((i) => `t${i}: ${table} # after t${i}\n# above s${i}\ns${i}: ${sequence}\n`).join("");
  assertSame(text);
  // Inside a table, in a sequence of tables, and once more in the next document (the thread's memory spans them).
  assertSame(`outer: {\n  a: ${table}\n  b: ${table}\n  c: [${table}, ${table}, ${table}]\n}\n`);
  assertSame(`x: ${table}\ny: ${table}\n`);
});

Deno.test("direct conversion: a remembered container is not taken where a comment, a protection or depth differs", () => {
  const table = bigTable(100);
  // A comment inside, or on the line before: the nodes there take it.
  const commented = table.replace("k3: 103", "k3: 103 # three");
  assertSame(`a: ${table}\nb: ${table}\nc: ${table}\nd: ${commented}\n# on d's line\ne: ${table}\n`);
  // The same bytes where the comment scanner sees a comment inside, and where it does not: after `""` the scanner
  // takes everything up to the next quote as a quoted span (artdaq_database's quirk), comments included.
  const swallowed = (a: string, b: string) => `q: ""\na: ${a}\nb: ${b}\nw: "z"\n`;
  assertSame(swallowed(commented, commented) + `c: ${commented}\n`); // remembered without the comment: not taken
  assertSame(`a: ${commented}\nb: ${commented}\n` + swallowed(commented, table)); // with it: not remembered
  assert.equal(scanComments(swallowed(commented, commented)).size, 0);
  // Another inherited protection: every node below carries it.
  assertSame(`a: ${table}\nb: ${table}\nc @protect_ignore: ${table}\nd @protect_error: ${table}\ne: ${table}\n`);
  // Taken at a depth where its nesting would pass the limit: the reference refuses, so must the direct conversion.
  const deep = (levels: number, inner: string) => "[".repeat(levels) + inner + "]".repeat(levels);
  const nested = deep(300, "1");
  assert.equal(direct(`a: ${nested}\nb: ${nested}\nc: ${nested}\nd: ${deep(250, nested)}\n`), null);
  assertSame(`a: ${nested}\nb: ${nested}\nc: ${nested}\nd: ${deep(150, nested)}\n`);
});

Deno.test("RecentContainers: an entry the arena has written over is not found, even where its source reads the same", () => {
  const bytes = (text: string) => new TextEncoder().encode(text);
  const recent = new RecentContainers(256); // entries of up to 32 bytes
  const source = bytes("{ a: 1 }");
  recent.remember(1, source, bytes("DATA-ONE-xxx"), bytes("META-ONE"), new Uint8Array(0), 0, 1); // 28 bytes at 0
  const src = bytes(`x: { a: 1 } y`);
  assert.ok(recent.find(1, src, 3) !== null);
  assert.equal(recent.find(1, src, 4), null); // another position: other bytes
  for (let key = 10; key < 17; key++) {
    recent.remember(key, bytes(`{ f: ${key} }`), bytes("D".repeat(12)), bytes("M".repeat(10)), new Uint8Array(0), 0, 1);
  }
  assert.ok(recent.find(1, src, 3) !== null); // 252 bytes written: the first entry is intact
  // The next does not fit before the arena's end: it starts the next round, over the first entry, with the same
  // source bytes at its start; the first entry is gone all the same (its data were written over).
  recent.remember(3, source, bytes("OTHER"), bytes("OTHER"), new Uint8Array(0), 0, 1);
  assert.equal(recent.find(1, src, 3), null);
  assert.ok(recent.find(3, src, 3) !== null);
  // Larger than an eighth of the arena: not remembered.
  recent.remember(4, bytes("{ c: 123456789 }"), bytes("D".repeat(12)), bytes("M".repeat(8)), new Uint8Array(0), 0, 1);
  assert.equal(recent.find(4, bytes("{ c: 123456789 }"), 0), null);
  // A key is remembered at its second sighting only.
  assert.equal(recent.seenBefore(99), false);
  assert.equal(recent.seenBefore(99), true);
});
