/**
 * `index.json` as a stream (plugins/artdaqdb-conftool/fs/index_stream.ts): a group commit merged line by line
 * writes exactly the bytes of the full model (`CollectionIndex`: parse, add, write), whatever the read buffer's
 * size; the catalogue answers every query as the full model does, and a view over the catalogue with pending
 * additions answers as the full model with those additions.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { DocumentFacts } from "../../plugins/artdaqdb-conftool/document.ts";
import { CollectionIndex, EMPTY_INDEX_TEXT, type IndexBase } from "../../plugins/artdaqdb-conftool/fs/index_file.ts";
import {
  IndexAdditions,
  IndexCatalog,
  NotStreamable,
  PendingView,
} from "../../plugins/artdaqdb-conftool/fs/index_stream.ts";
import { seededRandom } from "../../core/random.ts";
import { tempDir } from "../_helpers/peers.ts";
import { concatBytes } from "../../core/blob/bytes.ts";

type Random = () => number;

const ENTITIES = ["boot", "schema", "tpc01", "EventBuilder1", "dispatcher", "metadata"];
const ODD_NAMES = ['run "quoted"', "back\\slash", "tab\there", "café", "line\nbreak", "😀 emoji", "/"];

function hex(random: Random): string {
  return Array.from({ length: 24 }, () => "0123456789abcdef"[Math.floor(random() * 16)]).join("");
}

/** The facts of a document of `run`, sometimes with an odd configuration name or several entities. */
function document(random: Random, run: number, odd: boolean): DocumentFacts {
  const config = odd && random() < 0.3 ? ODD_NAMES[Math.floor(random() * ODD_NAMES.length)] : "std";
  const name = `${run}/${config}`;
  const entities = [ENTITIES[Math.floor(random() * ENTITIES.length)]];
  if (random() < 0.1) entities.push(ENTITIES[Math.floor(random() * ENTITIES.length)]);
  const assigned = `2024-03-0${1 + Math.floor(random() * 9)}T00:00:0${Math.floor(random() * 10)}.000-0600`;
  return {
    id: hex(random),
    version: random() < 0.2 ? `${name}v${1 + Math.floor(random() * 3)}` : name,
    entities,
    configurations: [{ name, assigned }],
    runs: [String(run)],
    aliases: random() < 0.05 ? ["current"] : [],
    created: assigned,
    format: "fhicl",
  };
}

/** Documents for `runs` runs starting at `first`, and re-adds of some of `earlier`. */
function batch(random: Random, first: number, runs: number, earlier: DocumentFacts[], odd: boolean): DocumentFacts[] {
  const out: DocumentFacts[] = [];
  for (let run = first; run < first + runs; run++) {
    const count = 1 + Math.floor(random() * 5);
    for (let i = 0; i < count; i++) out.push(document(random, run, odd));
  }
  for (const old of earlier) if (random() < 0.05) out.push(old); // re-added: no change
  // A document added to a configuration that already exists (an update).
  if (earlier.length > 0) {
    const old = earlier[Math.floor(random() * earlier.length)];
    out.push({ ...old, id: hex(random), version: `${old.version}v9`, entities: ["schema"] });
  }
  return out;
}

/** The full model of `facts`, written to `path` when given. */
function modelOf(facts: readonly DocumentFacts[], path?: string): CollectionIndex {
  const model = CollectionIndex.empty();
  for (const fact of facts) model.add(fact);
  if (path) Deno.writeTextFileSync(path, model.toText());
  return model;
}

/** What a rewrite (`merge` or `prune`) writes, whole, and its `finish`. */
function written(
  rewrite: (sink: (piece: Uint8Array) => void) => (file: Deno.FsFile) => IndexCatalog,
): { bytes: Uint8Array; text: string; finish: (file: Deno.FsFile) => IndexCatalog } {
  const pieces: Uint8Array[] = [];
  const finish = rewrite((piece) => pieces.push(piece.slice()));
  const bytes = concatBytes(pieces);
  return { bytes, text: new TextDecoder().decode(bytes), finish };
}

function assertSameAnswers(actual: IndexBase, expected: CollectionIndex, facts: DocumentFacts[], where: string) {
  const names = new Set(facts.flatMap((fact) => fact.configurations.map((c) => c.name)));
  names.add("404/none");
  for (const name of names) {
    assert.deepEqual(actual.configurationIds(name), expected.configurationIds(name), `${where}: ids of ${name}`);
    assert.equal(actual.latestAssigned(name), expected.latestAssigned(name), `${where}: assigned of ${name}`);
  }
  for (const version of new Set([...facts.map((fact) => fact.version), "404/none"])) {
    assert.deepEqual(actual.versionIds(version), expected.versionIds(version), `${where}: version ${version}`);
  }
  for (const entity of [...ENTITIES, "nothing"]) {
    assert.deepEqual(actual.entityIds(entity), expected.entityIds(entity), `${where}: entity ${entity}`);
    const sorted = (byRun: Map<number, string[]>) =>
      [...byRun].map(([run, list]) => [run, [...list].sort()]).sort((a, b) => (a[0] as number) - (b[0] as number));
    assert.deepEqual(
      sorted(actual.configurationsByRun(entity)),
      sorted(expected.configurationsByRun(entity)),
      `${where}: runs of ${entity}`,
    );
  }
}

for (const [label, odd] of [["plain names", false], ["odd names (escapes, non-ASCII)", true]] as const) {
  Deno.test(`index stream: a merged commit writes the full model's bytes, queries agree (${label})`, async () => {
    await using dir = await tempDir();
    const random = seededRandom(odd ? 7 : 3);
    const all = batch(random, 1, 40, [], odd);
    const path = join(dir.path, "index.json");
    const model = modelOf(all, path);
    for (const [round, chunkBytes] of [64, 97, 1024, 1 << 20].entries()) {
      const catalog = IndexCatalog.open(path, chunkBytes);
      assert.ok(catalog, "our own layout streams");
      // What was asked before the merge decides which maps the merge catalogues (the others are catalogued when
      // first asked of the written file): every map, none, or one.
      const asked = ["every map", "no map", "one map"][round % 3];
      if (asked === "every map") assertSameAnswers(catalog, model, all, `catalogue, round ${round}`);
      if (asked === "one map") catalog.versionIds(all[0].version);
      const added = new IndexAdditions();
      const facts = batch(random, 1 + 40 + round * 10 - (round % 2) * 5, 10, all, odd);
      for (const fact of facts) added.add(fact);
      const view = new PendingView(catalog, added);
      for (const fact of facts) model.add(fact), all.push(fact);
      if (asked === "every map") assertSameAnswers(view, model, all, `pending view, round ${round}`);

      const { bytes, text, finish } = written((sink) => catalog.merge(added, sink));
      assert.equal(text, model.toText(), `merged bytes, round ${round} (${chunkBytes} B)`);
      catalog.close();
      Deno.writeFileSync(path, bytes);
      const next = finish(Deno.openSync(path));
      assertSameAnswers(next, model, all, `catalogue of the written file, round ${round} (${asked} asked before)`);
      // Answered from the catalogue, not by a fallback to the full model (which would refuse to stream a merge).
      next.merge(new IndexAdditions(), () => {});
      next.close();
    }
  });
}

for (const [label, odd] of [["plain names", false], ["odd names", true]] as const) {
  Deno.test(`index stream: a removal streamed writes the full model's bytes, names left empty disappear (${label})`, async () => {
    await using dir = await tempDir();
    const random = seededRandom(odd ? 17 : 13);
    const all = batch(random, 1, 30, [], odd);
    const path = join(dir.path, "index.json");
    const model = modelOf(all, path);
    for (const [round, chunkBytes] of [64, 101, 1 << 20].entries()) {
      const catalog = IndexCatalog.open(path, chunkBytes)!;
      const removed = new Set<string>(["ffffffffffffffffffffffff"]); // not listed: no change
      for (const fact of all) if (random() < 0.15) removed.add(fact.id);
      // Every document of one configuration: its name leaves every map, with its assigned entry.
      const victim = all[Math.floor(random() * all.length)].configurations[0].name;
      for (const fact of all) if (fact.configurations[0].name === victim) removed.add(fact.id);
      for (const id of removed) model.remove(id);
      const { text, finish } = written((sink) => catalog.prune(removed, sink));
      assert.equal(text, model.toText(), `pruned bytes, round ${round} (${chunkBytes} B)`);
      assert.ok(!text.includes(JSON.stringify(victim)), "the emptied configuration is gone");
      catalog.close();
      Deno.writeTextFileSync(path, text);
      const remaining = all.filter((fact) => !removed.has(fact.id));
      using next = finish(Deno.openSync(path));
      assertSameAnswers(next, model, remaining, `catalogue after the removal, round ${round}`);
      all.splice(0, all.length, ...remaining);
    }
  });
}

Deno.test("index stream: an empty map, an empty list and a new key in each map merge as the full model writes", async () => {
  await using dir = await tempDir();
  const model = CollectionIndex.parse(
    '{\n"ouid" : [\n"a1"\n],\n"version" : {\n"1/x" : [\n\n],\n"1/y" : [\n"a1"\n]\n},\n"configurations.name" : {\n\n},\n' +
      '"entities.name" : {\n\n},\n"aliases.active.name" : {\n\n},\n"runs.name" : {\n\n},\n"configurations.assigned" : {\n\n}\n}',
  );
  const path = join(dir.path, "index.json");
  Deno.writeTextFileSync(path, model.toText());
  const catalog = IndexCatalog.open(path, 16)!;
  const added = new IndexAdditions();
  const fact = document(seededRandom(1), 1, false);
  added.add({ ...fact, version: "1/x", aliases: ["a"] });
  model.add({ ...fact, version: "1/x", aliases: ["a"] });
  assert.equal(written((sink) => catalog.merge(added, sink)).text, model.toText());
  catalog.close();
});

Deno.test("index stream: text outside the streamed layout is left to the full parser", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "index.json");
  const random = seededRandom(2);
  const facts = [document(random, 5, false), document(random, 6, false)];
  const text = modelOf(facts).toText();
  const lastList = text.lastIndexOf('[\n"');
  const cases: Array<[string, string]> = [
    ["the compact template", EMPTY_INDEX_TEXT],
    ["another layout", text.replace('"ouid" : [', '"ouid":[')],
    ["an unknown top-level key", text.slice(0, -2) + ',\n"extra" : 1\n}'],
    ["a map twice", text.replace(',\n"runs.name" : {', ',\n"runs.name" : {\n\n},\n"runs.name" : {')],
    ["a map missing", text.replace(/,\n"aliases.active.name" : \{\n\n\}/, "")],
    ["trailing text", text + "\nx"],
    // Found only when the map or list is first read: the catalogue falls back to the full model.
    ["two items on one line", text.slice(0, lastList) + '[\n"0", "1"' + text.slice(text.indexOf("\n]", lastList))],
    ["a key and its list on one line", text.replace(/"5\/std" : \[\n/, '"5/std" : [')],
  ];
  const opened: string[] = [];
  for (const [what, other] of cases) {
    Deno.writeTextFileSync(path, other);
    const catalog = IndexCatalog.open(path, 32);
    if (catalog === null) continue;
    opened.push(what);
    let full: CollectionIndex | null = null;
    try {
      full = CollectionIndex.parse(other);
    } catch { /* corrupt for the full parser too */ }
    if (full) assertSameAnswers(catalog, full, facts, what);
    else assert.throws(() => catalog.configurationsByRun("schema"), /is corrupt/, what);
    assert.throws(() => catalog.merge(new IndexAdditions(), () => {}), NotStreamable, what);
    catalog.close();
  }
  assert.deepEqual(opened, ["two items on one line", "a key and its list on one line"]);
  Deno.writeTextFileSync(path, text + "\n\n");
  const catalog = IndexCatalog.open(path);
  assert.ok(catalog, "trailing newlines are allowed");
  catalog.close();
});

Deno.test("index stream: a catalogue keeps reading the file it opened when another process replaces it", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "index.json");
  const random = seededRandom(5);
  const firstFacts = batch(random, 1, 20, [], false);
  const first = modelOf(firstFacts, path);
  using catalog = IndexCatalog.open(path, 128)!;
  // Replaced atomically (a new file renamed over it), as every writer of index.json does, by a file of the same layout
  // and byte offsets but other ids: read through the path, the catalogue's offsets would give the wrong ids.
  const replaced = first.toText().replace(/[0-9a-f]{24}/g, (id) => [...id].reverse().join(""));
  Deno.writeTextFileSync(join(dir.path, "next.json"), replaced);
  Deno.renameSync(join(dir.path, "next.json"), path);
  // The maps are catalogued only now, from the file the catalogue opened.
  assertSameAnswers(catalog, first, firstFacts, "after the replacement");
});
