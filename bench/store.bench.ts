/**
 * Benchmarks of the artdaqdb-conftool store (issue 5 targets):
 *
 * - store + export of one 25-document run on filesystemdb: < 20 ms;
 * - listing 100,000 archived runs: < 1 s.
 *
 * Run: `deno bench -A --no-prompt bench/store.bench.ts`. The 25-document run is fixture run 11001 prepared by the
 * run-records source (20 files) plus two more per-process documents, RunHistory and schema (24), and the `hashes`
 * document the store adds (25). The 100,000-run database is a SystemLayout index as artdaq_database keeps it for
 * 100,000 runs with their stop-time updates (200,000 schema documents).
 *
 * @module
 */

import { join } from "node:path";
import { REPO_ROOT } from "../core/paths.ts";
import type { PreparedRun, Store } from "../core/roles.ts";
import { CollectionIndex } from "../plugins/artdaqdb-conftool/fs/index_file.ts";
import { artdaqdbConftool } from "../plugins/artdaqdb-conftool/mod.ts";
import { runRecords } from "../plugins/run-records/mod.ts";

const source = runRecords({ run_records_dir: join(REPO_ROOT, "fixtures/run_records") });
const base = await source.prepare(11001);
await source.close();
const extra = base.documents.filter((d) => /^tpc0[12]\.fcl$/.test(d.name))
  .map((d) => ({ name: d.name.replace("tpc0", "tpc1"), text: d.text }));
const run25: PreparedRun = { ...base, documents: [...extra, ...base.documents] };
const stored = run25.documents.filter((d) => d.name.endsWith(".fcl")).length + 1; // + hashes
if (stored !== 25) throw new Error(`the benchmark run has ${stored} documents, not 25`);

const root = await Deno.makeTempDir({ prefix: "store-bench-" });
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));

/**
 * Stores and exports one run per iteration. A fresh database (holding `preload` runs) is set up, untimed, every
 * `perDatabase` iterations, so each iteration sees a database of steady size: rewriting `index.json` costs time
 * in proportion to the documents already in the collection (artdaq_database's format; the C++ provider even
 * rewrites it after every single document).
 */
function storeBench(
  label: string,
  durable: boolean,
  preload: number,
  perDatabase: number,
  parallel = 1,
  commitEvery = 0,
): void {
  let database = 0;
  let store: Store | null = null;
  let run = 0;
  Deno.bench({
    name: `filesystemdb: store + export ${
      parallel === 1 ? "one 25-document run" : `${parallel} 25-document runs in parallel`
    }, ${preload ? `${preload.toLocaleString("en")} runs already stored` : "small database"} (fsync ${
      durable ? "on, the default" : "off"
    }${commitEvery ? `, write-behind: index committed every ${commitEvery} runs` : ""})`,
    group: `store ${preload}`,
    baseline: durable && parallel === 1,
    n: preload ? 40 : 200,
    warmup: preload ? 3 : 10,
    async fn(b) {
      if (store === null || run - preload >= perDatabase) {
        await store?.close();
        store = artdaqdbConftool({ database_uri: `filesystemdb://${join(root, `${label}-${++database}`)}` }, {
          durable,
        });
        // Preloaded in parallel batches: group commit makes that much faster than one by one.
        const current = store;
        for (let first = 1; first <= preload; first += 20) {
          const batch = Array.from({ length: Math.min(20, preload - first + 1) }, (_, i) => first + i);
          await Promise.all(batch.map((r) => current.putRun({ ...run25, run: r }, "initial")));
        }
        run = preload;
        if (commitEvery) await store.deferCommits?.(true);
      }
      const batch = Array.from({ length: parallel }, () => ({ ...run25, run: ++run }));
      const current = store;
      b.start();
      const exported = await Promise.all(batch.map(async (prepared) => {
        await current.putRun(prepared, "initial");
        return await current.exportRun(prepared.run);
      }));
      if (commitEvery && (run - preload) % commitEvery === 0) await current.commit?.();
      b.end();
      if (exported.some((e) => e.files.length !== 25)) throw new Error("an export lacks files");
    },
  });
}
storeBench("small-durable", true, 0, 50);
storeBench("small-scratch", false, 0, 50);
storeBench("large-durable", true, 1000, 200);
storeBench("large-parallel", true, 1000, 200, 8);
storeBench("large-deferred", true, 1000, 200, 1, 20);

// 100,000 archived runs, each with its initial and its stop-time update schema document.
const listed = join(root, "listing");
const index = CollectionIndex.empty();
const assigned = "2024-03-04T12:05:01.337-0600";
for (let run = 1; run <= 100_000; run++) {
  const configuration = `${run}/standard00042`;
  for (const [suffix, version] of [["0", configuration], ["1", `${configuration}v1`]]) {
    index.add({
      id: run.toString(16).padStart(23, "0") + suffix,
      version,
      entities: ["schema"],
      configurations: [{ name: configuration, assigned }],
      runs: [String(run)],
      aliases: [],
      created: assigned,
      format: "fhicl",
    });
  }
}
await Deno.mkdir(join(listed, "SystemLayout"), { recursive: true });
await Deno.writeTextFile(join(listed, "SystemLayout", "index.json"), index.toText());

Deno.bench({
  name: "filesystemdb: list 100,000 archived runs (cold: a new store opens SystemLayout/index.json)",
  group: "list",
  baseline: true,
  n: 10,
  warmup: 2,
  async fn() {
    const store = artdaqdbConftool({ database_uri: `filesystemdb://${listed}` });
    const runs = await store.listRuns();
    if (runs.length !== 100_000) throw new Error(`listed ${runs.length} runs`);
    await store.close();
  },
});

const warm = artdaqdbConftool({ database_uri: `filesystemdb://${listed}` });
Deno.bench({
  name: "filesystemdb: list 100,000 archived runs (warm: index unchanged since the last call)",
  group: "list",
  n: 50,
  warmup: 2,
  async fn() {
    const runs = await warm.listRuns();
    if (runs.length !== 100_000) throw new Error(`listed ${runs.length} runs`);
  },
});

Deno.bench({
  name: "filesystemdb: configuration name of one run among 100,000 (warm)",
  group: "name",
  async fn() {
    if ((await warm.configurationName(54321)) !== "54321/standard00042") throw new Error("wrong name");
  },
});
