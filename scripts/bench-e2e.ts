/**
 * End-to-end benchmark of the archiver (issue 11): builds N run records by copying the project's and the real
 * fixture run records under new run numbers, writes a configuration (filesystemdb artdaqDB + the embedded UconDB
 * server by default), runs the real command line (`deno run -A cli.ts <config> --json`, import and migration) as a
 * subprocess, and prints runs per minute, MB/s, the archiver's peak RSS (VmHWM of the subprocess), time per stage,
 * and the time of a plain `tar` copy of the same records as a baseline.
 *
 * ```
 * deno task bench:e2e [--runs N] [--mix small|fixtures|real|large|bigdoc|all] [--distinct] [--workers 2]
 *                     [--threads T] [--store URI] [--sink URL] [--base-run R] [--incremental-over N] [--verify meta|full]
 *                     [--cpu-prof] [--v8-flags FLAGS] [--keep] [--dir DIR] [--json]
 * ```
 *
 * The archiver runs with the `archive` task's V8 flags and environment (core/cli/v8_flags.ts); `--v8-flags=FLAGS`
 * replaces the flags (`--v8-flags=` runs it with V8's defaults), and a variable of that environment set where the
 * bench runs keeps its value (`MALLOC_ARENA_MAX=16 deno task bench:e2e …`: glibc's default on 2 cores).
 *
 * Credentials never go on the command line: for a MongoDB store or a real UconDB put them in the environment
 * (`BENCH_STORE_URI`, `BENCH_SINK_URL`, `UCONDB_USER`, `UCONDB_PASSWORD`); the generated configuration refers to
 * them as `${VAR}` and the child process expands them.
 *
 * The copies of a template are byte-identical, as the files of consecutive runs of one configuration are, so the
 * archiver's reuse of what it made of a file (converted payloads, renderings, checks, digests) applies from the second
 * run on. `--distinct` appends a comment line naming the run to every copied `.fcl` file: no two runs share a file,
 * and every run costs what a run of a new configuration costs.
 *
 * @example
 * ```sh
 * deno task bench:e2e --runs 3000 --mix small --workers 2
 * deno task bench:e2e --runs 40 --mix large
 * deno task bench:e2e --incremental-over 100000
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { REPO_ROOT } from "../core/paths.ts";
import { redact, registerUriCredentials } from "../core/redact.ts";
import { buildRecords, MIXES, type MixName, templatesOf } from "./bench_e2e/records.ts";
import { synthesizeArchivedState } from "./bench_e2e/synthesize.ts";
import { type ArchiverRun, runArchiver } from "./bench_e2e/run.ts";
import { writeBenchConfig } from "./bench_e2e/config.ts";

const USAGE = `usage: deno task bench:e2e [--runs N] [--mix ${Object.keys(MIXES).join("|")}] [--distinct] [--workers W]
       [--threads T] [--store URI] [--sink URL] [--base-run R] [--incremental-over N] [--verify meta|full]
       [--cpu-prof] [--v8-flags FLAGS] [--keep] [--dir DIR] [--json]`;

/** Parsed options of the benchmark. */
interface BenchOptions {
  runs: number;
  mix: MixName;
  /** Every copied `.fcl` file made unique to its run (see the module doc). */
  distinct: boolean;
  workers: number;
  threads: number | null;
  store: string | null;
  sink: string | null;
  baseRun: number;
  incrementalOver: number;
  verify: "meta" | "full";
  cpuProf: boolean;
  v8Flags: string | null;
  keep: boolean;
  dir: string | null;
  json: boolean;
}

function parseOptions(args: string[]): BenchOptions {
  const { values } = parseArgs({
    args,
    options: {
      runs: { type: "string", default: "300" },
      mix: { type: "string", default: "small" },
      distinct: { type: "boolean", default: false },
      workers: { type: "string", default: "2" },
      threads: { type: "string" },
      store: { type: "string" },
      sink: { type: "string" },
      "base-run": { type: "string", default: "100000" },
      "incremental-over": { type: "string", default: "0" },
      verify: { type: "string", default: "meta" },
      "cpu-prof": { type: "boolean", default: false },
      "v8-flags": { type: "string" },
      keep: { type: "boolean", default: false },
      dir: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const int = (name: string, text: string, min: number) => {
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${name}: expected an integer >= ${min}, got '${text}'`);
    return n;
  };
  if (!(values.mix in MIXES)) throw new Error(`--mix: expected one of ${Object.keys(MIXES).join(", ")}`);
  if (values.verify !== "meta" && values.verify !== "full") throw new Error("--verify: expected meta or full");
  return {
    runs: int("runs", values.runs, 1),
    mix: values.mix as MixName,
    distinct: values.distinct,
    workers: int("workers", values.workers, 1),
    threads: values.threads === undefined ? null : int("threads", values.threads, 0),
    store: values.store ?? null,
    sink: values.sink ?? null,
    baseRun: int("base-run", values["base-run"], 1),
    incrementalOver: int("incremental-over", values["incremental-over"], 0),
    verify: values.verify,
    cpuProf: values["cpu-prof"],
    v8Flags: values["v8-flags"] ?? null,
    keep: values.keep,
    dir: values.dir ?? null,
    json: values.json,
  };
}

/** Seconds of a plain `tar` copy of `from` into a fresh `to` (the baseline the archiver is compared with). */
async function tarCopySeconds(from: string, to: string): Promise<number> {
  await Deno.mkdir(to, { recursive: true });
  const started = performance.now();
  const out = await new Deno.Command("sh", {
    args: ["-c", 'tar -C "$1" -cf - . | tar -C "$2" -xf -', "tar-copy", from, to],
  }).output();
  const seconds = (performance.now() - started) / 1000;
  if (!out.success) throw new Error(`tar copy failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  return seconds;
}

const MB = 1e6;

function fmt(n: number, digits = 1): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function stageLine(run: ArchiverRun, stage: string): string {
  const s = run.summary?.stages.find((x) => x.stage === stage);
  if (!s) return `${stage}: not run`;
  const failed = s.failed.length > 0 ? `, ${s.failed.length} failed` : "";
  return `${stage}: ${s.done} done${failed} in ${fmt(s.durationMs / 1000, 2)} s (${
    fmt(s.durationMs > 0 ? s.done / (s.durationMs / 60000) : 0, 0)
  } runs/min)`;
}

async function main(args: string[]): Promise<number> {
  const options = parseOptions(args);
  for (const name of ["BENCH_STORE_URI", "BENCH_SINK_URL"]) {
    const value = Deno.env.get(name);
    if (value) registerUriCredentials(value);
  }
  if (options.store) registerUriCredentials(options.store);
  if (options.sink) registerUriCredentials(options.sink);
  const dir = options.dir ? resolve(options.dir) : await Deno.makeTempDir({ prefix: "bench-e2e-" });
  const say = (line: string) => options.json ? console.error(line) : console.log(redact(line));
  try {
    const recordsDir = join(dir, "records");
    if (options.incrementalOver > 0) {
      return await incrementalBench(options, dir, recordsDir, say);
    }
    const templates = await templatesOf(options.mix, REPO_ROOT, dir);
    for (const skipped of templates.skipped) say(`skipped template ${skipped.path}: ${skipped.reason}`);
    const built = await buildRecords(templates.usable, recordsDir, options.baseRun, options.runs, options.distinct);
    say(
      `built ${built.runs} ${options.distinct ? "distinct " : ""}run records (${fmt(built.bytes / MB)} MB, ` +
        `${built.files} files, mix ${options.mix}: ` +
        `${templates.usable.map((t) => `${t.name} ${fmt(t.bytes / 1000, 0)} kB`).join(", ")}) in ${
          fmt(built.seconds, 2)
        } s`,
    );
    const config = await writeBenchConfig(dir, {
      recordsDir,
      runs: options.runs,
      workers: options.workers,
      threads: options.threads,
      store: options.store,
      sink: options.sink,
      verify: options.verify,
    });
    const tarSeconds = await tarCopySeconds(recordsDir, join(dir, "tar-copy"));
    await Deno.remove(join(dir, "tar-copy"), { recursive: true });
    const run = await runArchiver(config, [], {
      cpuProfDir: options.cpuProf ? join(dir, "cpu-prof") : null,
      v8Flags: options.v8Flags,
    });
    const again = await runArchiver(config, ["--incremental"], { cpuProfDir: null, v8Flags: options.v8Flags });
    const pipelineSeconds = (run.summary?.durationMs ?? 0) / 1000;
    const result = {
      mix: options.mix,
      distinct: options.distinct,
      workers: options.workers,
      threads: options.threads,
      runs: built.runs,
      bytes: built.bytes,
      exitCode: run.exitCode,
      wallSeconds: run.wallSeconds,
      pipelineSeconds,
      runsPerMinute: built.runs / (run.wallSeconds / 60),
      mbPerSecond: built.bytes / MB / run.wallSeconds,
      peakRssMb: run.peakRssBytes / 2 ** 20,
      cpuSeconds: run.cpuSeconds,
      runsPerCpuMinute: built.runs / (run.cpuSeconds / 60),
      loadAverage: Deno.loadavg()[0],
      stages: run.summary?.stages.map((s) => ({
        stage: s.stage,
        done: s.done,
        failed: s.failed.length,
        ms: s.durationMs,
      })),
      tarSeconds,
      ratioToTar: run.wallSeconds / tarSeconds,
      incrementalNothingNewSeconds: again.wallSeconds,
      incrementalPeakRssMb: again.peakRssBytes / 2 ** 20,
    };
    say(`archiver: exit ${run.exitCode}, ${fmt(run.wallSeconds, 2)} s wall (pipeline ${fmt(pipelineSeconds, 2)} s)`);
    say(`  ${stageLine(run, "import")}`);
    say(`  ${stageLine(run, "migrate")}`);
    say(
      `  runs per minute: ${fmt(result.runsPerMinute, 0)}   MB/s: ${fmt(result.mbPerSecond, 2)}   peak RSS: ${
        fmt(result.peakRssMb)
      } MB`,
    );
    say(
      `  CPU: ${fmt(run.cpuSeconds, 2)} s user+sys (${fmt(result.runsPerCpuMinute, 0)} runs per CPU-minute); ` +
        `load average ${fmt(result.loadAverage, 1)} on ${navigator.hardwareConcurrency} CPUs`,
    );
    say(`  tar copy of the same records: ${fmt(tarSeconds, 3)} s → archiver/tar = ${fmt(result.ratioToTar)}×`);
    say(
      `  --incremental with nothing new afterwards: ${fmt(again.wallSeconds, 3)} s wall, peak RSS ${
        fmt(result.incrementalPeakRssMb)
      } MB`,
    );
    if (run.exitCode !== 0) say(`  archiver output (tail):\n${run.logTail}`);
    if (options.cpuProf) say(`  CPU profile: ${join(dir, "cpu-prof")}`);
    if (options.json) console.log(JSON.stringify(result));
    return run.exitCode === 0 ? 0 : 1;
  } finally {
    if (!options.keep && !options.dir) await Deno.remove(dir, { recursive: true }).catch(() => {});
    else say(`kept ${dir}`);
  }
}

/** `--incremental-over N`: build an archived state of N runs, then time one `--incremental` with nothing new. */
async function incrementalBench(
  options: BenchOptions,
  dir: string,
  recordsDir: string,
  say: (line: string) => void,
): Promise<number> {
  const config = await writeBenchConfig(dir, {
    recordsDir,
    runs: 1,
    workers: options.workers,
    threads: options.threads,
    store: options.store,
    sink: options.sink,
    verify: options.verify,
  });
  const state = await synthesizeArchivedState({
    dir,
    recordsDir,
    config,
    baseRun: options.baseRun,
    runs: options.incrementalOver,
  });
  say(`built an archived state of ${state.runs} runs in ${fmt(state.seconds, 1)} s (${state.how})`);
  const timings: number[] = [];
  const cpu: number[] = [];
  let last: ArchiverRun | null = null;
  for (let i = 0; i < 3; i++) {
    last = await runArchiver(config, ["--incremental"], {
      cpuProfDir: options.cpuProf && i === 2 ? join(dir, "cpu-prof") : null,
      v8Flags: options.v8Flags,
    });
    if (last.exitCode !== 0) {
      say(`--incremental failed (exit ${last.exitCode}):\n${last.logTail}`);
      return 1;
    }
    const stages = last.summary?.stages ?? [];
    if (stages.some((s) => s.done > 0 || s.failed.length > 0)) {
      say(`--incremental found work in a state that should be complete: ${JSON.stringify(stages)}`);
      return 1;
    }
    timings.push(last.wallSeconds);
    cpu.push(last.cpuSeconds);
  }
  const best = Math.min(...timings);
  say(
    `--incremental with nothing new over ${state.runs} archived runs: ${
      timings.map((t) => fmt(t, 3)).join(" / ")
    } s wall (best ${fmt(best, 3)} s; pipeline ${fmt((last!.summary?.durationMs ?? 0) / 1000, 3)} s; CPU ${
      cpu.map((t) => fmt(t, 2)).join(" / ")
    } s), peak RSS ${fmt(last!.peakRssBytes / 2 ** 20)} MB`,
  );
  if (options.json) {
    console.log(
      JSON.stringify({
        incrementalOver: state.runs,
        wallSeconds: timings,
        cpuSeconds: cpu,
        peakRssMb: last!.peakRssBytes / 2 ** 20,
      }),
    );
  }
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(redact(`bench-e2e: ${(error as Error).message}`));
    Deno.exit(2);
  }
}
