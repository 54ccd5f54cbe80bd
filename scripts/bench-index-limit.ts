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
 * The index is written in the JsonWriter layout directly (not through the in-memory model, which would need several GB
 * for it); the catalogue checks the layout as it streams it.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { streamArtdaqWith } from "../core/json/mod.ts";
import type { DocumentFacts } from "../plugins/artdaqdb-conftool/document.ts";
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

function writeIndex(): void {
  using file = Deno.openSync(path, { write: true, create: true, truncate: true });
  const runIds = (out: { raw(t: string): void; string(s: string): void }, run: number) => {
    out.raw("[\n");
    for (let d = 0; d < ENTITIES.length; d++) {
      if (d > 0) out.raw(",\n");
      out.string(idOf(run, d));
    }
    out.raw("\n]");
  };
  streamArtdaqWith((out) => {
    out.raw('{\n"ouid" : [\n');
    for (let run = 1; run <= runs; run++) {
      for (let d = 0; d < ENTITIES.length; d++) {
        if (run > 1 || d > 0) out.raw(",\n");
        out.string(idOf(run, d));
      }
    }
    out.raw("\n]");
    const perRun = (name: string, key: (run: number) => string, list: (run: number) => void) => {
      out.raw(`,\n"${name}" : {\n`);
      for (let run = 1; run <= runs; run++) {
        if (run > 1) out.raw(",\n");
        out.string(key(run));
        out.raw(" : ");
        list(run);
      }
      out.raw("\n}");
    };
    perRun("version", configuration, (run) => runIds(out, run));
    perRun("configurations.name", configuration, (run) => runIds(out, run));
    out.raw(',\n"entities.name" : {\n');
    ENTITIES.forEach((entity, d) => {
      if (d > 0) out.raw(",\n");
      out.string(entity);
      out.raw(" : [\n");
      const ids = Array.from({ length: runs }, (_, i) => idOf(i + 1, d)).sort();
      ids.forEach((id, i) => {
        if (i > 0) out.raw(",\n");
        out.string(id);
      });
      out.raw("\n]");
    });
    out.raw('\n},\n"aliases.active.name" : {\n\n}');
    perRun("runs.name", String, (run) => runIds(out, run));
    perRun("configurations.assigned", configuration, () => out.raw(`[\n"${ASSIGNED}"\n]`));
    out.raw("\n}");
  }, (chunk) => {
    for (let written = 0; written < chunk.length;) written += file.writeSync(chunk.subarray(written));
  });
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
ENTITIES.forEach((entity, d): void => {
  const name = configuration(runs + 1);
  const facts: DocumentFacts = {
    id: idOf(runs + 1, d),
    version: name,
    entities: [entity],
    configurations: [{ name, assigned: ASSIGNED }],
    runs: [String(runs + 1)],
    aliases: [],
    created: "",
    format: "fhicl",
  };
  added.add(facts);
});
const merged = join(dir, "index.merged.json");
const finish = timed("merge one new run into it (a group commit)", () => {
  using file = Deno.openSync(merged, { write: true, create: true, truncate: true });
  return catalog.merge(added, (chunk) => {
    for (let written = 0; written < chunk.length;) written += file.writeSync(chunk.subarray(written));
  });
});
catalog.close();
using next = finish(Deno.openSync(merged, { read: true }));
if (next.configurationIds(configuration(runs + 1)).length !== ENTITIES.length) {
  throw new Error("the new run is missing");
}
const status = Deno.readTextFileSync("/proc/self/status");
console.log(`peak RSS of this process: ${(Number(/VmHWM:\s+(\d+)/.exec(status)![1]) / 1024).toFixed(0)} MB`);
