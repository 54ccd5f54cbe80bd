/**
 * `index.json` of a large filesystem database, streamed (plugins/artdaqdb-conftool/fs/index_stream.ts): a
 * RunHistory-shaped index of 12,000 runs of 28 documents (336,000 ids, ~48 MB, what one invocation of 12,000 small
 * runs leaves). Measures opening its catalogue and listing its runs, one import's query over pending additions, and a
 * group commit merging 300 runs (8,400 documents) into it, which streams the whole file.
 *
 * Run: `deno bench -A --no-prompt bench/index.bench.ts` (the set-up writes the index into a temporary directory, a
 * few seconds).
 *
 * @module
 */
import { join } from "node:path";
import type { DocumentFacts } from "../plugins/artdaqdb-conftool/document.ts";
import { CollectionIndex } from "../plugins/artdaqdb-conftool/fs/index_file.ts";
import { IndexAdditions, IndexCatalog, PendingView } from "../plugins/artdaqdb-conftool/fs/index_stream.ts";
import { documentId } from "../plugins/artdaqdb-conftool/ids.ts";

const RUNS = 12_000;
const ENTITIES = Array.from({ length: 28 }, (_, i) => (i === 0 ? "schema" : `process${i}`));

function facts(run: number, entity: string): DocumentFacts {
  const name = `${run}/standard00042`;
  return {
    id: documentId({ collection: "RunHistory", configuration: name, version: name, entity }),
    version: name,
    entities: [entity],
    configurations: [{ name, assigned: "2026-11-29T10:00:00.000-0600" }],
    runs: [String(run)],
    aliases: [],
    created: "",
    format: "fhicl",
  };
}

const dir = Deno.makeTempDirSync({ prefix: "index-bench-" });
const path = join(dir, "index.json");
const model = CollectionIndex.empty();
for (let run = 1; run <= RUNS; run++) for (const entity of ENTITIES) model.add(facts(run, entity));
Deno.writeTextFileSync(path, model.toText());
const commit: DocumentFacts[] = [];
for (let run = RUNS + 1; run <= RUNS + 300; run++) for (const entity of ENTITIES) commit.push(facts(run, entity));
const catalog = IndexCatalog.open(path)!;
globalThis.addEventListener("unload", () => {
  catalog.close();
  Deno.removeSync(dir, { recursive: true });
});

Deno.bench("index stream: open the catalogue of a 12,000-run index (48 MB) and list its runs", () => {
  using opened = IndexCatalog.open(path)!;
  opened.configurationsByRun("schema");
});

Deno.bench("index stream: an import's query of a new run over 8,400 pending additions", (b) => {
  const added = new IndexAdditions();
  for (const fact of commit) added.add(fact);
  const view = new PendingView(catalog, added);
  let run = RUNS + 300;
  b.start();
  for (let i = 0; i < 100; i++) {
    run++;
    for (const entity of ENTITIES) added.add(facts(run, entity));
    view.configurationIds(`${run}/standard00042`);
  }
  b.end();
});

Deno.bench("index stream: a group commit of 300 runs (8,400 documents) merged into the 12,000-run index", () => {
  const added = new IndexAdditions();
  for (const fact of commit) added.add(fact);
  using out = Deno.openSync(join(dir, "new.json"), { write: true, create: true, truncate: true });
  catalog.merge(added, (chunk) => {
    for (let written = 0; written < chunk.length;) written += out.writeSync(chunk.subarray(written));
  });
});
