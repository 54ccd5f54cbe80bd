/**
 * A cheap "N runs archived" state for the `--incremental` benchmark: one real run is archived through the CLI
 * (so every file exists in its real format), then cloned N-1 times in exactly the files an `--incremental`
 * invocation reads:
 *
 * - run-record directories: N directories (the clones empty: discovery reads names only);
 * - artdaqDB: `SystemLayout/index.json` (the collection `Store.listRuns` reads) gets each clone's entries, built
 *   through the store's own `CollectionIndex` from the real run's documents with run number, configuration,
 *   version and derived id substituted. Document files and the other collections' indexes are not cloned: no
 *   incremental path opens them;
 * - embedded UconDB: one journal line per clone (the real run's `put` record with id, key and tag replaced),
 *   pointing at the real run's blob file, so the server replays N versions at start;
 * - import and migration state: every run done, through the state module (`done: [[first, last]]`).
 *
 * The synthesized state therefore loads exactly as large as a real one in every file the measured path touches.
 *
 * @module
 */
import { join } from "node:path";
import { loadStageState, saveStageState, stagePaths } from "../../core/state/mod.ts";
import { loadConfig } from "../../core/config/mod.ts";
import { CollectionIndex } from "../../plugins/artdaqdb-conftool/fs/index_file.ts";
import { documentFacts } from "../../plugins/artdaqdb-conftool/document.ts";
import { documentId } from "../../plugins/artdaqdb-conftool/ids.ts";
import { JsonObject, parseOrdered } from "../../core/json/mod.ts";
import { writeFileAtomic } from "../../core/state/atomic.ts";
import { buildRecords, REAL_RUN_RECORDS } from "./records.ts";
import { runArchiver } from "./run.ts";

/** Where and how large. */
export interface SynthesizeOptions {
  dir: string;
  recordsDir: string;
  config: string;
  baseRun: number;
  runs: number;
}

/** Builds the state; returns what was made and how long it took. */
export async function synthesizeArchivedState(
  options: SynthesizeOptions,
): Promise<{ runs: number; seconds: number; how: string }> {
  const started = performance.now();
  const { recordsDir, baseRun, runs } = options;
  const template = {
    name: "1342",
    path: `${REAL_RUN_RECORDS}/1342`,
    files: [...Deno.readDirSync(`${REAL_RUN_RECORDS}/1342`)].filter((e) => e.isFile).map((e) => e.name),
    bytes: 0,
  };
  await buildRecords([template], recordsDir, baseRun, 1);
  const first = await runArchiver(options.config, [], { cpuProfDir: null });
  if (first.exitCode !== 0) throw new Error(`archiving the template run failed:\n${first.logTail}`);
  const clones = Array.from({ length: runs - 1 }, (_, i) => baseRun + 1 + i);
  for (const run of clones) Deno.mkdirSync(join(recordsDir, String(run)));

  const config = await loadConfig(options.config);
  const dbDir = config.artdaq_db.database_uri.replace(/^filesystemdb:\/\//, "");
  if (dbDir === config.artdaq_db.database_uri) throw new Error("--incremental-over needs the filesystemdb store");
  await cloneIndex(join(dbDir, "SystemLayout"), baseRun, clones);
  const sinkDir = config.ucon_db.server_url.replace(/^embedded:/, "");
  if (sinkDir === config.ucon_db.server_url) throw new Error("--incremental-over needs the embedded UconDB server");
  await cloneJournal(join(sinkDir, `public.${config.ucon_db.folder_name}`, "journal.jsonl"), baseRun, clones);

  const universe = [baseRun, ...clones];
  for (const stage of ["import", "migrate"] as const) {
    const state = await loadStageState(stage, stagePaths(config.app, stage));
    for (const run of clones) state.markDone(run);
    state.advanceContiguous(universe);
    await saveStageState(state);
  }
  return {
    runs,
    seconds: (performance.now() - started) / 1000,
    how: `run ${baseRun} archived through the CLI, cloned ${clones.length}× into the record directory names, ` +
      `SystemLayout/index.json, the UconDB journal and both state files`,
  };
}

/** Adds to `<collection>/index.json` one copy of `run`'s entries per clone. */
async function cloneIndex(collectionDir: string, run: number, clones: readonly number[]): Promise<void> {
  const path = join(collectionDir, "index.json");
  const index = CollectionIndex.parse(await Deno.readTextFile(path), path);
  const collection = collectionDir.split("/").pop()!;
  const facts = index.ids("runs.name", String(run)).map((id) => {
    const doc = parseOrdered(Deno.readTextFileSync(join(collectionDir, `${id}.json`)), { allowTrailing: true });
    if (!(doc instanceof JsonObject)) throw new Error(`${id}.json is not an object`);
    return documentFacts(doc);
  });
  if (facts.length === 0) throw new Error(`${path} lists no document of run ${run}`);
  const prefix = `${run}/`;
  const swap = (text: string, clone: number) =>
    text.startsWith(prefix) ? `${clone}/${text.slice(prefix.length)}` : text;
  for (const clone of clones) {
    for (const f of facts) {
      const configurations = f.configurations.map((c) => ({ name: swap(c.name, clone), assigned: c.assigned }));
      const version = swap(f.version, clone);
      index.add({
        ...f,
        id: documentId({ collection, configuration: configurations[0].name, version, entity: f.entities[0] }),
        version,
        configurations,
        runs: f.runs.map((r) => (r === String(run) ? String(clone) : r)),
      });
    }
  }
  await writeFileAtomic(path, new TextEncoder().encode(index.toText()));
}

/** Appends to the embedded server's journal one `put` per clone, modelled on `run`'s. */
async function cloneJournal(path: string, run: number, clones: readonly number[]): Promise<void> {
  const lines = (await Deno.readTextFile(path)).split("\n").filter((line) => line.length > 0);
  const records = lines.map((line) => JSON.parse(line));
  const put = records.find((r) => r.op === "put" && r.version.key === String(run));
  if (!put) throw new Error(`${path} has no version of run ${run}`);
  let nextId = Math.max(...records.filter((r) => r.op === "put").map((r) => r.version.id)) + 1;
  const out: string[] = [...lines];
  for (const clone of clones) {
    out.push(JSON.stringify({
      op: "put",
      version: { ...put.version, id: nextId++, key: String(clone), tags: [String(clone)], tr: put.version.tr + 1e-3 },
    }));
  }
  await writeFileAtomic(path, new TextEncoder().encode(out.join("\n") + "\n"));
}
