/**
 * Values taken again where their whole text was read lately (core/json/recent_texts.ts): `readReusing` gives the
 * model `parseOrdered` gives, on documents read one after another that repeat large subtrees at other places, other
 * depths and in other documents, with changes inside them; the nesting limit holds for a value taken again deeper;
 * `keep` lets go of long texts and of values of long documents, and a value found again in a later document stays.
 */
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
import { ownModelStrings, readReusing, RecentTexts } from "../../core/json/recent_texts.ts";
import { assertEquals, assertOk, assertThrows } from "./_assert.ts";

const recent = () =>
  new RecentTexts<JsonValue>({
    slots: 16,
    insertAt: 8,
    keptText: 1 << 16,
    keptTotal: 1 << 20,
    keptDocuments: 4 << 20,
    ownStrings: ownModelStrings,
  });

function read(text: string, cache: RecentTexts<JsonValue>, minText = 200): JsonValue {
  try {
    return readReusing(new JsonReader(text, "doc.json"), cache, minText);
  } finally {
    cache.keep();
  }
}

/** A deterministic generator of tables: `size` entries, strings, numbers, nested tables and lists. */
function table(seed: number, size: number, depth: number): JsonObject {
  const object = new JsonObject();
  for (let i = 0; i < size; i++) {
    const k = (seed * 31 + i * 17) % 7;
    const key = `key_${i}_${k}`;
    if (depth > 0 && k === 0) object.add(key, table(seed + i, Math.max(2, size >> 1), depth - 1));
    else if (k === 1) object.add(key, [String(seed), new JsonNumber(String(i)), true]);
    else if (k === 2) object.add(key, new JsonNumber(`${seed}.5e${i}`));
    else object.add(key, `value ${seed} ${i} with some length to it`);
  }
  if (seed % 3 === 0) object.add("key_0_dup", "a duplicate key");
  return object;
}

Deno.test("readReusing gives parseOrdered's model for documents that repeat subtrees", () => {
  const cache = recent();
  const shared = [table(1, 12, 2), table(2, 30, 1), table(3, 8, 3)];
  let taken = 0;
  for (let n = 0; n < 200; n++) {
    // Each document: some of the shared tables (at varying places and depths), one of them changed in one value,
    // and tables of its own.
    const doc = new JsonObject();
    for (let j = 0; j < 4; j++) {
      const pick = shared[(n + j) % shared.length];
      const changed = (n + j) % 5 === 0 ? parseOrdered(stringifyArtdaq(pick)) as JsonObject : pick;
      if (changed !== pick) changed.flat[1] = `changed in document ${n}`;
      const wrapped = j % 2 === 0 ? changed : new JsonObject([["wrapper", [changed, table(n, 3, 0)]]]);
      doc.add(`part_${j}`, wrapped);
    }
    doc.add("own", table(1000 + n, 6, 1));
    const text = n % 2 === 0 ? stringifyArtdaq(doc) : stringifyArtdaq(doc).replaceAll("\n", "");
    const before = cache.length;
    const value = read(text, cache);
    if (cache.length !== before) taken++;
    assertEquals(stringifyArtdaq(value), stringifyArtdaq(parseOrdered(text)), `document ${n}`);
  }
  assertOk(taken > 100, `values were taken again in only ${taken} documents`);
});

Deno.test("readReusing keeps the nesting limit for a value taken again deeper", () => {
  // A chain of 1,090 nested arrays read at depth 1, then the same text below 20 more levels: over the limit.
  const chain = "[".repeat(1090) + "]".repeat(1090);
  const cache = recent();
  const fits = `{"a":${chain}}`;
  assertEquals(stringifyArtdaq(read(fits, cache, 10)), stringifyArtdaq(parseOrdered(fits)));
  const deeper = `{"a":${chain},"b":${"[".repeat(20)}${chain}${"]".repeat(20)}}`;
  assertThrows(() => parseOrdered(deeper), JsonSyntaxError, `nesting deeper than ${MAX_JSON_DEPTH} levels`);
  assertThrows(() => read(deeper, cache, 10), JsonSyntaxError, `nesting deeper than ${MAX_JSON_DEPTH} levels`);
});

Deno.test("RecentTexts: long texts and the values of long documents are let go; values found again stay", () => {
  const cache = new RecentTexts<JsonValue>({
    slots: 4,
    insertAt: 2,
    keptText: 100,
    keptTotal: 1000,
    keptDocuments: 1000,
    ownStrings: ownModelStrings,
  });
  const small = '{"x":"a value that is long enough to be a slice"}';
  const long = `{"y":"${"z".repeat(200)}"}`;
  const doc = `[${small},${long}]`;
  cache.remember(doc, 1, 1 + small.length, parseOrdered(small), 1);
  cache.remember(doc, 2 + small.length, 2 + small.length + long.length, parseOrdered(long), 1);
  cache.keep(); // the long text goes, the short one stays
  assertOk(cache.find(`[${long}]`, 1, MAX_JSON_DEPTH) === undefined, "a text over keptText is let go");
  const found = cache.find(`[${small}]`, 1, MAX_JSON_DEPTH);
  assertEquals(stringifyArtdaq(found!), stringifyArtdaq(parseOrdered(small)));
  assertEquals(cache.length, small.length);
  // A value of a document over keptDocuments goes when the document has been read, unless found again in a later one.
  const big = `[${small.replace("a value", "b value")}${" ".repeat(2000)}]`;
  cache.remember(big, 1, 1 + small.length, parseOrdered(small.replace("a value", "b value")), 1);
  cache.keep();
  assertOk(cache.find(`[${small.replace("a value", "b value")}]`, 1, MAX_JSON_DEPTH) === undefined);
  assertOk(cache.find(`[${small}]`, 1, MAX_JSON_DEPTH) !== undefined, "the value found before stays");
  // Not taken where it does not fit under the nesting limit.
  assertOk(cache.find(`[${small}]`, 1, 0) === undefined);
  // At most keptTotal of text stays, the most used first.
  const values = ["c", "d", "e"].map((c) => small.replace("a value", `${c} value`));
  const three = `[${values.join(",")}]`;
  let at = 1;
  for (const value of values) {
    cache.remember(three, at, at + value.length, parseOrdered(value), 1);
    at += value.length + 1;
  }
  cache.find(three, 1 + values[0].length + 1, MAX_JSON_DEPTH); // "d" found: it moves up
  cache.keep(); // keptTotal 1000 holds them all (and the one before)
  assertOk(cache.find(`[${values[2]}]`, 1, MAX_JSON_DEPTH) !== undefined);
  const tight = new RecentTexts<JsonValue>({
    slots: 4,
    insertAt: 3,
    keptText: 100,
    keptTotal: 2 * small.length,
    keptDocuments: 1000,
    ownStrings: ownModelStrings,
  });
  at = 1;
  for (const value of values) {
    tight.remember(three, at, at + value.length, parseOrdered(value), 1);
    at += value.length + 1;
  }
  tight.keep(); // room for two texts: the first two in order stay, the third goes
  assertOk(tight.find(`[${values[0]}]`, 1, MAX_JSON_DEPTH) !== undefined);
  assertOk(tight.find(`[${values[1]}]`, 1, MAX_JSON_DEPTH) !== undefined);
  assertOk(tight.find(`[${values[2]}]`, 1, MAX_JSON_DEPTH) === undefined, "over keptTotal");
});
