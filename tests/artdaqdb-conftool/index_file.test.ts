/**
 * `index.json` in memory (plugins/artdaqdb-conftool/fs/index_file.ts): additions are merged into the sorted lists
 * lazily; whatever the order of adds and reads, every list reads sorted and without duplicates, names keep the order
 * in which they first appeared, and the text equals that of an index built one document at a time.
 */
import assert from "node:assert/strict";
import type { DocumentFacts } from "../../plugins/artdaqdb-conftool/document.ts";
import { CollectionIndex, EMPTY_INDEX_TEXT } from "../../plugins/artdaqdb-conftool/fs/index_file.ts";
import { seededRandom } from "../../core/random.ts";
import { concatBytes } from "../../core/blob/bytes.ts";

function facts(id: string, run: number, entity: string, assigned: string): DocumentFacts {
  return {
    id,
    version: `${run}/std`,
    entities: [entity],
    configurations: [{ name: `${run}/std`, assigned }],
    runs: [String(run)],
    aliases: [],
    created: assigned,
    format: "fhicl",
  };
}

Deno.test("index: lazily merged lists equal eagerly kept ones, whatever the order of adds and reads", () => {
  const random = seededRandom(11);
  const hex = () => Array.from({ length: 24 }, () => "0123456789abcdef"[Math.floor(random() * 16)]).join("");
  const all: DocumentFacts[] = [];
  for (let run = 1; run <= 60; run++) {
    for (const entity of ["boot", "schema", "tpc01"]) all.push(facts(hex(), run, entity, `2024-03-0${1 + (run % 9)}`));
  }
  const index = CollectionIndex.parse(EMPTY_INDEX_TEXT);
  const expected = new Map<string, Map<string, string[]>>();
  const expect = (map: string, name: string, value: string) => {
    const names = expected.get(map) ?? expected.set(map, new Map()).get(map)!;
    const list = names.get(name) ?? names.set(name, []).get(name)!;
    if (!list.includes(value)) list.push(value);
    list.sort();
  };
  const ouid = new Set<string>();
  for (const [i, fact] of all.entries()) {
    index.add(fact);
    if (i % 7 === 0) index.add(fact); // idempotent
    ouid.add(fact.id);
    expect("version", fact.version, fact.id);
    expect("configurations.name", fact.configurations[0].name, fact.id);
    expect("configurations.assigned", fact.configurations[0].name, fact.configurations[0].assigned);
    expect("entities.name", fact.entities[0], fact.id);
    expect("runs.name", fact.runs[0], fact.id);
    // Reads in between merge some lists early.
    if (i % 5 === 0) assert.deepEqual(index.ids("entities.name", "boot"), expected.get("entities.name")!.get("boot"));
    if (i % 11 === 0) assert.ok(index.has(fact.id));
    if (i % 13 === 0) assert.equal(index.configurationsByRun("schema").size, Math.floor(i / 3) + (i % 3 >= 1 ? 1 : 0));
  }
  assert.deepEqual(index.ouid, [...ouid].sort());
  for (const [map, names] of expected) {
    assert.deepEqual([...index.map(map as never).keys()], [...names.keys()], `${map}: names in first-seen order`);
    for (const [name, list] of names) assert.deepEqual(index.map(map as never).get(name), list, `${map}.${name}`);
  }
  assert.equal(index.latestAssigned("60/std"), "2024-03-07");

  // The same documents added one at a time, each read back at once, give the same text.
  const eager = CollectionIndex.parse(EMPTY_INDEX_TEXT);
  for (const fact of all) {
    eager.add(fact);
    assert.ok(eager.has(fact.id));
  }
  assert.equal(index.toText(), eager.toText());
  assert.equal(CollectionIndex.parse(index.toText()).toText(), index.toText());

  // Removal sees pending additions.
  const more = facts(hex(), 61, "boot", "2024-03-09");
  index.add(more);
  index.remove(more.id);
  assert.ok(!index.has(more.id));
  assert.equal(index.toText(), eager.toText());
});

/** The bytes `writeTo` streams, in chunks of `chunkBytes`. */
function written(index: CollectionIndex, chunkBytes?: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  index.writeTo((chunk) => chunks.push(chunk.slice()), chunkBytes);
  return concatBytes(chunks);
}

Deno.test("index: writeTo streams exactly the UTF-8 of toText (escapes, non-ASCII names, extra keys, empty maps)", () => {
  const text = `{"ouid":["b","a\\"q"], "version":{"v\\\\1":["a\\"q"],"vé":["b"]},"configurations.name":{}, ` +
    `"entities.name":{"ü\\u0001":["b"]},"aliases.active.name":{}, "runs.name":{"12":["b"]},` +
    `"configurations.assigned":{}, "extra":{"k":[1,2.50,"x"]} }`;
  const index = CollectionIndex.parse(text);
  const utf8 = new TextEncoder();
  assert.deepEqual(written(index), utf8.encode(index.toText()));
  const empty = CollectionIndex.parse(EMPTY_INDEX_TEXT);
  assert.deepEqual(written(empty), utf8.encode(empty.toText()));
  // A large index in small chunks: every chunk boundary (inside strings, keys, escapes) is exact, and no chunk is
  // much larger than asked for.
  for (let i = 0; i < 5000; i++) index.add(facts(i.toString(16).padStart(24, "0"), i, "boot", "2024-03-04"));
  const expected = utf8.encode(index.toText());
  assert.ok(expected.length > 1 << 16);
  for (const chunkBytes of [64, 1000, 1 << 16, 1 << 20]) {
    let largest = 0;
    index.writeTo((chunk) => largest = Math.max(largest, chunk.length), chunkBytes);
    assert.ok(largest <= chunkBytes, `chunks of ${chunkBytes}: one of ${largest}`);
    assert.deepEqual(written(index, chunkBytes), expected, `chunks of ${chunkBytes}`);
  }
});
