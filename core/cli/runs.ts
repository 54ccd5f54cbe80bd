/**
 * `--runs "100-200,305"`: a run selection as sorted, merged inclusive ranges, with a fast membership test.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import type { RunRange, RunSelection } from "./flags.ts";

/**
 * Parse `100-200,305` (ranges and single runs, comma-separated, spaces allowed). Throws `UsageError` (exit 2).
 *
 * @example
 * ```ts
 * parseRunSelection("305,100-200").ranges; // [{from: 100, to: 200}, {from: 305, to: 305}]
 * ```
 */
export function parseRunSelection(text: string): RunSelection {
  const ranges: RunRange[] = [];
  for (const part of text.split(",")) {
    const item = part.trim();
    const match = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(item);
    if (!match) {
      throw new UsageError(
        `argument --runs: invalid run selection '${text}': '${item}' is not a run number or range like 100-200`,
      );
    }
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) {
      throw new UsageError(`argument --runs: run number too large in '${item}'`);
    }
    if (to < from) throw new UsageError(`argument --runs: range '${item}' ends before it starts`);
    ranges.push({ from, to });
  }
  ranges.sort((a, b) => a.from - b.from);
  const merged: RunRange[] = [];
  for (const range of ranges) {
    const last = merged.at(-1);
    if (last && range.from <= last.to + 1) last.to = Math.max(last.to, range.to);
    else merged.push({ ...range });
  }
  return { ranges: merged, text };
}

/** Whether `run` is selected (binary search over the merged ranges). */
export function isRunSelected(selection: RunSelection, run: number): boolean {
  let low = 0;
  let high = selection.ranges.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const range = selection.ranges[middle];
    if (run < range.from) high = middle - 1;
    else if (run > range.to) low = middle + 1;
    else return true;
  }
  return false;
}
