/**
 * How the conftool store moves its CPU work — converting FHiCL to stored documents on import, parsing and
 * rendering them on export — onto the threads of an {@link OffloadPool} (core/offload): a run is cut into
 * consecutive stretches of about equal size (at least one per thread, at most {@link STRETCH_BYTES} each), and the
 * results are put back together in order, so the outcome is byte for byte that of the same work on one thread. Runs
 * smaller than `minBytes` stay on the calling thread.
 *
 * @module
 */
import { type OffloadPool, transferables } from "../../core/offload/mod.ts";

/** The pool and the size from which a run's work goes to it. */
export interface Offload {
  pool: OffloadPool;
  /** Total input bytes (FHiCL text on import, stored JSON on export) from which a run is handed to the pool. */
  minBytes: number;
}

/**
 * Default of `Offload.minBytes`: 1 MiB. A ~70 kB run converts in ~10 ms, less than a thread hand-off and the
 * second heap it wakes are worth (BENCHMARKS.md round 4); a 12 MB run takes ~700 ms.
 */
export const DEFAULT_OFFLOAD_MIN_BYTES = 1 << 20;

/**
 * Largest stretch of a run handed to a thread in one call: 256 KiB (two documents of run 1001506). A 12 MB run goes
 * in ~48 calls rather than one per thread, so a thread holds one small stretch's text and garbage at a time (the pool
 * posts at most `MAX_QUEUED` to it), its heap stays small, and the threads share the work evenly (BENCHMARKS.md
 * round 7: 2 MiB instead of one stretch per thread, import peak 422–458 → 388–394 MB; round 9: 256 KiB instead of
 * 2 MiB, a whole invocation 520–567 → 448–457 MB, CPU −5–10 %).
 */
export const STRETCH_BYTES = 256 << 10;

/** The task module the pool threads load (plugins/artdaqdb-conftool/tasks.ts). */
const TASKS: URL = new URL("./tasks.ts", import.meta.url);

/** Starts the pool's threads with the task module loaded, ahead of the calls (see `OffloadPool.warm`). */
export function warmOffload(offload: Offload | undefined): void {
  offload?.pool.warm(TASKS);
}

/**
 * `task(items, ...extra)`, run here when `items` total less than `offload.minBytes` (or there is no pool), else as
 * `task(stretch, ...extra)` on the pool's threads, one call per stretch (see the module doc): the results, one per
 * call, in order. When a call fails, the first error is thrown once every call has ended, after `abandon` was given
 * the result of each call that succeeded (to undo what it did). The byte buffers of the items of a stretch handed to a thread move there (they are empty here
 * afterwards, and freed by the thread when the call ends): a run's bytes are not copied, and leave this thread as its
 * stretches are converted. `task` must be exported under its own name by plugins/artdaqdb-conftool/tasks.ts (the threads
 * look it up by name).
 *
 * @example
 * ```ts
 * const [encoded] = await inStretches(undefined, items, (item) => item.text.length, encodeDocuments, [common]);
 * ```
 */
export async function inStretches<T, E extends unknown[], R>(
  offload: Offload | undefined,
  items: readonly T[],
  size: (item: T) => number,
  task: (stretch: readonly T[], ...extra: E) => R,
  extra: E,
  abandon?: (result: R) => void,
): Promise<R[]> {
  let total = 0;
  for (const item of items) total += size(item);
  if (!offload || offload.pool.size === 0 || total < offload.minBytes) return [task(items, ...extra)];
  const settled = await Promise.allSettled(
    splitBySize(items, Math.max(offload.pool.size, Math.ceil(total / STRETCH_BYTES)), size).map((stretch) =>
      offload.pool.call<R>(TASKS, task.name, [stretch, ...extra], transferables(stretch))
    ),
  );
  const failed = settled.find((outcome) => outcome.status === "rejected");
  if (failed) {
    for (const outcome of settled) if (outcome.status === "fulfilled") abandon?.(outcome.value);
    throw failed.reason;
  }
  return settled.map((outcome) => (outcome as PromiseFulfilledResult<R>).value);
}

/**
 * Cuts `items` into at most `parts` consecutive, non-empty stretches of about equal total `size`, in order.
 *
 * @example
 * ```ts
 * splitBySize([5, 1, 1, 1, 2], 2, (n) => n); // [[5], [1, 1, 1, 2]]
 * ```
 */
export function splitBySize<T>(items: readonly T[], parts: number, size: (item: T) => number): T[][] {
  let total = 0;
  for (const item of items) total += size(item);
  const stretches: T[][] = [];
  let current: T[] = [];
  let sum = 0;
  for (const item of items) {
    current.push(item);
    sum += size(item);
    if (stretches.length < parts - 1 && sum * parts >= total * (stretches.length + 1)) {
      stretches.push(current);
      current = [];
    }
  }
  if (current.length > 0) stretches.push(current);
  return stretches;
}
