/**
 * The status report as data: per-source summaries (count, range, contiguous ranges, gaps), recommendations and the
 * optional state comparison. `report_text.ts` prints it like the Python archiver; `--json` prints it as is.
 * Everything here is linear in the number of runs.
 *
 * @module
 */
import type { SourceKey, SourceListing, SourcesSnapshot } from "./sources.ts";
import {
  compactRanges,
  countInRanges,
  difference,
  formatGaps,
  formatList,
  formatRanges,
  gapRanges,
  type RunRange,
  sortedUnique,
  toRanges,
  upperBound,
} from "./ranges.ts";

/** Summary of one source in the report. */
export interface SourceSummary {
  /** Which source. */
  key: SourceKey;
  /** Section title as the Python report prints it (`FILESYSTEM (Source)`, ...). */
  title: string;
  /** The plugin's description, redacted. */
  description: string;
  /** Labelled location lines (`Location`, `Database URI`, ...), already redacted. */
  location: Record<string, string>;
  /** Whether the listing succeeded. */
  reachable: boolean;
  /** One-line reason when unreachable. */
  error?: string;
  /** Number of runs. */
  total: number;
  /** Smallest run, or null. */
  first: number | null;
  /** Largest run, or null. */
  last: number | null;
  /** Every contiguous range, compact (`"1-3, 5, 7-8"`). */
  contiguous: string;
  /** Number of contiguous ranges. */
  rangeCount: number;
  /** Every gap, compact (`"4, 6"`), never one entry per missing run. */
  gaps: string;
  /** Number of missing runs between first and last. */
  gapCount: number;
  /** The Python report's shortened forms, for the text output. */
  contiguousText: string;
  /** Gaps as the Python report prints them (first 20 runs). */
  gapsText: string;
  /** Time the listing took, ms. */
  durationMs: number;
}

/** One recommendation; `code` is stable for scripts. */
export interface Recommendation {
  /** Stable identifier of the recommendation. */
  code: "run-importer" | "run-migrator" | "store-not-on-filesystem" | "sink-not-in-store" | "synchronized";
  /** Runs concerned. */
  count: number;
  /** Smallest run concerned. */
  first?: number;
  /** Largest run concerned. */
  last?: number;
  /** The line as the Python report prints it. */
  text: string;
}

/** A failed run as the state records it. */
export interface FailedRun {
  /** Run number. */
  run: number;
  /** One-line reason of the last failure (redacted). */
  reason: string;
  /** Attempts made in total. */
  attempts: number;
  /** ISO time of the last failure, when known. */
  at?: string;
}

/** What the state says about one stage (input of the comparison). */
export interface StageStateSummary {
  /** Largest run up to which every run of the stage is done. */
  lastContiguousRun: number;
  /** Largest run that completed an attempt. */
  lastAttemptedRun: number;
  /** Failed runs, ascending. */
  failures: FailedRun[];
}

/** The state comparison of one stage. */
export interface StageComparison {
  /** Which stage. */
  stage: "import" | "migrate";
  /** Section title of the text report. */
  title: string;
  /** From the state file. */
  lastContiguousRun: number;
  /** Runs ≤ last contiguous expected downstream but absent there (compact ranges), with count and short list. */
  missing: { count: number; runs: string; text: string } | null;
  /** Runs upstream above the last contiguous run. */
  newRuns: { count: number; first: number; last: number } | null;
  /** The stage's failed runs. */
  failures: FailedRun[];
  /** The command that retries the failed runs of this stage. */
  retryCommand: string | null;
  /** False when one of the two sources needed is unreachable. */
  comparable: boolean;
}

/** The whole report. */
export interface StatusReport {
  /** ISO time when the sources were queried. */
  generatedAt: string;
  /** True when every source answered (and, with the state comparison, the state files were readable). */
  ok: boolean;
  /** One summary per source. */
  sources: Record<SourceKey, SourceSummary>;
  /** What to do next, in the Python report's order. */
  recommendations: Recommendation[];
  /** Present with `--compare-state`. */
  stateComparison?: { import: StageComparison; migrate: StageComparison };
  /** Why the state comparison is missing although asked for (a state file is unreadable). */
  stateError?: string;
}

const TITLES: Record<SourceKey, string> = {
  filesystem: "FILESYSTEM (Source)",
  artdaqdb: "ARTDAQDB (Intermediate Storage)",
  ucondb: "UCONDB (Long-term Storage)",
};

/** Summarize one listing: ranges once, then every figure from them. */
export function summarizeSource(listing: SourceListing, location: Record<string, string>): SourceSummary {
  const ranges = toRanges(listing.runs);
  const gaps = gapRanges(ranges);
  return {
    key: listing.key,
    title: TITLES[listing.key],
    description: listing.description,
    location,
    reachable: listing.reachable,
    ...(listing.error !== undefined ? { error: listing.error } : {}),
    total: listing.runs.length,
    first: listing.runs.length ? listing.runs[0] : null,
    last: listing.runs.length ? listing.runs[listing.runs.length - 1] : null,
    contiguous: compactRanges(ranges),
    rangeCount: ranges.length,
    gaps: compactRanges(gaps),
    gapCount: countInRanges(gaps),
    contiguousText: formatRanges(ranges),
    gapsText: formatGaps(ranges),
    durationMs: Math.round(listing.durationMs),
  };
}

/** The Python report's recommendations, in its order, only for pairs of sources that both answered. */
export function recommend(snapshot: SourcesSnapshot): Recommendation[] {
  const { filesystem: fs, artdaqdb: db, ucondb: ucon } = snapshot;
  const out: Recommendation[] = [];
  const add = (
    code: Recommendation["code"],
    a: SourceListing,
    b: SourceListing,
    text: (count: number, first: number, last: number) => string,
  ) => {
    if (!a.reachable || !b.reachable) return;
    const runs = difference(a.runs, b.runs);
    if (runs.length === 0) return;
    const first = runs[0];
    const last = runs[runs.length - 1];
    out.push({ code, count: runs.length, first, last, text: text(runs.length, first, last) });
  };
  add(
    "run-importer",
    fs,
    db,
    (k, a, b) => `Run IMPORTER: ${k} run(s) on filesystem not in artdaqDB (range: ${a}-${b})`,
  );
  add("run-migrator", db, ucon, (k, a, b) => `Run MIGRATOR: ${k} run(s) in artdaqDB not in UconDB (range: ${a}-${b})`);
  add(
    "store-not-on-filesystem",
    db,
    fs,
    (k) => `WARNING: ${k} run(s) in artdaqDB but not on filesystem (may have been deleted)`,
  );
  add(
    "sink-not-in-store",
    ucon,
    db,
    (k) => `INFO: ${k} run(s) in UconDB but not in artdaqDB (may have been cleaned up from intermediate storage)`,
  );
  const allReachable = fs.reachable && db.reachable && ucon.reachable;
  if (out.length === 0 && allReachable) {
    out.push({ code: "synchronized", count: 0, text: "All systems are synchronized - no action needed" });
  }
  return out;
}

/**
 * Compare one stage's state with its two sources (import: filesystem → artdaqDB; migrate: artdaqDB → UconDB),
 * as the Python `--compare-state` block does, plus the failures with their reasons.
 */
export function compareStage(
  stage: "import" | "migrate",
  state: StageStateSummary,
  upstream: SourceListing,
  downstream: SourceListing,
  retryCommand: string | null,
): StageComparison {
  const c = state.lastContiguousRun;
  const comparable = upstream.reachable && downstream.reachable;
  let missing: StageComparison["missing"] = null;
  let newRuns: StageComparison["newRuns"] = null;
  if (comparable && c > 0) {
    const cut = upperBound(upstream.runs, c);
    const absent = toRanges(difference(upstream.runs.slice(0, cut), downstream.runs));
    const count = countInRanges(absent);
    missing = { count, runs: compactRanges(absent), text: formatList(absent, 10, "runs") };
    if (cut < upstream.runs.length) {
      newRuns = { count: upstream.runs.length - cut, first: upstream.runs[cut], last: upstream.runs.at(-1)! };
    }
  }
  return {
    stage,
    title: stage === "import" ? "IMPORT STAGE STATE" : "MIGRATION STAGE STATE",
    lastContiguousRun: c,
    missing,
    newRuns,
    failures: state.failures,
    retryCommand: state.failures.length ? retryCommand : null,
    comparable,
  };
}

/** Short list of failed runs as ranges, for the text output (`"5, 7-9 ... (40 runs total)"`). */
export function failedRunsText(failures: readonly FailedRun[], limit = 10): string {
  const ranges: RunRange[] = toRanges(sortedUnique(failures.map((f) => f.run)));
  return formatList(ranges, limit, "runs");
}
