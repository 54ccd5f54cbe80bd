/**
 * Pipeline state: per stage (`import`, `migrate`) one JSON file, replaced atomically, that says which runs are
 * done, which failed (with reason and attempt count) and — for import — which runs were imported without a stop
 * time and still await their stop-time update. The status server reads it through `loadStageState`.
 *
 * File shape (`importer_state.json`, `migrator_state.json`; the first two keys are the Python archiver's, so
 * either tool can read the other's file):
 *
 * ```json
 * {
 *   "last_contiguous_run": 1203,
 *   "last_attempted_run": 1207,
 *   "format": "run-record-archiver/state@1",
 *   "stage": "import",
 *   "updated_at": "2026-11-29T14:30:00.000Z",
 *   "done": [[1000, 1203], [1205, 1207]],
 *   "failures": {
 *     "1204": {"reason": "metadata.txt: ...", "attempts": 3, "first_failed_at": "...", "last_failed_at": "...",
 *              "permanent": false}
 *   },
 *   "pending_updates": {"1207": {"imported_at": "...", "modified_at": 1764426600000}},
 *   "in_flight": []
 * }
 * ```
 *
 * * `done` — runs finished by this stage, as merged inclusive ranges (100,000 consecutive runs are one pair).
 *   Import: the initial write is stored (and the stop-time update, when the run had one). Migrate: the blob is in
 *   the sink **and verified** (size + adler32, or a full compare).
 * * `last_contiguous_run` — the largest run R such that every run of the stage's universe (source runs for
 *   import, store runs for migrate) up to R is done; it advances from real run numbers (fixes §16.1-10).
 * * `last_attempted_run` — the largest run that completed an attempt (success or failure), as in Python.
 * * `failures` — one record per run (deduplicated), removed when the run later succeeds.
 * * `pending_updates` — import only: runs imported flagged incomplete, awaiting the stop-time update.
 * * `in_flight` — runs of a batch in progress (written at batch start, emptied at batch end); after a crash they
 *   are re-processed idempotently rather than trusted from a listing.
 *
 * The failure log files of the Python archiver (`import_failures.log`, one run per line) are still written, as a
 * derived view, so the Python reporter and operators' scripts keep working. On first use (a state file without
 * `format`, or none at all) the Python state keys and failure log are adopted: runs up to
 * `last_contiguous_run` count as done (except those listed as failed), the failure log becomes failure records.
 *
 * A state file that is not valid JSON, not an object, or has malformed keys raises `StateError` naming the
 * recovery command; it is never silently reset (§16.1-14).
 *
 * @example
 * ```ts
 * import { loadStageState, saveStageState } from "./mod.ts";
 * const paths = { stateFile: "/tmp/w/importer_state.json", failureLog: "/tmp/w/import_failures.log" };
 * const state = await loadStageState("import", paths);
 * state.markDone(12000);
 * state.noteAttempted([12000]);
 * await saveStageState(state);
 * ```
 *
 * @module
 */
import { StateError } from "../errors.ts";
import { writeFileAtomic } from "./atomic.ts";
import { type RunRange, RunSet } from "./run_set.ts";

export { type RunRange, RunSet } from "./run_set.ts";
export { writeFileAtomic } from "./atomic.ts";

/** The two stages that keep state. */
export type StageName = "import" | "migrate";

/** Marker of this implementation's state files (absent in the Python archiver's). */
export const STATE_FORMAT = "run-record-archiver/state@1";

/** Where a stage keeps its state file and its (derived, Python-compatible) failure log. */
export interface StagePaths {
  stateFile: string;
  failureLog: string;
}

/** The `app` keys that name state files (a subset of `AppConfig`). */
export interface StatePathConfig {
  import_state_file: string;
  import_failure_log: string;
  migrate_state_file: string;
  migrate_failure_log: string;
}

/** The state and failure-log paths of a stage, from the `app` section. */
export function stagePaths(app: StatePathConfig, stage: StageName): StagePaths {
  return stage === "import"
    ? { stateFile: app.import_state_file, failureLog: app.import_failure_log }
    : { stateFile: app.migrate_state_file, failureLog: app.migrate_failure_log };
}

/** The command-line flag that rebuilds a stage's state from the data stores. */
export function recoveryFlag(stage: StageName): string {
  return stage === "import" ? "--recover-import-state" : "--recover-migrate-state";
}

/** The command-line flag that retries a stage's failed runs. */
export function retryFlag(stage: StageName): string {
  return stage === "import" ? "--retry-failed-import" : "--retry-failed-migrate";
}

/** One failed run of a stage. */
export interface FailureRecord {
  run: number;
  stage: StageName;
  /** One-line reason of the last failure (already redacted). */
  reason: string;
  /** Attempts made in total, over every invocation (0 when adopted from a Python failure log). */
  attempts: number;
  /** ISO 8601 time of the first and the latest failure. */
  firstFailedAt: string;
  lastFailedAt: string;
  /** True when retrying cannot help in the same invocation (bad input, fuzz skip); retry modes still try. */
  permanent: boolean;
}

/** An imported run that had no stop time yet. */
export interface PendingUpdate {
  run: number;
  /** ISO 8601 time of the incomplete import. */
  importedAt: string;
  /** The run directory's mtime (ms) when imported: the run is re-checked only once it changes. */
  modifiedAt: number;
}

/** The state of one stage, in memory. Mutate through the methods, then `saveStageState`. */
export class StageState {
  readonly stage: StageName;
  readonly paths: StagePaths;
  lastContiguousRun: number;
  lastAttemptedRun: number;
  readonly done: RunSet;
  readonly failures: Map<number, FailureRecord>;
  readonly pendingUpdates: Map<number, PendingUpdate>;
  /**
   * Runs of a batch that was started and not finished (written once at batch start): after a crash they are
   * re-processed (idempotently) instead of being adopted from a store/sink listing, so a half-done run is
   * completed and verified.
   */
  readonly inFlight: RunSet;
  /** Keys of the file this implementation does not know: preserved on write, as the Python updaters did. */
  readonly extra: Record<string, unknown>;
  updatedAt: string | null;

  constructor(stage: StageName, paths: StagePaths, init: Partial<StageStateInit> = {}) {
    this.stage = stage;
    this.paths = paths;
    this.lastContiguousRun = init.lastContiguousRun ?? 0;
    this.lastAttemptedRun = init.lastAttemptedRun ?? 0;
    this.done = init.done ?? new RunSet();
    this.failures = init.failures ?? new Map();
    this.pendingUpdates = init.pendingUpdates ?? new Map();
    this.inFlight = init.inFlight ?? new RunSet();
    this.extra = init.extra ?? {};
    this.updatedAt = init.updatedAt ?? null;
  }

  /** Whether the run is done in this stage. */
  isDone(run: number): boolean {
    return this.done.has(run);
  }

  /** Record a success: done, failure record cleared. */
  markDone(run: number): void {
    this.done.add(run);
    this.failures.delete(run);
  }

  /** Record (or update) the failure of `run` after `attempts` more attempts. */
  recordFailure(
    run: number,
    reason: string,
    attempts: number,
    permanent: boolean = false,
    now: Date = new Date(),
  ): FailureRecord {
    const time = now.toISOString();
    const previous = this.failures.get(run);
    const record: FailureRecord = {
      run,
      stage: this.stage,
      reason,
      attempts: (previous?.attempts ?? 0) + attempts,
      firstFailedAt: previous?.firstFailedAt ?? time,
      lastFailedAt: time,
      permanent,
    };
    this.failures.set(run, record);
    return record;
  }

  /** Failed runs, ascending. */
  failedRuns(): number[] {
    return [...this.failures.keys()].sort((a, b) => a - b);
  }

  /** Remember that `run` was imported without a stop time. */
  markPendingUpdate(run: number, modifiedAt: number, now: Date = new Date()): void {
    this.pendingUpdates.set(run, { run, importedAt: now.toISOString(), modifiedAt });
  }

  /** The stop-time update of `run` is stored (or no longer expected). */
  clearPendingUpdate(run: number): void {
    this.pendingUpdates.delete(run);
  }

  /** Raise `last_attempted_run` to the largest of `runs` (never lowers it). */
  noteAttempted(runs: Iterable<number>): void {
    for (const run of runs) if (run > this.lastAttemptedRun) this.lastAttemptedRun = run;
  }

  /**
   * Advance `last_contiguous_run` over `universe` (the stage's runs, ascending): it becomes the largest run R
   * such that every universe run ≤ R is done. Only walks from the current value, so it costs what it advances.
   * Runs below the smallest universe run do not block it (real run numbers start at e.g. 12000).
   */
  advanceContiguous(universe: readonly number[]): void {
    let index = firstAbove(universe, this.lastContiguousRun);
    let last = this.lastContiguousRun;
    while (index < universe.length && this.done.has(universe[index])) last = universe[index++];
    this.lastContiguousRun = last;
  }

  /** Runs the incremental mode starts after: the honest contiguous value. */
  incrementalStart(): number {
    return this.lastContiguousRun;
  }
}

/** Constructor fields of `StageState`. */
export interface StageStateInit {
  lastContiguousRun: number;
  lastAttemptedRun: number;
  done: RunSet;
  failures: Map<number, FailureRecord>;
  pendingUpdates: Map<number, PendingUpdate>;
  inFlight: RunSet;
  extra: Record<string, unknown>;
  updatedAt: string | null;
}

/** Index of the first element of the ascending `runs` greater than `value`. */
export function firstAbove(runs: readonly number[], value: number): number {
  let low = 0;
  let high = runs.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (runs[mid] <= value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * Read a stage's state. A missing file gives an empty state (adopting a Python failure log when one exists);
 * a Python state file is adopted; a corrupt file throws `StateError` naming the recovery command.
 */
export async function loadStageState(stage: StageName, paths: StagePaths): Promise<StageState> {
  let text: string | null;
  try {
    text = await Deno.readTextFile(paths.stateFile);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw corrupt(stage, paths, `cannot be read (${(error as Error).message})`);
    }
    text = null;
  }
  if (text === null) {
    const state = new StageState(stage, paths);
    await adoptPythonFailureLog(state);
    return state;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw corrupt(stage, paths, `is not valid JSON (${(error as Error).message})`);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw corrupt(stage, paths, "is not a JSON object");
  }
  const object = raw as Record<string, unknown>;
  const state = object.format === undefined
    ? adoptPythonState(stage, paths, object)
    : parseOwnState(stage, paths, object);
  if (object.format === undefined) await adoptPythonFailureLog(state);
  return state;
}

/** Write a stage's state file and its derived failure log, both atomically. */
export async function saveStageState(state: StageState, now = new Date()): Promise<void> {
  state.updatedAt = now.toISOString();
  await writeFileAtomic(state.paths.stateFile, serializeState(state));
  await writeFileAtomic(state.paths.failureLog, state.failedRuns().map((run) => `${run}\n`).join(""));
}

/** The JSON text of a state file (Python keys first; ranges one per line to keep large files readable). */
export function serializeState(state: StageState): string {
  const failures: Record<string, unknown> = {};
  for (const run of state.failedRuns()) {
    const f = state.failures.get(run)!;
    failures[String(run)] = {
      reason: f.reason,
      attempts: f.attempts,
      first_failed_at: f.firstFailedAt,
      last_failed_at: f.lastFailedAt,
      permanent: f.permanent,
    };
  }
  const pending: Record<string, unknown> = {};
  for (const run of [...state.pendingUpdates.keys()].sort((a, b) => a - b)) {
    const p = state.pendingUpdates.get(run)!;
    pending[String(run)] = { imported_at: p.importedAt, modified_at: p.modifiedAt };
  }
  const document = {
    ...state.extra,
    last_contiguous_run: state.lastContiguousRun,
    last_attempted_run: state.lastAttemptedRun,
    format: STATE_FORMAT,
    stage: state.stage,
    updated_at: state.updatedAt,
    done: state.done.ranges(),
    failures,
    pending_updates: pending,
    in_flight: state.inFlight.ranges(),
  };
  return JSON.stringify(document, null, 2).replace(
    /\[\n\s+(-?\d+),\n\s+(-?\d+)\n\s+\]/g,
    "[$1, $2]",
  ) + "\n";
}

function corrupt(stage: StageName, paths: StagePaths, what: string): StateError {
  return new StateError(
    `state file '${paths.stateFile}' ${what}; it was left untouched — rebuild it from the data stores with ` +
      `'deno task archive <config> ${recoveryFlag(stage)}' (or restore it from a backup)`,
    { stage },
  );
}

function runNumber(value: unknown): number | null {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

/** The Python file: two optional integer keys; everything else is kept as extra. */
function adoptPythonState(stage: StageName, paths: StagePaths, object: Record<string, unknown>): StageState {
  const { last_contiguous_run: contiguous, last_attempted_run: attempted, ...extra } = object;
  const c = contiguous === undefined ? 0 : runNumber(contiguous);
  const a = attempted === undefined ? 0 : runNumber(attempted);
  if (c === null) throw corrupt(stage, paths, "has a 'last_contiguous_run' that is not a run number");
  if (a === null) throw corrupt(stage, paths, "has a 'last_attempted_run' that is not a run number");
  const done = c > 0 ? RunSet.fromRanges([[0, c]]) : new RunSet();
  return new StageState(stage, paths, { lastContiguousRun: c, lastAttemptedRun: a, done, extra });
}

/** The Python failure log (one run per line; non-digit lines ignored) becomes failure records. */
async function adoptPythonFailureLog(state: StageState): Promise<void> {
  let text: string;
  try {
    text = await Deno.readTextFile(state.paths.failureLog);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw corrupt(state.stage, state.paths, `has a failure log '${state.paths.failureLog}' that cannot be read`);
  }
  const time = new Date().toISOString();
  for (const run of parseFailureLog(text)) {
    state.done.delete(run);
    if (state.failures.has(run)) continue;
    state.failures.set(run, {
      run,
      stage: state.stage,
      reason: "listed in the Python archiver's failure log",
      attempts: 0,
      firstFailedAt: time,
      lastFailedAt: time,
      permanent: false,
    });
  }
}

/** Parse a Python failure log: lines whose trimmed text is all digits (`" 7 "` → 7, `"08"` → 8), deduplicated. */
export function parseFailureLog(text: string): number[] {
  const runs = new Set<number>();
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (/^\d+$/.test(trimmed)) runs.add(Number(trimmed));
  }
  return [...runs].sort((a, b) => a - b);
}

function parseOwnState(stage: StageName, paths: StagePaths, object: Record<string, unknown>): StageState {
  const {
    last_contiguous_run,
    last_attempted_run,
    format,
    stage: fileStage,
    updated_at,
    done,
    failures,
    pending_updates,
    in_flight,
    ...extra
  } = object;
  const bad = (what: string) => corrupt(stage, paths, what);
  if (format !== STATE_FORMAT) throw bad(`has unknown format '${String(format)}'`);
  if (fileStage !== stage) throw bad(`belongs to stage '${String(fileStage)}', not '${stage}'`);
  const c = runNumber(last_contiguous_run ?? 0);
  const a = runNumber(last_attempted_run ?? 0);
  if (c === null || a === null) throw bad("has a last_contiguous_run/last_attempted_run that is not a run number");
  const ranges = parseRanges(done, "done", bad);
  const inFlightRanges = parseRanges(in_flight ?? [], "in_flight", bad);
  const failureMap = new Map<number, FailureRecord>();
  for (const [key, value] of Object.entries(asObject(failures, () => bad("has a malformed 'failures' object")))) {
    const run = /^\d+$/.test(key) ? Number(key) : null;
    const v = value as Record<string, unknown> | null;
    if (
      run === null || v === null || typeof v !== "object" || typeof v.reason !== "string" ||
      runNumber(v.attempts) === null || typeof v.first_failed_at !== "string" || typeof v.last_failed_at !== "string"
    ) throw bad(`has a malformed failure record for '${key}'`);
    failureMap.set(run, {
      run,
      stage,
      reason: v.reason,
      attempts: v.attempts as number,
      firstFailedAt: v.first_failed_at,
      lastFailedAt: v.last_failed_at,
      permanent: v.permanent === true,
    });
  }
  const pendingMap = new Map<number, PendingUpdate>();
  for (
    const [key, value] of Object.entries(
      asObject(pending_updates, () => bad("has a malformed 'pending_updates' object")),
    )
  ) {
    const run = /^\d+$/.test(key) ? Number(key) : null;
    const v = value as Record<string, unknown> | null;
    if (run === null || v === null || typeof v !== "object" || typeof v.imported_at !== "string") {
      throw bad(`has a malformed pending update for '${key}'`);
    }
    pendingMap.set(run, {
      run,
      importedAt: v.imported_at,
      modifiedAt: typeof v.modified_at === "number" ? v.modified_at : 0,
    });
  }
  return new StageState(stage, paths, {
    lastContiguousRun: c,
    lastAttemptedRun: a,
    done: RunSet.fromRanges(ranges),
    failures: failureMap,
    pendingUpdates: pendingMap,
    inFlight: RunSet.fromRanges(inFlightRanges),
    extra,
    updatedAt: typeof updated_at === "string" ? updated_at : null,
  });
}

function parseRanges(value: unknown, key: string, bad: (what: string) => StateError): RunRange[] {
  if (!Array.isArray(value)) throw bad(`has no '${key}' range list`);
  const ranges: RunRange[] = [];
  for (const range of value) {
    const first = Array.isArray(range) && range.length === 2 ? runNumber(range[0]) : null;
    const last = Array.isArray(range) && range.length === 2 ? runNumber(range[1]) : null;
    if (first === null || last === null || first > last) {
      throw bad(`has a malformed '${key}' range ${JSON.stringify(range)}`);
    }
    ranges.push([first, last]);
  }
  return ranges;
}

function asObject(value: unknown, error: () => StateError): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw error();
  return value as Record<string, unknown>;
}

/**
 * Write exactly the Python recovery result: `{last_contiguous_run, last_attempted_run}` semantics of §9.4 with
 * `done` = the runs found in the destination and the failures = `missing` (extra keys are dropped, as in Python).
 */
export function recoveredState(
  stage: StageName,
  paths: StagePaths,
  result: { lastContiguousRun: number; lastAttemptedRun: number; done: RunSet; missing: number[] },
  now = new Date(),
): StageState {
  const state = new StageState(stage, paths, {
    lastContiguousRun: result.lastContiguousRun,
    lastAttemptedRun: result.lastAttemptedRun,
    done: result.done,
  });
  // A fresh state has no earlier record, so each failure counts 0 attempts (none were made).
  for (const run of result.missing) state.recordFailure(run, `missing after ${recoveryFlag(stage)}`, 0, false, now);
  return state;
}
