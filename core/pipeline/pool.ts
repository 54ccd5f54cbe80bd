/**
 * A bounded pool: at most `concurrency` items in work at a time, taken in order; once `stop()` returns true no
 * new item is started, items in work finish. Memory is bounded by the concurrency (the pipeline never holds
 * more than `parallel_workers` runs' data).
 *
 * @example
 * ```ts
 * const { started } = await runPool([1, 2, 3], 2, async (run) => { await work(run); }, () => shutdown.requested);
 * ```
 *
 * @module
 */

/** Result of `runPool`: how many items were started (the rest were not processed). */
export interface PoolResult {
  started: number;
}

/** Process `items` with `worker`, `concurrency` at a time, until done or `stop()` says so. */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  worker: (item: T, index: number) => Promise<void>,
  stop: () => boolean,
): Promise<PoolResult> {
  let next = 0;
  const lanes: Promise<void>[] = [];
  const lane = async () => {
    while (next < items.length && !stop()) {
      const index = next++;
      await worker(items[index], index);
    }
  };
  for (let i = 0; i < Math.max(1, concurrency); i++) lanes.push(lane());
  await Promise.all(lanes);
  return { started: next };
}
