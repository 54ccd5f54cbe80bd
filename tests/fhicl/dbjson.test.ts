/**
 * FHiCL → DB-JSON rules (artdaq-database.md §5.1–§5.3) and the real corpus through store → export.
 */
import { dbJsonToFhicl, FhiclSyntaxError, fhiclToDbJson, rewriteIncludes, scanComments } from "../../core/fhicl/mod.ts";
import { type JsonObject, parseOrdered, stringifyArtdaq } from "../../core/json/mod.ts";
import { RunInputError } from "../../core/errors.ts";
import { assertEquals, assertOk, assertThrows } from "../json/_assert.ts";
import { FIXTURE_TIMESTAMP, listFcl, REAL_FIXTURES } from "./_corpus.ts";
import { seededRandom } from "../../core/random.ts";

const toDb = (text: string) => fhiclToDbJson(text, "notprovided", { timestamp: FIXTURE_TIMESTAMP });
const part = (doc: JsonObject, ...path: string[]) =>
  path.reduce<unknown>((v, k) => (v as JsonObject).get(k), doc) as JsonObject;

Deno.test("comment scanner: quotes, markers, line numbers, ASCII only", () => {
  const comments = scanComments("a: \"x#y\" # one\nb: 'p//q' // two\n  #three  \nc: 1 # four\n");
  assertEquals([...comments], [[1, "# one"], [2, "// two"], [3, "#three  "], [4, "# four"]]);
  // An empty "" is no quoted span ("[^"]+" needs a character), so its second quote opens one up to the next quote.
  assertEquals([...scanComments('c: "" # hidden\nd: "x" # seen\n')], [[2, "# seen"]]);
  assertEquals([...scanComments("a: 1 # ok é dropped\n# later")], [[1, "# ok "]]);
  // The first character past ASCII stops the scan wherever it is: last, an astral one, a lone surrogate.
  assertEquals([...scanComments("# x\n# y é")], [[1, "# x"], [2, "# y "]]);
  assertEquals([...scanComments("# x\n# \u{1f600} y")], [[1, "# x"], [2, "# "]]);
  assertEquals([...scanComments("# a\ud800b\n# c")], [[1, "# a"]]);
  // A long ASCII text (past the ASCII check's kept scratch space) is scanned to its end.
  const long = "a: 1\n".repeat(300_000) + "# last";
  assertEquals([...scanComments(long)], [[300_001, "# last"]]);
  assertEquals([...scanComments("a: 1\n")], []);
});

/**
 * The comment scanner written the plain way, a look at every character (the implementation before round 8 of
 * BENCHMARKS.md): the reference the native-search scanner must agree with.
 */
function referenceScanComments(text: string): Map<number, string> {
  const comments = new Map<number, string>();
  let line = 1;
  let pos = 0;
  while (pos < text.length) {
    const c = text.charCodeAt(pos);
    if (c > 0x7f) break;
    if (c === 0x0a) {
      line++;
      pos++;
    } else if (c === 0x22 || c === 0x27) {
      const close = text.indexOf(text[pos], pos + 1);
      if (close <= pos + 1) {
        pos++;
        continue;
      }
      const span = text.slice(pos + 1, close);
      if (/[\u0080-\uffff]/.test(span)) break;
      line += span.split("\n").length - 1;
      pos = close + 1;
    } else if (c === 0x23 || (c === 0x2f && text[pos + 1] === "/")) {
      let end = text.indexOf("\n", pos);
      if (end === -1) end = text.length;
      const ascii = /^[^\u0080-\uffff]*/.exec(text.slice(pos, end))![0];
      comments.set(line, ascii);
      if (ascii.length < end - pos) break;
      pos = end;
    } else {
      pos++;
    }
  }
  return comments;
}

Deno.test("comment scanner agrees with a character-by-character scan on random texts", () => {
  const random = seededRandom(20261130);
  const alphabet = ["a", "b", " ", "\n", '"', "'", "#", "/", "//", ": ", "é", "\t", "x#y", "'q'", '"s"'];
  for (let i = 0; i < 20_000; i++) {
    const length = Math.floor(random() * 40);
    let text = "";
    for (let j = 0; j < length; j++) {
      // Non-ASCII rarely, so that most texts are scanned to their end.
      const k = Math.floor(random() * alphabet.length);
      text += alphabet[k] === "é" && random() < 0.8 ? "c" : alphabet[k];
    }
    assertEquals([...scanComments(text)], [...referenceScanComments(text)], JSON.stringify(text));
  }
});

Deno.test("#include rewriting follows the regex #include\\s[^'\"]* everywhere", () => {
  assertEquals(
    rewriteIncludes('#include "a.fcl"\nx: { #include "b.fcl" }'),
    'fhicl_pound_include_0:"a.fcl"\nx: { fhicl_pound_include_1:"b.fcl" }',
  );
  assertEquals(rewriteIncludes("#includes x\n#include\t'c'"), "#includes x\nfhicl_pound_include_0:'c'");
});

Deno.test("data, types, comments, annotations, duplicates and prolog overrides", () => {
  const doc = toDb([
    "BEGIN_PROLOG",
    "p: 1",
    "q: { x: 1 }",
    "END_PROLOG",
    "# above a",
    "a.b.c: 0x1F # same line",
    "t: { k: 1 k: 'two' }",
    "p: 3",
    "a.b.c: true",
    "c: (1.23, -0.45)",
    "n: [ @nil, TRUE, @local::q, -infinity ]",
    "// slash comments never become a comment",
    "z: 1",
  ].join("\n"));
  assertEquals(
    stringifyArtdaq(part(doc, "document", "data")),
    stringifyArtdaq(parseOrdered(
      '{"prolog":{"q":{"x":"1"}},"main":{"a.b.c":"0x1F","t":{"k":"two"},"p":"3","a.b.c":"true","c":"(1.23,",' +
        '"n":["@nil","TRUE","@local::q","-infinity"],"z":"1"}}',
    )),
  );
  const main = part(doc, "document", "metadata", "main", "children");
  assertEquals(main.keys(), ["a.b.c", "t", "p", "a.b.c", "c", "n", "z"]);
  assertEquals(
    stringifyArtdaq(main.getAll("a.b.c")[0]),
    stringifyArtdaq(parseOrdered(
      '{"type":"number","comment":"# above a","annotation":"# same line"}',
    )),
  );
  assertEquals(
    stringifyArtdaq(part(main, "t", "children", "k")),
    stringifyArtdaq(parseOrdered(
      '{"type":"string_singlequoted","comment":"# same line","annotation":""}',
    )),
  );
  assertEquals(part(main, "n", "children").entries().map(([, m]) => (m as JsonObject).get("type")), [
    "nil",
    "string_unquoted",
    "string_unquoted",
    "number",
  ]);
  assertEquals(part(main, "z").get("comment"), "");
  assertEquals(part(main, "z").get("annotation"), "");
});

Deno.test("artdaq_database's parser limits are FhiclSyntaxErrors with positions", () => {
  const cases: Array<[string, number, number, string]> = [
    ["a: 1\n@table::x\n", 2, 1, "@table::"],
    ["t: {\n  a.b: 1\n}", 2, 3, "dotted or indexed key inside a table"],
    ["t: {\n  u: { x: 1 a[0]: 1 }\n}", 2, 13, "dotted or indexed key inside a table"],
    ["a @initial: 1", 1, 3, "unknown binding modifier"],
    ["a: [1,]", 1, 7, "trailing ','"],
  ];
  for (const [text, line, column, reason] of cases) {
    const error = assertThrows(() => fhiclToDbJson(text, "boot", { sourceName: "boot.fcl" }), FhiclSyntaxError, reason);
    assertEquals([error.filename, error.location.line, error.location.column], ["boot.fcl", line, column], text);
  }
  assertThrows(() => dbJsonToFhicl(parseOrdered('{"document":{}}')), RunInputError, "document.data");
  assertThrows(
    () => dbJsonToFhicl(parseOrdered('{"document":{"data":{"main":{"a":"1"}},"metadata":{"main":{"children":{}}}}}')),
    RunInputError,
    'no metadata for the top-level key "a"',
  );
});

Deno.test("every real .fcl converts (or fails only where artdaq_database fails), and export is a fixed point", () => {
  let converted = 0;
  for (const file of listFcl(REAL_FIXTURES)) {
    const text = Deno.readTextFileSync(file);
    let first: string;
    try {
      first = dbJsonToFhicl(toDb(text));
    } catch (error) {
      // The only construct in the corpus artdaq_database cannot store: @table:: in place of a key.
      assertOk(error instanceof FhiclSyntaxError && error.reason.includes("@table::"), `${file}: ${error}`);
      assertOk(error.location.lineText.trimStart().startsWith("@table::"), file);
      continue;
    }
    const second = dbJsonToFhicl(toDb(first));
    assertEquals(dbJsonToFhicl(toDb(second)), second, file);
    converted++;
  }
  assertOk(converted >= 600, `only ${converted} files converted`);
});

Deno.test("the deepest FHiCL the parser accepts survives store → JSON text → export", () => {
  const text = "a: " + "{ b: ".repeat(499) + "1" + " }".repeat(499) + "\n";
  const doc = toDb(text);
  assertEquals(dbJsonToFhicl(parseOrdered(stringifyArtdaq(doc))), dbJsonToFhicl(doc));
});
