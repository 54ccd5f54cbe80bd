/**
 * Candidate selection shared by both stages: `--runs` filtering, the incremental filter and the batch limit
 * (§9.6: incremental → `batch_size`, full → `batch_size * 10`, retry modes → no limit).
 *
 * @example
 * ```ts
 * const inSelection = selectionFilter(flags.runs);
 * const { batch, remaining } = limitBatch(candidates, { incremental: true, batchSize: 5 });
 * ```
 *
 * @module
 */
import type { RunSelection } from "../cli/flags.ts";
import { isRunSelected } from "../cli/runs.ts";
import type { Logger } from "../roles.ts";
import { firstAbove, type StageState } from "../state/mod.ts";

/** A predicate that keeps runs inside `--runs` (everything when no selection). */
export function selectionFilter(selection: RunSelection | undefined): (run: number) => boolean {
  if (!selection || selection.ranges.length === 0) return () => true;
  return (run) => isRunSelected(selection, run);
}

/**
 * Runs of `universe` (ascending) the stage still has to do: not done; in incremental mode also above
 * `last_contiguous_run` and not failed (failed runs are for the retry modes, as in Python).
 */
export function pendingRuns(universe: readonly number[], state: StageState, incremental: boolean): number[] {
  const start = incremental ? firstAbove(universe, state.incrementalStart()) : 0;
  const out: number[] = [];
  for (let i = start; i < universe.length; i++) {
    const run = universe[i];
    if (state.isDone(run)) continue;
    if (incremental && state.failures.has(run)) continue;
    out.push(run);
  }
  return out;
}

/** The batch to process now and how many candidates wait for a later invocation. */
export function limitBatch(
  candidates: readonly number[],
  options: { incremental: boolean; batchSize: number; unlimited?: boolean },
  logger?: Logger,
  title = "Import",
): { batch: number[]; remaining: number } {
  if (options.unlimited) return { batch: [...candidates], remaining: 0 };
  const limit = options.incremental ? options.batchSize : options.batchSize * 10;
  if (candidates.length <= limit) return { batch: [...candidates], remaining: 0 };
  const remaining = candidates.length - limit;
  logger?.info(
    `${title} Stage: Limited to ${limit} runs (${
      options.incremental ? "batch_size" : "batch_size * 10"
    }). ${remaining} runs remaining.`,
  );
  return { batch: candidates.slice(0, limit), remaining };
}

/** `a-b, c, d-e` for log lines. */
export function describeRuns(runs: readonly number[], limit = 10): string {
  const parts: string[] = [];
  let i = 0;
  while (i < runs.length && parts.length < limit) {
    let j = i;
    while (j + 1 < runs.length && runs[j + 1] === runs[j] + 1) j++;
    parts.push(i === j ? `${runs[i]}` : `${runs[i]}-${runs[j]}`);
    i = j + 1;
  }
  return parts.join(", ") + (i < runs.length ? ", ..." : "");
}
