/**
 * Every known run with its place in the pipeline, built once per refresh from the source listings and the state,
 * then filtered, searched and paged in memory: 100,000 runs take a few milliseconds per query.
 *
 * A run is in exactly one of these states (the first that applies):
 * * `archived` — in UconDB (listing) or verified by the migrate stage;
 * * `failed` — a failure is recorded for it (import or migrate) and it is not archived;
 * * `imported` — in artdaqDB, waiting for migration;
 * * `waiting` — only in the run records, waiting for import.
 * `awaitingStopTime` flags runs imported without a stop time (their stop-time update is pending); `inProgress`
 * names the stage working on a run right now (only while an archiver process runs).
 *
 * @example
 * ```ts
 * import { buildRunIndex } from "./run_index.ts";
 * const index = buildRunIndex(snapshot, { import: importState, migrate: migrateState });
 * index.counts();                                  // { waiting: 3, imported: 1, failed: 2, archived: 99994 }
 * index.query({ state: "failed", limit: 50 }).items;
 * ```
 *
 * @module
 */
import type { FailureRecord, StageName, StageState } from "../state/mod.ts";
import type { SourcesSnapshot } from "./sources.ts";

/** Where a run is. */
export type RunState = "waiting" | "imported" | "failed" | "archived";

/** Every run state, in pipeline order. */
export const RUN_STATES: readonly RunState[] = ["waiting", "imported", "failed", "archived"];

const STATE_CODE: Record<RunState, number> = { waiting: 0, imported: 1, failed: 2, archived: 3 };

/** One row of the run table. */
export interface RunRow {
  /** Run number. */
  run: number;
  /** Where the run is. */
  state: RunState;
  /** Listed by the run records. */
  onFilesystem: boolean;
  /** Listed by artdaqDB. */
  inArtdaqdb: boolean;
  /** Listed by UconDB. */
  inUcondb: boolean;
  /** Imported without a stop time; the stop-time update is pending. */
  awaitingStopTime: boolean;
  /** The stage working on the run right now (in the running archiver's batch), if any. */
  inProgress?: StageName;
  /** The failure that makes the run `failed` (migrate first: it is the later stage). */
  failure?: { stage: StageName; reason: string; attempts: number; at: string; permanent: boolean };
}

/** A query of the run table. */
export interface RunQuery {
  /** Only runs in this state (`all` or absent: every run). */
  state?: RunState | "all";
  /** A run number, a range `100-200`, or text matched case-insensitively against failure reasons. */
  search?: string;
  /** Rows skipped (default 0). */
  offset?: number;
  /** Rows returned (default 50, at most 500). */
  limit?: number;
  /** `desc` (newest run first, default) or `asc`. */
  order?: "asc" | "desc";
}

/** A page of the run table. */
export interface RunPage {
  /** Rows matching the query (all pages). */
  total: number;
  /** Rows skipped. */
  offset: number;
  /** Largest page size asked for (after clamping). */
  limit: number;
  /** The rows of this page. */
  items: RunRow[];
}

/** Per-stage state the index needs. */
export type StageStates = Record<StageName, Pick<StageState, "done" | "failures" | "pendingUpdates" | "inFlight">>;

/** The largest page the API hands out: bounded response size whatever the client asks. */
export const MAX_PAGE = 500;

/** An immutable index of every run. */
export class RunIndex {
  /** Every known run, ascending. */
  readonly runs: Float64Array;
  readonly #codes: Uint8Array;
  readonly #flags: Uint8Array;
  readonly #states: StageStates;
  readonly #counts: Record<RunState, number>;
  readonly #archiverRunning: boolean;

  /** Use `buildRunIndex`; the arrays are taken over, not copied. */
  constructor(
    runs: Float64Array,
    codes: Uint8Array,
    flags: Uint8Array,
    states: StageStates,
    archiverRunning = false,
  ) {
    this.runs = runs;
    this.#codes = codes;
    this.#flags = flags;
    this.#states = states;
    this.#archiverRunning = archiverRunning;
    const counts = { waiting: 0, imported: 0, failed: 0, archived: 0 };
    for (const code of codes) counts[RUN_STATES[code]]++;
    this.#counts = counts;
  }

  /** Number of runs in each state. */
  counts(): Record<RunState, number> {
    return { ...this.#counts };
  }

  /** Number of known runs. */
  get size(): number {
    return this.runs.length;
  }

  /** The row of one run, or null when the run is unknown. */
  get(run: number): RunRow | null {
    const i = this.#find(run);
    return i < 0 ? null : this.#row(i);
  }

  /** A filtered, searched page, newest run first unless `order: "asc"`. */
  query(query: RunQuery = {}): RunPage {
    const offset = Math.max(0, Math.floor(query.offset ?? 0));
    const limit = Math.min(MAX_PAGE, Math.max(1, Math.floor(query.limit ?? 50)));
    const wanted = query.state && query.state !== "all" ? STATE_CODE[query.state] : -1;
    const match = this.#matcher(query.search?.trim() ?? "");
    const items: RunRow[] = [];
    let total = 0;
    const n = this.runs.length;
    const descending = query.order !== "asc";
    for (let k = 0; k < n; k++) {
      const i = descending ? n - 1 - k : k;
      if (wanted >= 0 && this.#codes[i] !== wanted) continue;
      if (match && !match(i)) continue;
      if (total >= offset && items.length < limit) items.push(this.#row(i));
      total++;
    }
    return { total, offset, limit, items };
  }

  #matcher(search: string): ((i: number) => boolean) | null {
    if (search === "") return null;
    const range = /^(\d+)\s*(?:-|\.\.)\s*(\d+)$/.exec(search);
    if (range) {
      const [lo, hi] = [Number(range[1]), Number(range[2])].sort((a, b) => a - b);
      return (i) => this.runs[i] >= lo && this.runs[i] <= hi;
    }
    if (/^\d+$/.test(search)) {
      // A number matches runs whose number starts with it: "120" finds 120, 1200-1209, 12000-12099, ...
      return (i) => String(this.runs[i]).startsWith(search);
    }
    const needle = search.toLowerCase();
    return (i) => {
      const failure = this.#failure(this.runs[i]);
      return failure !== undefined && failure.reason.toLowerCase().includes(needle);
    };
  }

  #failure(run: number): FailureRecord | undefined {
    return this.#states.migrate.failures.get(run) ?? this.#states.import.failures.get(run);
  }

  #row(i: number): RunRow {
    const run = this.runs[i];
    const flags = this.#flags[i];
    const row: RunRow = {
      run,
      state: RUN_STATES[this.#codes[i]],
      onFilesystem: (flags & FLAG_FS) !== 0,
      inArtdaqdb: (flags & FLAG_DB) !== 0,
      inUcondb: (flags & FLAG_UCON) !== 0,
      awaitingStopTime: this.#states.import.pendingUpdates.has(run),
    };
    // A batch's runs stay in in_flight after a crash: they are only "in progress" while an archiver runs.
    if (this.#archiverRunning) {
      if (this.#states.migrate.inFlight.has(run)) row.inProgress = "migrate";
      else if (this.#states.import.inFlight.has(run)) row.inProgress = "import";
    }
    const failure = row.state === "failed" ? this.#failure(run) : undefined;
    if (failure) {
      row.failure = {
        stage: failure.stage,
        reason: failure.reason,
        attempts: failure.attempts,
        at: failure.lastFailedAt,
        permanent: failure.permanent,
      };
    }
    return row;
  }

  #find(run: number): number {
    let lo = 0;
    let hi = this.runs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const value = this.runs[mid];
      if (value === run) return mid;
      if (value < run) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}

const FLAG_FS = 1;
const FLAG_DB = 2;
const FLAG_UCON = 4;

/**
 * Build the index: the union of the three listings and the failed runs, each classified with the state (a run the
 * migrate stage verified counts as archived even while UconDB does not answer).
 */
export function buildRunIndex(snapshot: SourcesSnapshot, states: StageStates, archiverRunning = false): RunIndex {
  const fs = snapshot.filesystem.runs;
  const db = snapshot.artdaqdb.runs;
  const ucon = snapshot.ucondb.runs;
  // Failed runs may be absent from every listing (a run directory removed after its failure): list them anyway.
  const extra: number[] = [...states.import.failures.keys(), ...states.migrate.failures.keys()];
  extra.sort((a, b) => a - b);
  // k-way merge of four ascending lists into one ascending, unique list with source flags.
  const lists = [fs, db, ucon, extra];
  const bits = [FLAG_FS, FLAG_DB, FLAG_UCON, 0];
  const positions = [0, 0, 0, 0];
  const capacity = fs.length + db.length + ucon.length + extra.length;
  const runs = new Float64Array(capacity);
  const flags = new Uint8Array(capacity);
  let n = 0;
  for (;;) {
    let next = Infinity;
    for (let l = 0; l < 4; l++) {
      if (positions[l] < lists[l].length && lists[l][positions[l]] < next) next = lists[l][positions[l]];
    }
    if (next === Infinity) break;
    let f = 0;
    for (let l = 0; l < 4; l++) {
      while (positions[l] < lists[l].length && lists[l][positions[l]] === next) {
        f |= bits[l];
        positions[l]++;
      }
    }
    runs[n] = next;
    flags[n] = f;
    n++;
  }
  const codes = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const run = runs[i];
    const f = flags[i];
    if ((f & FLAG_UCON) || states.migrate.done.has(run)) codes[i] = STATE_CODE.archived;
    else if (states.migrate.failures.has(run) || states.import.failures.has(run)) codes[i] = STATE_CODE.failed;
    else if ((f & FLAG_DB) || states.import.done.has(run)) codes[i] = STATE_CODE.imported;
    else codes[i] = STATE_CODE.waiting;
  }
  return new RunIndex(runs.slice(0, n), codes, flags.slice(0, n), states, archiverRunning);
}
