import { assertEquals, assertOk as assert, assertThrows } from "./_assert.ts";
import {
  encodeArtdaq,
  formatKarmaDouble,
  fromPlain,
  JsonNumber,
  JsonObject,
  JsonSyntaxError,
  type JsonValue,
  parseOrdered,
  quoteJsonString,
  stringifyArtdaq,
  toPlain,
} from "../../core/json/mod.ts";
import { fhiclToDbJson } from "../../core/fhicl/mod.ts";
import { listFcl } from "../../core/fhicl/fuzz.ts";
import { realFixturesDir } from "../../core/paths.ts";

Deno.test("parseOrdered keeps key order, duplicate keys and number spellings", () => {
  const doc = parseOrdered('{"b":1,"a":[1.0,-0,2e5,12345678901234567890],"b":{"x":"y"}}') as JsonObject;
  assertEquals(doc.keys(), ["b", "a", "b"]);
  const a = doc.get("a") as JsonNumber[];
  assertEquals(a.map((n) => n.text), ["1.0", "-0", "2e5", "12345678901234567890"]);
  assertEquals(a[3].toBigInt(), 12345678901234567890n);
  assertEquals(doc.get("b"), new JsonNumber("1"));
  assertEquals(doc.getAll("b").length, 2);
});

Deno.test("parseOrdered decodes escapes and rejects bad input with a located error", () => {
  assertEquals(parseOrdered('"a\\"b\\\\c\\n\\u00e9\\/"'), 'a"b\\c\né/');
  const error = assertThrows(() => parseOrdered('{\n  "a": [1,]\n}', { source: "doc.json" }), JsonSyntaxError);
  assert(error instanceof JsonSyntaxError);
  assertEquals(error.message, 'doc.json:2:11: invalid JSON: unexpected "]"');
  assertEquals(error.excerpt, '  "a": [1,]\n          ^');
  assertThrows(() => parseOrdered('{"a":1} x'), JsonSyntaxError);
  assertEquals(toPlain(parseOrdered('{"a":1} x', { allowTrailing: true })), { a: 1 });
  for (const bad of ["", "{", "[1", '{"a"}', '{"a":}', "tru", '"\\x"', '"a', "01", "1.", "-", '{"a":1,}', '"\u0001"']) {
    assertThrows(() => parseOrdered(bad), JsonSyntaxError, undefined, JSON.stringify(bad));
  }
});

Deno.test("parseOrdered refuses absurd nesting instead of overflowing the stack", () => {
  assertThrows(() => parseOrdered("[".repeat(5000) + "]".repeat(5000)), JsonSyntaxError, "nesting deeper");
  assertEquals((parseOrdered("[".repeat(1100) + "]".repeat(1100)) as unknown[]).length, 1);
});

Deno.test("stringifyArtdaq writes the JsonWriter layout", () => {
  const doc = new JsonObject().add("a", 'x"\\\t').add("a", []).add("o", new JsonObject()).add(
    "n",
    [new JsonNumber("12345678901234567890"), 3, true, false, 2.5],
  );
  assertEquals(
    stringifyArtdaq(doc),
    '{\n"a" : "x\\"\\\\\\t",\n"a" : [\n\n],\n"o" : {\n\n},\n"n" : [\n12345678901234567890,\n3,\ntrue,\nfalse,\n2.5\n]\n}',
  );
  assertEquals(stringifyArtdaq({ a: { b: ["c"] } }), '{\n"a" : {\n"b" : [\n"c"\n]\n}\n}');
  assertThrows(() => stringifyArtdaq({ a: null } as unknown as Record<string, unknown>), TypeError);
});

Deno.test("stringifyArtdaq ∘ parseOrdered is the identity on JsonWriter text", () => {
  const text = '{\n"k" : "v",\n"k" : [\n{\n\n},\n1.50\n],\n"u" : "é\\n"\n}';
  assertEquals(stringifyArtdaq(parseOrdered(text)), text);
});

Deno.test("quoteJsonString and formatKarmaDouble", () => {
  assertEquals(quoteJsonString("\u0001/"), '"\\u0001/"');
  // Native fast path and exact path agree: short escapes, lower-case \u00XX, U+2028 and non-ASCII kept, and a lone
  // surrogate kept as it is (artdaq_database does; the native encoder would write \ud800), also beside a literal \ud.
  assertEquals(quoteJsonString('a"b\\c\b\f\n\r\t\u001f\u2028é😀'), '"a\\"b\\\\c\\b\\f\\n\\r\\t\\u001f\u2028é😀"');
  assertEquals(quoteJsonString("x\ud800y"), '"x\ud800y"');
  assertEquals(quoteJsonString("\\ud800\ud800"), '"\\\\ud800\ud800"');
  assertEquals(formatKarmaDouble(2.5), "2.5");
  assertEquals(formatKarmaDouble(0.12345), "0.123");
  assertEquals(formatKarmaDouble(-1.5e-4), "-1.5e-4");
  assertEquals(formatKarmaDouble(1e-4), "1.0e-4");
  assertEquals(formatKarmaDouble(123456.7), "1.235e5");
  assertEquals(formatKarmaDouble(0.1), "0.1");
});

Deno.test("toPlain and fromPlain", () => {
  const doc = parseOrdered('{"a":1,"a":2,"big":12345678901234567890,"x":[{"y":null}]}');
  assertEquals(toPlain(doc), { a: 1, big: 12345678901234567890n, x: [{ y: null }] });
  assertEquals(toPlain(doc, { bigIntegers: "string" }), { a: 1, big: "12345678901234567890", x: [{ y: null }] });
  const ordered = fromPlain({ z: 1, a: [true, 5n] }) as JsonObject;
  assertEquals(ordered.keys(), ["z", "a"]);
  assertEquals(stringifyArtdaq(ordered), '{\n"z" : 1,\n"a" : [\ntrue,\n5\n]\n}');
});

Deno.test("parseOrdered's key cache: escaped, long, empty and colliding keys read as written", () => {
  // "ab" is cached first; the same key escaped, a longer key with the same start and a key holding an escaped quote
  // must not be taken for it.
  const doc = parseOrdered(
    '{"ab":1,"a\\u0062":2,"abb":3,"a\\"b":4,"":5,"ab":6,"a_long_key_of_thirty_chars_xx":7,"a_long_key_of_thirty_chars_yy":8}',
  ) as JsonObject;
  assertEquals(doc.keys(), [
    "ab",
    "ab",
    "abb",
    'a"b',
    "",
    "ab",
    "a_long_key_of_thirty_chars_xx",
    "a_long_key_of_thirty_chars_yy",
  ]);
  const again = parseOrdered('{"a_long_key_of_thirty_chars_xx":0}') as JsonObject;
  assert(again.keys()[0] === doc.keys()[6]);
  assertThrows(() => parseOrdered('{"ab'), JsonSyntaxError, "unterminated string");
  assertThrows(() => parseOrdered('{"ab\u0001":1}'), JsonSyntaxError, "control character");
});

Deno.test("stringifyArtdaq ∘ parseOrdered is the identity on the DB-JSON of every real .fcl", () => {
  let checked = 0;
  for (const file of listFcl(realFixturesDir())) {
    let text: string;
    try {
      text = stringifyArtdaq(fhiclToDbJson(Deno.readTextFileSync(file), "doc", { timestamp: "t" }));
    } catch {
      continue; // not storable (tests/fhicl covers which)
    }
    assertEquals(stringifyArtdaq(parseOrdered(text)), text, file);
    checked++;
  }
  assert(checked >= 600, `only ${checked} documents`);
});

Deno.test("encodeArtdaq is the UTF-8 of stringifyArtdaq: escapes, non-ASCII, lone surrogates, numbers, frozen", () => {
  const te = new TextEncoder();
  const same = (value: Parameters<typeof stringifyArtdaq>[0]) =>
    assertEquals(encodeArtdaq(value), te.encode(stringifyArtdaq(value)), stringifyArtdaq(value));
  const frozen = Object.freeze(new JsonObject([["type", "number"], ["comment", "é"]]));
  const doc = new JsonObject()
    .add("plain", "value").add("quote", 'a"b\\c').add("control", "\u0001\t\n\u007f").add("é key", "ünï ✓ 𝄞").add(
      'q"\\k\u0001',
      1,
    )
    .add("lone", "x\ud800y\udc00").add("a_key_longer_than_sixty_four_characters_to_skip_the_key_cache_xxxxx", "")
    .add("numbers", [new JsonNumber("12345678901234567890"), 3, -0.5, 2.5e-7, 1e21, true, false])
    .add("empty", [new JsonObject(), [], {} as JsonValue]).add("frozen", [frozen, frozen]).add(
      "plain object",
      { b: ["c"], d: 1 } as unknown as JsonValue,
    );
  same(doc);
  same("top-level ✓");
  same([]);
  same({ a: "x".repeat(200_000) + "é" }); // grows the buffer past its first size mid-string
  assertThrows(() => encodeArtdaq({ a: null } as unknown as Record<string, unknown>), TypeError);
  same(doc); // the buffer and the caches are reusable after a failed call
});

Deno.test("encodeArtdaq equals the UTF-8 of stringifyArtdaq on the DB-JSON of every real .fcl", () => {
  const te = new TextEncoder();
  let checked = 0;
  for (const file of listFcl(realFixturesDir())) {
    let doc: JsonObject;
    try {
      doc = fhiclToDbJson(Deno.readTextFileSync(file), "doc", { timestamp: "t" });
    } catch {
      continue; // not storable (tests/fhicl covers which)
    }
    assertEquals(encodeArtdaq(doc), te.encode(stringifyArtdaq(doc)), file);
    checked++;
  }
  assert(checked >= 600, `only ${checked} documents`);
});
