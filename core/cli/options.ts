/**
 * The table of archive-mode options: names, arguments, help, and which options exclude each other. The parser,
 * the help text and the tests all read this one table.
 *
 * @module
 */
import type { ArchiveMode } from "./flags.ts";

/** How an option takes its argument. */
export type OptionKind = "flag" | "value" | "optional-value";

/** One option. `id` is its canonical long name without dashes. */
export interface OptionSpec {
  /** Canonical long name without dashes (`import-only`). */
  id: string;
  /** Every spelling (`-v`, `--verbose`). */
  names: string[];
  /** Whether and how the option takes an argument. */
  kind: OptionKind;
  /** Accepted values of a `value` option. */
  choices?: readonly string[];
  /** Argument name in the help. */
  metavar?: string;
  /** Execution mode selected by this flag (the Python archiver's exclusive group). */
  mode?: ArchiveMode;
  /** True for options the Python archiver did not have. */
  added?: boolean;
  /** One-line help. */
  help: string;
}

/** Every option of the archive modes, in help order. */
export const OPTIONS: readonly OptionSpec[] = [
  { id: "help", names: ["-h", "--help"], kind: "flag", help: "show this help message and exit (also /?, /h, /help)" },
  { id: "version", names: ["--version"], kind: "flag", added: true, help: "show the version and exit" },
  { id: "verbose", names: ["-v", "--verbose"], kind: "flag", help: "log level DEBUG (overrides app.log_level)" },
  {
    id: "quiet",
    names: ["-q", "--quiet"],
    kind: "flag",
    help: "only warnings and errors on the terminal (the log file keeps its level)",
  },
  {
    id: "incremental",
    names: ["--incremental"],
    kind: "flag",
    help: "incremental mode: only runs after the last processed one, batch_size at a time; disables fuzzing",
  },
  {
    id: "compare-state",
    names: ["--compare-state"],
    kind: "flag",
    help: "add the state comparison to the status report (implies --report-status)",
  },
  { id: "validate", names: ["--validate"], kind: "flag", help: "check each uploaded blob's metadata after migration" },
  {
    id: "import-only",
    names: ["--import-only"],
    kind: "flag",
    mode: "import-only",
    help: "only import run records into artdaqDB",
  },
  {
    id: "migrate-only",
    names: ["--migrate-only"],
    kind: "flag",
    mode: "migrate-only",
    help: "only migrate runs from artdaqDB to UconDB",
  },
  {
    id: "retry-failed-import",
    names: ["--retry-failed-import"],
    kind: "flag",
    mode: "retry-failed-import",
    help: "retry the runs of the import failure log",
  },
  {
    id: "retry-failed-migrate",
    names: ["--retry-failed-migrate"],
    kind: "flag",
    mode: "retry-failed-migrate",
    help: "retry the runs of the migration failure log",
  },
  {
    id: "report-status",
    names: ["--report-status"],
    kind: "flag",
    mode: "report-status",
    help: "print the status report and exit",
  },
  {
    id: "recover-import-state",
    names: ["--recover-import-state"],
    kind: "flag",
    mode: "recover-import-state",
    help: "rebuild the import state and failure log from the run records and artdaqDB",
  },
  {
    id: "recover-migrate-state",
    names: ["--recover-migrate-state"],
    kind: "flag",
    mode: "recover-migrate-state",
    help: "rebuild the migration state and failure log from artdaqDB and UconDB",
  },
  {
    id: "runs",
    names: ["--runs"],
    kind: "value",
    metavar: "LIST",
    added: true,
    help: 'only these runs, e.g. "100-200,305"',
  },
  { id: "dry-run", names: ["--dry-run"], kind: "flag", added: true, help: "show what would be done; write nothing" },
  {
    id: "watch",
    names: ["--watch"],
    kind: "optional-value",
    metavar: "SECONDS",
    added: true,
    help: "keep running: archive new complete runs as they appear, polling every SECONDS " +
      "(default app.watch_interval_seconds)",
  },
  { id: "json", names: ["--json"], kind: "flag", added: true, help: "machine-readable report and summary on stdout" },
  {
    id: "verify",
    names: ["--verify"],
    kind: "value",
    choices: ["meta", "full"],
    added: true,
    help: "after upload: compare size and adler32 (meta) or every byte (full); default ucon_db.verify",
  },
  {
    id: "log-format",
    names: ["--log-format"],
    kind: "value",
    choices: ["text", "json"],
    added: true,
    help: "log line format; default app.log_format",
  },
];

const MODE_IDS = OPTIONS.filter((option) => option.mode).map((option) => option.id);

/** The Python archiver's execution-mode group: at most one of these. */
export const MODE_GROUP: readonly string[] = MODE_IDS;

/**
 * Further exclusions of the new options: `--watch` runs the normal stages forever, so it means nothing with the
 * one-shot modes, the report or a dry run; `-q` and `-v` contradict each other on the terminal.
 */
export const EXCLUSIONS: Readonly<Record<string, readonly string[]>> = {
  watch: [
    "retry-failed-import",
    "retry-failed-migrate",
    "report-status",
    "recover-import-state",
    "recover-migrate-state",
    "compare-state",
    "dry-run",
  ],
  quiet: ["verbose"],
};

/** Every unordered pair of options that exclude each other (for the parser and the tests). */
export function exclusivePairs(): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i < MODE_GROUP.length; i++) {
    for (let j = i + 1; j < MODE_GROUP.length; j++) pairs.push([MODE_GROUP[i], MODE_GROUP[j]]);
  }
  for (const [option, others] of Object.entries(EXCLUSIONS)) {
    for (const other of others) pairs.push([option, other]);
  }
  return pairs;
}

/** Subcommands sharing the entry point: name → module (relative to the repo root) exporting `main(args)`. */
export const SUBCOMMANDS: Readonly<Record<string, { module: string; help: string }>> = {
  fhicl: { module: "core/fhicl/command.ts", help: "parse, print and convert FHiCL / DB-JSON documents" },
  blob: { module: "core/blob/command.ts", help: "pack and unpack UconDB blobs" },
  compare: { module: "core/status/compare_command.ts", help: "compare artdaqDB exports with UconDB blobs" },
  "ucondb-server": { module: "plugins/ucondb/server_command.ts", help: "run the UconDB-compatible server alone" },
};
