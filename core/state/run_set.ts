/**
 * A set of run numbers stored as sorted, disjoint, non-adjacent inclusive ranges. 100,000 consecutive archived
 * runs are one range, so the state file stays tiny and membership is a binary search.
 *
 * @example
 * ```ts
 * import { RunSet } from "./run_set.ts";
 * const done = RunSet.fromRanges([[1, 3], [5, 5]]);
 * done.add(4);
 * done.ranges(); // [[1, 5]]
 * done.has(6); // false
 * ```
 *
 * @module
 */

/** An inclusive range `[first, last]` of run numbers. */
export type RunRange = [number, number];

/** Sorted, merged ranges of run numbers with O(log n) membership. */
export class RunSet {
  #starts: number[] = [];
  #ends: number[] = [];

  /** Build from ranges in any order (overlaps and adjacency are merged). */
  static fromRanges(ranges: Iterable<RunRange>): RunSet {
    const set = new RunSet();
    const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
    for (const [first, last] of sorted) {
      const n = set.#starts.length;
      if (n > 0 && first <= set.#ends[n - 1] + 1) {
        set.#ends[n - 1] = Math.max(set.#ends[n - 1], last);
      } else {
        set.#starts.push(first);
        set.#ends.push(last);
      }
    }
    return set;
  }

  /** Build from run numbers in any order. */
  static fromRuns(runs: Iterable<number>): RunSet {
    return RunSet.fromRanges([...runs].map((run): RunRange => [run, run]));
  }

  /** Index of the last range whose start is ≤ run, or -1. */
  #find(run: number): number {
    let low = 0;
    let high = this.#starts.length - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (this.#starts[mid] <= run) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    return found;
  }

  /** Whether `run` is in the set. */
  has(run: number): boolean {
    const i = this.#find(run);
    return i >= 0 && run <= this.#ends[i];
  }

  /** Add one run, merging with neighbouring ranges. */
  add(run: number): void {
    const i = this.#find(run);
    if (i >= 0 && run <= this.#ends[i]) return;
    const joinsLeft = i >= 0 && this.#ends[i] === run - 1;
    const joinsRight = i + 1 < this.#starts.length && this.#starts[i + 1] === run + 1;
    if (joinsLeft && joinsRight) {
      this.#ends[i] = this.#ends[i + 1];
      this.#starts.splice(i + 1, 1);
      this.#ends.splice(i + 1, 1);
    } else if (joinsLeft) {
      this.#ends[i] = run;
    } else if (joinsRight) {
      this.#starts[i + 1] = run;
    } else {
      this.#starts.splice(i + 1, 0, run);
      this.#ends.splice(i + 1, 0, run);
    }
  }

  /** Remove one run, splitting its range when needed. */
  delete(run: number): void {
    const i = this.#find(run);
    if (i < 0 || run > this.#ends[i]) return;
    const start = this.#starts[i];
    const end = this.#ends[i];
    if (start === end) {
      this.#starts.splice(i, 1);
      this.#ends.splice(i, 1);
    } else if (run === start) {
      this.#starts[i] = run + 1;
    } else if (run === end) {
      this.#ends[i] = run - 1;
    } else {
      this.#ends[i] = run - 1;
      this.#starts.splice(i + 1, 0, run + 1);
      this.#ends.splice(i + 1, 0, end);
    }
  }

  /** Number of runs in the set. */
  get size(): number {
    let total = 0;
    for (let i = 0; i < this.#starts.length; i++) total += this.#ends[i] - this.#starts[i] + 1;
    return total;
  }

  /** Smallest run, or null when empty. */
  min(): number | null {
    return this.#starts.length ? this.#starts[0] : null;
  }

  /** Largest run, or null when empty. */
  max(): number | null {
    return this.#ends.length ? this.#ends[this.#ends.length - 1] : null;
  }

  /** The ranges, ascending (a copy). */
  ranges(): RunRange[] {
    return this.#starts.map((start, i): RunRange => [start, this.#ends[i]]);
  }

  /** Every run, ascending. Beware of very large sets: prefer `ranges()`. */
  *[Symbol.iterator](): IterableIterator<number> {
    for (let i = 0; i < this.#starts.length; i++) {
      for (let run = this.#starts[i]; run <= this.#ends[i]; run++) yield run;
    }
  }
}
