/**
 * Run-number set arithmetic for reports, linear in the number of runs and never materializing a gap list:
 * 100,000 runs spread over ten million run numbers cost the same as 100,000 contiguous ones.
 *
 * @example
 * ```ts
 * import { formatGaps, formatRanges, toRanges } from "./ranges.ts";
 * const ranges = toRanges([1, 2, 3, 5, 7, 8]);
 * formatRanges(ranges); // "1-3, 5, 7-8"
 * formatGaps(ranges);   // "4, 6"
 * ```
 *
 * @module
 */

/** An inclusive run range `[first, last]`. */
export type RunRange = readonly [first: number, last: number];

/** Sorted, de-duplicated copy of `runs` (ascending). Input already sorted costs one pass. */
export function sortedUnique(runs: Iterable<number>): number[] {
  const out = Array.from(runs);
  let sorted = true;
  for (let i = 1; i < out.length; i++) {
    if (out[i] <= out[i - 1]) {
      sorted = false;
      break;
    }
  }
  if (sorted) return out;
  out.sort((a, b) => a - b);
  let write = 0;
  for (let i = 0; i < out.length; i++) if (i === 0 || out[i] !== out[write - 1]) out[write++] = out[i];
  out.length = write;
  return out;
}

/** Maximal consecutive ranges of an ascending, de-duplicated run list. */
export function toRanges(sortedRuns: readonly number[]): RunRange[] {
  const ranges: RunRange[] = [];
  let start = NaN;
  let previous = NaN;
  for (const run of sortedRuns) {
    if (run === previous + 1) {
      previous = run;
      continue;
    }
    if (!Number.isNaN(start)) ranges.push([start, previous]);
    start = previous = run;
  }
  if (!Number.isNaN(start)) ranges.push([start, previous]);
  return ranges;
}

/** The missing stretches between consecutive ranges (the gaps inside [min, max]), as ranges. */
export function gapRanges(ranges: readonly RunRange[]): RunRange[] {
  const gaps: RunRange[] = [];
  for (let i = 1; i < ranges.length; i++) gaps.push([ranges[i - 1][1] + 1, ranges[i][0] - 1]);
  return gaps;
}

/** Number of runs covered by `ranges`. */
export function countInRanges(ranges: readonly RunRange[]): number {
  let total = 0;
  for (const [first, last] of ranges) total += last - first + 1;
  return total;
}

/** `a-b` or `a` for a singleton. */
export function formatRange([first, last]: RunRange): string {
  return first === last ? String(first) : `${first}-${last}`;
}

/**
 * Ranges joined by `, ` as the original report prints them: more than `limit` (10) ranges → the first 5,
 * ` ... `, the last 5 and ` (<k> ranges total)`; `None` when empty.
 */
export function formatRanges(ranges: readonly RunRange[], limit = 10): string {
  if (ranges.length === 0) return "None";
  if (ranges.length <= limit) return ranges.map(formatRange).join(", ");
  const half = Math.floor(limit / 2);
  const head = ranges.slice(0, half).map(formatRange).join(", ");
  const tail = ranges.slice(ranges.length - half).map(formatRange).join(", ");
  return `${head} ... ${tail} (${ranges.length} ranges total)`;
}

/**
 * The gaps of a run set as the original prints them (every missing number, the first `limit` (20) then
 * ` ... (<k> gaps total)`), computed from the ranges so that a gap of a million runs costs nothing.
 */
export function formatGaps(ranges: readonly RunRange[], limit = 20): string {
  return formatList(gapRanges(ranges), limit, "gaps");
}

/**
 * Up to `limit` numbers of a range list spelled out one by one, then ` ... (<k> <noun> total)` when there are
 * more; `None` when empty. Used for gaps and for the short "missing run" lists of the state comparison.
 */
export function formatList(ranges: readonly RunRange[], limit: number, noun: string): string {
  const total = countInRanges(ranges);
  if (total === 0) return "None";
  const shown: number[] = [];
  outer: for (const [first, last] of ranges) {
    for (let run = first; run <= last; run++) {
      if (shown.length === limit) break outer;
      shown.push(run);
    }
  }
  const text = shown.join(", ");
  return total > limit ? `${text} ... (${total} ${noun} total)` : text;
}

/** Compact range notation for machine-readable output and the web page: `"100-200, 305"`. */
export function compactRanges(ranges: readonly RunRange[]): string {
  return ranges.map(formatRange).join(", ");
}

/** Runs of sorted `a` that are not in sorted `b` (both ascending, unique); one merge pass. */
export function difference(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let j = 0;
  for (const run of a) {
    while (j < b.length && b[j] < run) j++;
    if (j >= b.length || b[j] !== run) out.push(run);
  }
  return out;
}

/** Index of the first element of ascending `runs` that is greater than `value` (binary search). */
export function upperBound(runs: readonly number[], value: number): number {
  let lo = 0;
  let hi = runs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (runs[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
