/**
 * The course both normal stages (import and migration) follow, written once; each stage gives only what differs:
 *
 * list the universe (all runs of the stage's input, ascending) → keep the pending runs inside `--runs` → adopt the
 * ones the stage's output already holds → the stage's own selection → nothing to do (advance the contiguous
 * marker, save when changed) or the batch limit → `--dry-run` output or the batch. Listing failures end the stage
 * with exit code 1 and the Python archiver's "Failed to determine runs to …" line.
 *
 * @module
 */
import { describeError } from "../errors.ts";
import { redact } from "../redact.ts";
import { saveStageState, type StageName, type StageState } from "../state/mod.ts";
import type { BatchResult } from "./batch.ts";
import { stageTitle } from "../notify.ts";
import { describeRuns, limitBatch, pendingRuns } from "./candidates.ts";
import { banner, stageDone, type StageEnv, type StageReport } from "./env.ts";

/** What differs between the import and the migration stage (besides its name and banner title). */
export interface StageCourse {
  /** The stage's state, loaded. */
  state: StageState;
  /** All runs of the stage's input, ascending; logs how many it found. Throwing ends the stage with rc 1. */
  listUniverse(): Promise<number[]>;
  /** Runs the stage's output already holds (adopted as done when this archiver has no record of them). */
  listHeld(): Promise<number[]>;
  /** Name of the stage's output in the "Found N runs already in …" line. */
  heldIn: string;
  /** The candidates to process, from the pending runs left after adoption (stage-specific additions/removals). */
  select(pending: number[]): Promise<number[]>;
  /** Logged after "Found N runs to …" (the import stage's run range). */
  announce?(candidates: number[]): void;
  /** When there is nothing to do and state is written (the migration stage posts zero metrics). */
  onEmpty?(): void;
  /** Process the batch (after the dry-run check). */
  processBatch(batch: number[], universe: number[]): Promise<BatchResult>;
}

/**
 * Run a normal stage (full or incremental): `stage` names it (report, `<stage>: would process`, "runs to <stage>"
 * in log lines), `title` is its banner's, and `open` loads its state and gives its course, after the banner.
 */
export async function runStage(
  env: StageEnv,
  stage: StageName,
  title: string,
  open: () => Promise<StageCourse>,
): Promise<StageReport> {
  const { logger, flags } = env;
  const label = stageTitle(stage);
  const incremental = flags.incremental;
  banner(logger, title, incremental ? "Incremental" : "Full");
  const course = await open();
  const { state } = course;
  const report: StageReport = { stage, rc: 0, result: null, remaining: 0, adopted: 0 };
  const fail = (error: unknown) => {
    logger.critical(`${label} Stage: Failed to determine runs to ${stage}: ${redact(describeError(error))}`);
    report.rc = 1;
    stageDone(logger, label, 1);
    return report;
  };
  logger.info(`${label} Stage: Fetching runs (mode: ${incremental ? "incremental" : "full"}).`);
  let universe: number[];
  let fresh: number[];
  const before = { done: state.done.size, contiguous: state.lastContiguousRun };
  try {
    universe = await course.listUniverse();
  } catch (error) {
    return fail(error);
  }
  try {
    fresh = await adoptHeld(env, course, pendingRuns(universe, state, incremental).filter(env.inSelection));
  } catch (error) {
    return fail(error);
  }
  report.adopted = state.done.size - before.done;
  const candidates = await course.select(fresh);
  if (candidates.length === 0) {
    logger.info(`${label} Stage: No new runs to ${stage}.`);
    state.advanceContiguous(universe);
    const changed = report.adopted > 0 || state.lastContiguousRun !== before.contiguous;
    if (env.batch.write) {
      if (changed) await saveStageState(state);
      course.onEmpty?.();
    }
    stageDone(logger, label, 0);
    return report;
  }
  logger.info(`${label} Stage: Found ${candidates.length} runs to ${stage}.`);
  course.announce?.(candidates);
  const { batch, remaining } = limitBatch(
    candidates,
    { incremental, batchSize: env.config.app.batch_size },
    logger,
    label,
  );
  report.remaining = remaining;
  if (!env.batch.write) {
    env.out(`${stage}: would process ${batch.length} run(s): ${describeRuns(batch, 50)}\n`);
    return report;
  }
  const result = await course.processBatch(batch, universe);
  report.result = result;
  report.rc = env.shutdown.requested || result.failures.length > 0 ? 1 : 0;
  if (env.shutdown.requested) logger.warn(`${label} Stage: Shutdown requested - state saved, exiting gracefully`);
  stageDone(logger, label, report.rc);
  return report;
}

/**
 * Runs the stage's output already holds that this archiver has no record of (written by an earlier archiver,
 * e.g. the Python one): recorded as done without work — unless the run is in flight from a crashed invocation or
 * has a failure record, in which case it is processed (idempotently) to make sure it is complete. Returns the
 * candidates left to process.
 */
async function adoptHeld(env: StageEnv, course: StageCourse, candidates: number[]): Promise<number[]> {
  if (candidates.length === 0) return candidates;
  const { state } = course;
  const held = new Set(await course.listHeld());
  env.logger.info(`Found ${held.size} runs already in ${course.heldIn}`);
  const left: number[] = [];
  for (const run of candidates) {
    if (held.has(run) && !state.inFlight.has(run) && !state.failures.has(run)) state.markDone(run);
    else left.push(run);
  }
  return left;
}
