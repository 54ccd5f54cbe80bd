/**
 * A filesystem database past the size one JavaScript string can hold: writes a RunHistory-shaped `index.json` of N runs
 * of 28 documents (default 140,000 runs: ~570 MB, beyond V8's ~512 MB string limit), then does with it what the
 * archiver does: opens its catalogue, asks for one run's documents, and merges one new run into it (a group commit),
 * printing the time of each and the peak RSS of the process that does them (a child, started once the file is
 * written). With `--whole` it also tries the round-5 way, reading the file as one
 * string (which fails past the limit).
 *
 * ```
 * deno run -A scripts/bench-index-limit.ts [--runs N] [--dir DIR] [--whole]
 * ```
 *
 * The index is written by the archiver's own code: one run through the in-memory model, the others merged in by the
 * streamed group commit, 20,000 runs at a time.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import type { DocumentFacts } from "../plugins/artdaqdb-conftool/document.ts";
import { CollectionIndex } from "../plugins/artdaqdb-conftool/fs/index_file.ts";
import { IndexAdditions, IndexCatalog } from "../plugins/artdaqdb-conftool/fs/index_stream.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "140000" },
    dir: { type: "string" },
    whole: { type: "boolean" },
    measure: { type: "boolean" },
  },
});
const runs = Number(values.runs);
if (!Number.isSafeInteger(runs) || runs < 1) throw new Error(`--runs: a positive integer, not '${values.runs}'`);
const dir = values.dir ?? Deno.makeTempDirSync({ prefix: "index-limit-" });
Deno.mkdirSync(dir, { recursive: true });
const path = join(dir, "index.json");
const ENTITIES = Array.from({ length: 28 }, (_, i) => (i === 0 ? "schema" : `process${i}`));
const ASSIGNED = "2026-11-29T10:00:00.000-0600";
/** Document `d` of run `r` (1-based): ids are hexadecimal counters, so their numeric order is their sorted order. */
const idOf = (run: number, d: number) => ((run - 1) * ENTITIES.length + d).toString(16).padStart(24, "0");
const configuration = (run: number) => `${run}/standard00042`;
/** Runs merged per commit while the index is written. */
const STEP = 20_000;

/** The index entries of document `d` of `run`. */
function factsOf(run: number, d: number): DocumentFacts {
  const name = configuration(run);
  return {
    id: idOf(run, d),
    version: name,
    entities: [ENTITIES[d]],
    configurations: [{ name, assigned: ASSIGNED }],
    runs: [String(run)],
    aliases: [],
    created: "",
    format: "fhicl",
  };
}

/** Writes `file` through `write` (a rewrite's sink). */
function writeTo<T>(file: string, write: (sink: (chunk: Uint8Array) => void) => T): T {
  using handle = Deno.openSync(file, { write: true, create: true, truncate: true });
  return write((chunk) => {
    for (let written = 0; written < chunk.length;) written += handle.writeSync(chunk.subarray(written));
  });
}

/**
 * The index of `runs` runs, written the way the archiver writes it: the first run through the full model, the rest
 * merged in by the streamed group commit, {@link STEP} runs at a time (the full model of all of them would need
 * several GB).
 */
function writeIndex(): void {
  const first = CollectionIndex.empty();
  ENTITIES.forEach((_, d) => first.add(factsOf(1, d)));
  writeTo(path, (sink) => first.writeTo(sink));
  const next = join(dir, "index.next.json");
  for (let from = 2; from <= runs; from += STEP) {
    const added = new IndexAdditions();
    for (let run = from; run < Math.min(from + STEP, runs + 1); run++) {
      ENTITIES.forEach((_, d) => added.add(factsOf(run, d)));
    }
    using catalog = IndexCatalog.open(path)!;
    writeTo(next, (sink) => catalog.merge(added, sink));
    Deno.renameSync(next, path);
  }
}

const timed = <T>(what: string, action: () => T): T => {
  const started = performance.now();
  const result = action();
  console.log(`${what}: ${(performance.now() - started).toFixed(0)} ms`);
  return result;
};

if (!values.measure) {
  // Written here, measured in a process of its own (so that the peak RSS is that of the reads and the merge alone).
  timed(`write index.json of ${runs} runs`, writeIndex);
  console.log(`index.json: ${(Deno.statSync(path).size / 1e6).toFixed(0)} MB (${path})`);
  const args = ["run", "-A", import.meta.filename!, "--measure", "--runs", String(runs), "--dir", dir];
  const child = await new Deno.Command(Deno.execPath(), { args: values.whole ? [...args, "--whole"] : args }).spawn()
    .status;
  Deno.exit(child.code);
}
if (values.whole) {
  try {
    timed("read it as one string (round 5)", () => Deno.readTextFileSync(path).length);
  } catch (error) {
    console.log(`read it as one string (round 5): ${(error as Error).message}`);
  }
}
const catalog = timed("open its catalogue", () => IndexCatalog.open(path));
if (!catalog) throw new Error(`${path} was not in the streamed layout`);
const ids = timed("the documents of one run", () => catalog.configurationIds(configuration(Math.ceil(runs / 2))));
if (ids.length !== ENTITIES.length) throw new Error(`expected ${ENTITIES.length} ids, got ${ids.length}`);
const added = new IndexAdditions();
ENTITIES.forEach((_, d) => added.add(factsOf(runs + 1, d)));
const merged = join(dir, "index.merged.json");
const finish = timed(
  "merge one new run into it (a group commit)",
  () => writeTo(merged, (sink) => catalog.merge(added, sink)),
);
catalog.close();
using next = finish(Deno.openSync(merged, { read: true }));
if (next.configurationIds(configuration(runs + 1)).length !== ENTITIES.length) {
  throw new Error("the new run is missing");
}
const status = Deno.readTextFileSync("/proc/self/status");
console.log(`peak RSS of this process: ${(Number(/VmHWM:\s+(\d+)/.exec(status)![1]) / 1024).toFixed(0)} MB`);
