/**
 * `deno task archive compare [CONFIG] [--runs 100-200,305] [--json] [--ignore-files a,b] [--workers N]`:
 * verify the archive end to end — every selected run exported from artdaqDB and compared, file by file, with the
 * files unpacked from its UconDB blob, with a unified diff of every difference. Without `--runs`, every run in
 * artdaqDB or UconDB is compared. Exit 1 when a run differs or could not be compared, 0 otherwise (runs missing on
 * one side are listed but, as in the Python tool, do not fail the command); 2 on a usage error.
 *
 * @example
 * ```sh
 * deno task archive compare config.yaml --runs 1200-1250
 * deno task archive compare config.yaml --json > compare.json
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { loadConfig } from "../config/mod.ts";
import { ArchiverError, describeError, UsageError } from "../errors.ts";
import { createLogger, levelFromConfig } from "../log/mod.ts";
import { redact } from "../redact.ts";
import type { Registry } from "../registry.ts";
import type { RunSelection } from "../cli/flags.ts";
import { isRunSelected, parseRunSelection } from "../cli/runs.ts";
import { importRepoModule } from "../cli/lazy.ts";
import { chooseConfig } from "../cli/main.ts";
import { runPool } from "../pipeline/pool.ts";
import { type CompareOptions, type CompareRoles, compareRun, type RunComparison } from "./compare.ts";
import { openReadRoles } from "./read_roles.ts";
import { sortedUnique } from "./ranges.ts";
import { writeStdout } from "./stdout.ts";

const USAGE =
  "usage: deno task archive compare [CONFIG] [--runs 100-200,305] [--json] [--ignore-files a,b] [--workers N]";

const HELP = `${USAGE}

Compare every selected run as exported from artdaqDB with the files in its UconDB blob, file by file.

  CONFIG             archiver configuration (default config.yaml, else the embedded archiver.yaml)
  --runs SELECTION   runs to compare, e.g. 100-200,305 (default: every run in artdaqDB or UconDB)
  --json             one JSON document on stdout instead of text
  --ignore-files L   comma-separated file names left out (each also with .fcl appended)
  --workers N        runs compared at a time (default 4)
  -h, --help         this help

Exit status: 0 all compared runs match, 1 a run differs or failed, 2 usage error.`;

/** Totals of a comparison. */
export interface CompareSummary {
  /** Runs compared on both sides (matching + different + failed). */
  compared: number;
  /** Runs identical file by file. */
  matching: number;
  /** Runs with at least one difference. */
  different: number;
  /** Runs that could not be compared (transport or format error). */
  failed: number;
  /** Runs absent from artdaqDB. */
  missingArtdaqdb: number;
  /** Runs absent from UconDB. */
  missingUcondb: number;
}

/** Entry point of the `compare` subcommand. */
export async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        runs: { type: "string" },
        json: { type: "boolean", default: false },
        "ignore-files": { type: "string" },
        workers: { type: "string", default: "4" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (parsed.positionals.length > 1) {
      throw new UsageError(`only one CONFIG expected, got ${parsed.positionals.join(" ")}`);
    }
    if (!/^[1-9]\d{0,2}$/.test(parsed.values.workers!)) {
      throw new UsageError("--workers must be a number from 1 to 999");
    }
  } catch (error) {
    console.error(`${USAGE}\ncompare: error: ${redact(describeError(error))}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(HELP);
    return 0;
  }
  let selection: RunSelection | undefined;
  try {
    selection = parsed.values.runs === undefined ? undefined : parseRunSelection(parsed.values.runs);
  } catch (error) {
    console.error(`${USAGE}\ncompare: error: ${redact(describeError(error))}`);
    return 2;
  }
  const chosen = await chooseConfig(parsed.positionals[0]);
  const config = await loadConfig(chosen.path, { exportEnvFile: true });
  // Log lines go to stderr: stdout carries the result (text or JSON) only.
  const logger = createLogger({
    level: levelFromConfig(config.app.log_level),
    format: config.app.log_format,
    name: "compare",
    terminal: (line) => console.error(line),
  });
  const { builtinRegistry } = await importRepoModule<{ builtinRegistry(): Registry }>(
    "plugins/mod.ts",
    "the built-in plugins are",
  );
  const roles = await openReadRoles(config, builtinRegistry(), logger);
  try {
    const runs = await selectRuns(roles, selection);
    const options: CompareOptions = {
      ignoreFiles: (parsed.values["ignore-files"] ?? "").split(",").filter(Boolean),
    };
    const write = (text: string) => writeStdout(redact(text));
    const results = await compareRuns(runs, roles, options, Number(parsed.values.workers), (result) => {
      if (!parsed.values.json) write(renderRun(result));
    });
    const summary = summarize(results);
    if (parsed.values.json) write(JSON.stringify({ summary, runs: results }, null, 2) + "\n");
    else write(renderSummary(summary, results));
    return summary.different + summary.failed > 0 ? 1 : 0;
  } catch (error) {
    if (error instanceof ArchiverError) {
      logger.error(describeError(error));
      return error.exitCode;
    }
    throw error;
  } finally {
    await roles.close();
    logger.close();
  }
}

/** The runs to compare: the selection's runs present on either side, or every run on either side. */
export async function selectRuns(
  roles: { store: { listRuns(): Promise<number[]> }; sink: { listRuns(): Promise<number[]> } },
  selection?: RunSelection,
): Promise<number[]> {
  const [db, ucon] = await Promise.all([roles.store.listRuns(), roles.sink.listRuns()]);
  const all = sortedUnique([...db, ...ucon]);
  if (!selection) return all;
  // Selected runs that neither side has are still reported (as missing on both sides: a typo must not pass).
  const present = all.filter((run) => isRunSelected(selection, run));
  const explicit: number[] = [];
  for (const { from, to } of selection.ranges) {
    if (to - from < 1000) {
      for (let r = from; r <= to; r++) explicit.push(r);
    }
  }
  return sortedUnique([...present, ...explicit]);
}

/** Compare runs with `workers` at a time; `onResult` sees each result in run order as soon as it is known. */
export async function compareRuns(
  runs: readonly number[],
  roles: CompareRoles,
  options: CompareOptions,
  workers: number,
  onResult: (result: RunComparison) => void = () => {},
): Promise<RunComparison[]> {
  const results: RunComparison[] = new Array(runs.length);
  let emitted = 0;
  await runPool(runs, workers, async (run, index) => {
    results[index] = await compareRun(run, roles, options);
    while (emitted < runs.length && results[emitted]) onResult(results[emitted++]);
  }, () => false);
  return results;
}

/** Totals by status. */
export function summarize(results: readonly RunComparison[]): CompareSummary {
  const summary = { compared: 0, matching: 0, different: 0, failed: 0, missingArtdaqdb: 0, missingUcondb: 0 };
  for (const r of results) {
    if (r.status === "matching") summary.matching++;
    else if (r.status === "different") summary.different++;
    else if (r.status === "failed") summary.failed++;
    else if (r.status === "missing_artdaqdb") summary.missingArtdaqdb++;
    else summary.missingUcondb++;
  }
  summary.compared = summary.matching + summary.different + summary.failed;
  return summary;
}

/** One run as text: a status line, then per differing file its status and diff. */
export function renderRun(result: RunComparison): string {
  switch (result.status) {
    case "matching":
      return `✓ Run ${result.run}: ${result.matchingFiles} file(s) match\n`;
    case "missing_artdaqdb":
      return `⊘ Run ${result.run}: missing in artdaqDB\n`;
    case "missing_ucondb":
      return `⊘ Run ${result.run}: missing in UconDB\n`;
    case "failed":
      return `✗ Run ${result.run}: failed - ${result.error}\n`;
  }
  const lines = [`✗ Run ${result.run}: differences found (${result.matchingFiles} file(s) match)`];
  const { artdaqdb, ucondb } = result.configuration ?? {};
  if (ucondb && artdaqdb !== ucondb) lines.push(`  configuration: artdaqDB '${artdaqdb}', UconDB blob '${ucondb}'`);
  for (const file of result.files) {
    if (file.status === "missing_in_ucondb") lines.push(`  - ${file.path}: missing in UconDB`);
    else if (file.status === "extra_in_ucondb") lines.push(`  - ${file.path}: in UconDB only (not in artdaqDB)`);
    else {
      lines.push(`  - ${file.path}: content differs${file.note ? ` (${file.note})` : ""}`);
      if (file.diff) lines.push(...file.diff.trimEnd().split("\n").map((line) => `    ${line}`));
    }
  }
  return lines.join("\n") + "\n";
}

/** The closing summary. */
export function renderSummary(summary: CompareSummary, results: readonly RunComparison[]): string {
  const pct = (n: number) => (summary.compared ? ((100 * n) / summary.compared).toFixed(1) : "0.0");
  const bad = summary.different + summary.failed > 0;
  const rule = "=".repeat(70);
  const lines = [
    rule,
    bad ? "CRITICAL: MIGRATION VALIDATION FAILED" : "COMPARISON SUMMARY",
    rule,
    `Total runs compared: ${summary.compared}`,
    `Matching runs: ${summary.matching} (${pct(summary.matching)}%)`,
    `Different runs: ${summary.different} (${pct(summary.different)}%)`,
    `Failed runs: ${summary.failed} (${pct(summary.failed)}%)`,
    `Missing in ArtdaqDB: ${summary.missingArtdaqdb}`,
    `Missing in UconDB: ${summary.missingUcondb}`,
  ];
  const differing = results.filter((r) => r.status === "different" || r.status === "failed").map((r) => r.run);
  if (differing.length) lines.push(`Runs to investigate: ${differing.join(", ")}`);
  lines.push(
    bad ? "IMMEDIATE ACTION REQUIRED: Investigate migration failures!" : "All runs match! Migration validation PASSED.",
  );
  return lines.join("\n") + "\n";
}
