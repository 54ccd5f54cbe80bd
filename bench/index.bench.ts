/**
 * `index.json` bookkeeping of a large filesystem database: adding one run's 25 documents to the in-memory index of a
 * collection that already lists 100,000 runs (200,000 documents), then reading what an import reads per run (the
 * run's configuration), and the once-per-commit merge of every list.
 *
 * Run: `deno bench -A --no-prompt bench/index.bench.ts`.
 *
 * @module
 */
import type { DocumentFacts } from "../plugins/artdaqdb-conftool/document.ts";
import { CollectionIndex, EMPTY_INDEX_TEXT } from "../plugins/artdaqdb-conftool/fs/index_file.ts";

let counter = 0;
const nextId = () => (counter++).toString(16).padStart(24, "0").split("").reverse().join("");
const facts = (run: number, entity: string): DocumentFacts => ({
  id: nextId(),
  version: `${run}/std`,
  entities: [entity],
  configurations: [{ name: `${run}/std`, assigned: "2024-03-04T12:05:01.337-0600" }],
  runs: [String(run)],
  aliases: [],
  created: "",
  format: "fhicl",
});

const index = CollectionIndex.parse(EMPTY_INDEX_TEXT);
for (let run = 0; run < 100_000; run++) {
  index.add(facts(run, "schema"));
  index.add(facts(run, "boot"));
}
index.toText();
let run = 100_000;

Deno.bench("index: add a 25-document run to a 100,000-run index and read its configuration", () => {
  run++;
  for (let d = 0; d < 25; d++) index.add(facts(run, d === 0 ? "schema" : `p${d}`));
  index.configurationIds(`${run}/std`);
});

Deno.bench("index: the same 20 times, then the commit's merge of every list (ouid: 200,000+ ids)", () => {
  for (let i = 0; i < 20; i++) {
    run++;
    for (let d = 0; d < 25; d++) index.add(facts(run, d === 0 ? "schema" : `p${d}`));
    index.configurationIds(`${run}/std`);
  }
  void index.ouid.length;
  void index.maps.size;
});
