/**
 * A bound on the main thread's JavaScript heap: V8 lets the old generation grow to 3–4× what is alive before it
 * collects (on a host with much memory), so an archiver holding ~35 MB of collection indexes after 6,000 runs
 * reached a peak RSS of 260–300 MB although nothing leaked. The governor checks the heap a few times a second and
 * runs a full collection once it has grown by `slack` beyond what the last collection left alive; V8's own
 * collections still happen as before.
 *
 * The timer cannot interrupt synchronous work, so long synchronous steps that make much garbage call
 * {@link heapCheckpoint} themselves: a group commit's streamed merge every 8 MiB written, the build of a catalogue of
 * 100,000 keys (BENCHMARKS.md round 7: importing into a database of 100,000 runs, 280 → 251–254 MB).
 *
 * Only the thread that starts it is governed: the conversion threads (core/offload) keep V8's sizing, which their
 * speed depends on (BENCHMARKS.md round 4: V8 flags that bound every isolate slow them by 30–60 %). The full
 * collection needs `gc`, which V8 exposes with `--expose-gc` (in `ARCHIVER_V8_FLAGS`); without it the governor does
 * nothing.
 *
 * Measured (BENCHMARKS.md round 5): 6,000 runs of ~70 kB, peak RSS 267 → 194 MB at the same CPU (31 collections,
 * 0.9 s in 80 s).
 *
 * Under memory pressure, when the process's resident memory is above {@link PRESSURE_RSS}, the slack is a quarter of
 * the live heap (at least {@link PRESSURE_SLACK}): the import of 12 MB runs promotes ~4 MB a second of garbage on
 * this thread while the conversion threads' heaps and the runs' bytes hold most of the memory, and a 32 MB slack was
 * the largest part of the spread of its peak. A collection of this thread's heap is cheap then (little is alive); a
 * thread whose live heap is large (many runs' indexes) pays in proportion, as with the normal slack. Small runs stay
 * under the mark and keep the normal slack, whose collections cost them CPU: 16 MB instead of 32 always cost 10–15 %
 * of the CPU of 3,000 small runs (round 12). Round 12, 100 runs of 12 MB, with the C heap's setting
 * (core/malloc.ts): peak RSS 221–254 → 202–216 MB at the same MB/s.
 *
 * Under pressure every timed check also gives the C heap's free pages back (core/malloc.ts); not below the mark, where
 * memory does not matter as much as the CPU: pages given back are faulted in again when the next run's buffers take
 * them (10 runs of 12 MB: +25,000–33,000 page faults, +0.2 s of system CPU in 6.5 s, round 12).
 *
 * @example
 * ```ts
 * const governor = HeapGovernor.start();
 * try { await work(); } finally { governor.stop(); }
 * ```
 *
 * @module
 */
import { getHeapStatistics } from "node:v8";
import { cHeapTrimmer } from "./malloc.ts";

/** Least growth (bytes) above the last live size that triggers a collection; also at least half the live size. */
export const MIN_HEAP_SLACK = 32 * 2 ** 20;

/** Resident memory (bytes) of the process above which the governor collects at the smaller slack. */
export const PRESSURE_RSS = 200 * 2 ** 20;

/** Least growth above the live size that triggers a collection under pressure; also at least a quarter of it. */
export const PRESSURE_SLACK = 8 * 2 ** 20;

/** How the governor reads and collects the heap (V8's by default; tests give their own). */
export interface HeapAccess {
  /** Bytes of heap in use, garbage not yet collected included. */
  used(): number;
  /** A full, synchronous collection. */
  collect(): void;
}

/** Options of {@link HeapGovernor}. */
export interface HeapGovernorOptions {
  /** Milliseconds between checks (default 200). */
  intervalMs?: number;
  access?: HeapAccess;
  /** The process's resident memory in bytes (default `Deno.memoryUsage().rss`). */
  rss?: () => number;
  /**
   * What gives the C heap's free pages back at a timed check under memory pressure (default {@link cHeapTrimmer};
   * null: none).
   */
  trim?: (() => void) | null;
}

/** The V8 access of this thread, or null when `gc` is not exposed. */
function v8Access(): HeapAccess | null {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== "function") return null;
  return { used: () => getHeapStatistics().used_heap_size, collect: () => gc() };
}

/** Runs a full collection when the heap has grown by the slack beyond the live size (see the module doc). */
export class HeapGovernor {
  readonly #access: HeapAccess | null;
  readonly #rss: () => number;
  #live: number;
  #timer: ReturnType<typeof setInterval> | null = null;
  /** Collections run so far. */
  collections = 0;
  /** Milliseconds spent in them. */
  collectMs = 0;
  /** Trims of the C heap so far, and the milliseconds spent in them. */
  trims = 0;
  trimMs = 0;

  constructor(options: HeapGovernorOptions = {}) {
    this.#access = options.access ?? v8Access();
    this.#rss = options.rss ?? (() => Deno.memoryUsage().rss);
    this.#live = this.#access?.used() ?? 0;
  }

  /**
   * A governor checking every `intervalMs` (its timer does not keep the process alive); under memory pressure each
   * check also gives the C heap's free pages back (`trim`, core/malloc.ts).
   */
  static start(options: HeapGovernorOptions = {}): HeapGovernor {
    const governor = new HeapGovernor(options);
    const trim = options.trim === undefined ? cHeapTrimmer() : options.trim;
    if (governor.active || trim) {
      const timer = setInterval(() => {
        governor.check();
        if (trim && governor.#rss() > PRESSURE_RSS) {
          const started = performance.now();
          trim();
          governor.trimMs += performance.now() - started;
          governor.trims++;
        }
      }, options.intervalMs ?? 200);
      Deno.unrefTimer(timer);
      governor.#timer = timer;
      if (governor.active) running = governor;
    }
    return governor;
  }

  /** Whether it can collect (`gc` is exposed or an access was given); its timer also runs to trim without it. */
  get active(): boolean {
    return this.#access !== null;
  }

  /** One check: collects when the heap has outgrown the slack; returns whether it did. */
  check(): boolean {
    const access = this.#access;
    if (access === null) return false;
    const used = access.used();
    if (used <= this.#live + PRESSURE_SLACK) return false; // within the smallest slack: no need to read the RSS
    const slack = this.#rss() > PRESSURE_RSS
      ? Math.max(PRESSURE_SLACK, this.#live / 4)
      : Math.max(MIN_HEAP_SLACK, this.#live / 2);
    if (used <= this.#live + slack) return false;
    const started = performance.now();
    access.collect();
    this.collectMs += performance.now() - started;
    this.collections++;
    this.#live = access.used();
    return true;
  }

  /** Takes the heap's size now as the live size (after a collection made elsewhere, see {@link compactHeap}). */
  rebase(): void {
    if (this.#access !== null) this.#live = this.#access.used();
  }

  /** Stops the checks. */
  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    if (running === this) running = null;
  }
}

/**
 * Gives the memory of the JavaScript heap back at a moment between phases of work (after the import stage, before
 * the migration; after a `--watch` cycle): one of V8's "last resort" full collections, which also shrinks the young
 * generation to its minimum and releases free pages. The young generation grows to its maximum under sustained
 * allocation (16 MB with the `archive` task's flags; 32 MB in round 9) and V8 otherwise keeps it at that size; the
 * import of 12 MB runs left it there for the whole migration (BENCHMARKS.md round 9: 10 runs of 12 MB, peak RSS
 * 364–378 → 322–346 MB at the same CPU; 2,000 small runs: the same runs per minute, the migration alone up to 10 %
 * slower while the young generation grows back). Too dear to run often (several collections, and the regrowth: small
 * runs with it in place of the governor's collections cost 8–17 % more CPU), so only between phases. Needs `gc`
 * (`--expose-gc`); returns whether it ran.
 *
 * @example
 * ```ts
 * await importStage();
 * compactHeap();
 * await migrationStage();
 * ```
 */
export function compactHeap(): boolean {
  const gc = (globalThis as { gc?: (options?: { type: string; execution: string; flavor: string }) => void }).gc;
  if (typeof gc !== "function") return false;
  gc({ type: "major", execution: "sync", flavor: "last-resort" });
  running?.rebase();
  return true;
}

/** The governor started last and not yet stopped. */
let running: HeapGovernor | null = null;

/** A check of the running governor, if any, for long synchronous work (which the timer's checks cannot interrupt). */
export function heapCheckpoint(): void {
  running?.check();
}
