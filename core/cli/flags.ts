/**
 * The parsed command line of the archive modes (`deno task archive [config] [flags]`). Every flag of the Python
 * archiver keeps its meaning; the rest are additions.
 *
 * @module
 */
import type { LogFormat, VerifyMode } from "../config/types.ts";

/** The mutually exclusive execution modes of the Python archiver (§1.3); `full` = none given. */
export type ArchiveMode =
  | "full"
  | "import-only"
  | "migrate-only"
  | "retry-failed-import"
  | "retry-failed-migrate"
  | "report-status"
  | "recover-import-state"
  | "recover-migrate-state";

/** An inclusive run-number range; `from === to` for a single run. */
export interface RunRange {
  /** First run of the range. */
  from: number;
  /** Last run of the range (inclusive). */
  to: number;
}

/** Runs selected with `--runs "100-200,305"`: sorted, merged, non-overlapping ranges. */
export interface RunSelection {
  /** Sorted, merged, non-overlapping ranges. */
  ranges: RunRange[];
  /** The text as given, for messages. */
  text: string;
}

/** Every archive-mode flag. */
export interface ArchiveFlags {
  /** Positional config file as given (default `config.yaml`, or the repo's `archiver.yaml` when that is absent). */
  configFile: string;
  /** True when the embedded default `archiver.yaml` was chosen because no config was given and none was found. */
  usedDefaultConfig: boolean;
  /** The execution mode (the exclusive group). `--compare-state` forces `report-status` unless recovering. */
  mode: ArchiveMode;
  /** `-v/--verbose`: log level DEBUG. */
  verbose: boolean;
  /** `-q/--quiet`: only warnings and errors on the terminal (the log file keeps the configured level). */
  quiet: boolean;
  /** `--incremental`: incremental mode for import/migration; also disables fuzzing. */
  incremental: boolean;
  /** `--compare-state`: add the state comparison to the report (implies `--report-status`). */
  compareState: boolean;
  /** `--validate`: check the downloaded blob's metadata after each migration. */
  validate: boolean;
  /** `--runs 100-200,305`: restrict every stage to these runs. */
  runs?: RunSelection;
  /** `--dry-run`: say what would be done, write nothing. */
  dryRun: boolean;
  /**
   * `--watch [seconds]`: keep running, archive new complete runs as they appear; null = not watching,
   * 0 = every `app.watch_interval_seconds`.
   */
  watch: number | null;
  /** `--json`: machine-readable output (report and summary) on stdout. */
  json: boolean;
  /** `--verify meta|full`; undefined = `ucon_db.verify`. */
  verify?: VerifyMode;
  /** `--log-format text|json`; undefined = `app.log_format`. */
  logFormat?: LogFormat;
}
