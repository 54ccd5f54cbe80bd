/**
 * Throughput over time for the status page. The state files keep run sets, not a time per run, so the status
 * server samples the number of done runs per stage whenever a state file changes and turns the differences into
 * runs per time bucket. Samples are kept in a small JSON-lines file in the work directory
 * (`status_history.jsonl`, bounded) so the chart survives a server restart. Failures carry their own timestamps in
 * the state and are bucketed directly.
 *
 * @example
 * ```ts
 * import { ThroughputHistory } from "./throughput.ts";
 * const history = await ThroughputHistory.open("/tmp/work/status_history.jsonl");
 * await history.record({ at: Date.now(), imported: 120, migrated: 118 });
 * history.series({ now: Date.now(), buckets: 60 });
 * ```
 *
 * @module
 */
import { dirname } from "node:path";
import { writeFileAtomic } from "../state/mod.ts";

/** Done-run counts of both stages at one moment. */
export interface ThroughputSample {
  /** ms since epoch. */
  at: number;
  /** Runs done by the import stage. */
  imported: number;
  /** Runs done by the migrate stage. */
  migrated: number;
}

/** One bar of the chart. */
export interface ThroughputBucket {
  /** Bucket start, ms since epoch. */
  start: number;
  /** Runs imported in the bucket. */
  imported: number;
  /** Runs migrated in the bucket. */
  migrated: number;
  /** Runs whose latest failure falls in the bucket. */
  failed: number;
}

/** The chart's data. */
export interface ThroughputSeries {
  /** Width of one bucket, ms. */
  bucketMs: number;
  /** Oldest first, ending with the bucket holding now. */
  buckets: ThroughputBucket[];
}

/**
 * Samples kept in memory and on disk by default; older ones are dropped. Unchanged counts are not sampled, so this is
 * about 11 hours of non-stop archiving at one sample per 2 s, and much longer for a usual archiver.
 */
const MAX_SAMPLES = 20_000;

/** Bucket sizes the chart picks from, smallest that fits the samples' time span into the wanted bar count. */
const BUCKET_SIZES = [60_000, 300_000, 900_000, 3_600_000, 6 * 3_600_000, 86_400_000];

/** Sampled done-run counts with optional persistence. */
export class ThroughputHistory {
  #samples: ThroughputSample[] = [];
  readonly #path: string | null;
  readonly #max: number;

  private constructor(path: string | null, maxSamples = MAX_SAMPLES) {
    this.#path = path;
    this.#max = Math.max(2, maxSamples);
  }

  /** A history kept only in memory (tests, or when the work directory is read-only). */
  static inMemory(options: { maxSamples?: number } = {}): ThroughputHistory {
    return new ThroughputHistory(null, options.maxSamples);
  }

  /** Load the history file (missing or unreadable lines are skipped: it is a cache, not a record). */
  static async open(path: string, options: { maxSamples?: number } = {}): Promise<ThroughputHistory> {
    const history = new ThroughputHistory(path, options.maxSamples);
    try {
      const text = await Deno.readTextFile(path);
      for (const line of text.split("\n")) {
        if (!line) continue;
        try {
          const s = JSON.parse(line);
          if (typeof s.at === "number" && typeof s.imported === "number" && typeof s.migrated === "number") {
            history.#samples.push({ at: s.at, imported: s.imported, migrated: s.migrated });
          }
        } catch { /* a torn last line after a crash: skip it */ }
      }
      history.#samples.sort((a, b) => a.at - b.at);
      if (history.#samples.length > history.#max) history.#samples = history.#samples.slice(-history.#max);
    } catch { /* no history yet */ }
    return history;
  }

  /** The samples, oldest first (a copy). */
  samples(): ThroughputSample[] {
    return [...this.#samples];
  }

  /** Record a sample when the counts changed since the last one; persisted best effort. */
  async record(sample: ThroughputSample): Promise<boolean> {
    const last = this.#samples.at(-1);
    if (last && last.imported === sample.imported && last.migrated === sample.migrated) return false;
    this.#samples.push(sample);
    // Halve rather than trim by one: the file is rewritten once per max / 2 samples, not on every sample.
    const compact = this.#samples.length > this.#max;
    if (compact) this.#samples = this.#samples.slice(-Math.floor(this.#max / 2));
    if (!this.#path) return true;
    try {
      if (compact) {
        await writeFileAtomic(this.#path, this.#samples.map((s) => JSON.stringify(s) + "\n").join(""));
      } else {
        await Deno.mkdir(dirname(this.#path), { recursive: true });
        await Deno.writeTextFile(this.#path, JSON.stringify(sample) + "\n", { append: true });
      }
    } catch { /* the chart is a convenience: a read-only work directory must not break the server */ }
    return true;
  }

  /**
   * Runs per bucket over the last `buckets` buckets ending at `now`: imported and migrated from the differences
   * between consecutive samples (negative differences, e.g. after a recovery rewrote the state, count as 0),
   * failed from the failures' own timestamps.
   */
  series(options: { now: number; buckets?: number; failureTimes?: Iterable<number> }): ThroughputSeries {
    const count = options.buckets ?? 60;
    const first = this.#samples[0]?.at ?? options.now;
    const span = Math.max(options.now - first, 1);
    const bucketMs = BUCKET_SIZES.find((size) => size * count >= span) ?? BUCKET_SIZES.at(-1)!;
    const end = Math.floor(options.now / bucketMs) * bucketMs + bucketMs;
    const start = end - count * bucketMs;
    const buckets: ThroughputBucket[] = [];
    for (let i = 0; i < count; i++) buckets.push({ start: start + i * bucketMs, imported: 0, migrated: 0, failed: 0 });
    const slot = (at: number) => (at >= start && at < end ? Math.floor((at - start) / bucketMs) : -1);
    for (let i = 1; i < this.#samples.length; i++) {
      const b = slot(this.#samples[i].at);
      if (b < 0) continue;
      buckets[b].imported += Math.max(0, this.#samples[i].imported - this.#samples[i - 1].imported);
      buckets[b].migrated += Math.max(0, this.#samples[i].migrated - this.#samples[i - 1].migrated);
    }
    for (const at of options.failureTimes ?? []) {
      const b = slot(at);
      if (b >= 0) buckets[b].failed++;
    }
    return { bucketMs, buckets };
  }
}
