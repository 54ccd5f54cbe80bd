/**
 * `--recover-import-state` / `--recover-migrate-state` (§9.4): rebuild a stage's state from the data stores.
 * Import compares run records (source) with artdaqDB (destination); migrate compares artdaqDB with UconDB.
 * The Python formulas are kept for `last_contiguous_run` / `last_attempted_run` (parity R1–R4); in addition the
 * destination's runs become the `done` set and the missing runs become failure records (the failure log).
 *
 * @example
 * ```ts
 * const state = computeRecovery("import", paths, [1, 2, 3, 5, 6, 8], [1, 2, 3, 6]);
 * // last_contiguous_run 3, last_attempted_run 6, failures [5]
 * ```
 *
 * @module
 */
import { ArchiverError, describeError } from "../errors.ts";
import { redact } from "../redact.ts";
import {
  recoveredState,
  RunSet,
  saveStageState,
  type StageName,
  type StagePaths,
  stagePaths,
  type StageState,
} from "../state/mod.ts";
import type { StageEnv } from "./env.ts";

/** The recovered state of a stage from the two run lists. */
export function computeRecovery(
  stage: StageName,
  paths: StagePaths,
  sourceRuns: readonly number[],
  destinationRuns: readonly number[],
): StageState {
  const destination = [...new Set(destinationRuns)].sort((a, b) => a - b);
  if (destination.length === 0) {
    return recoveredState(stage, paths, { lastContiguousRun: 0, lastAttemptedRun: 0, done: new RunSet(), missing: [] });
  }
  const attempted = destination[destination.length - 1];
  let contiguous = destination[0];
  for (let i = 1; i < destination.length && destination[i] === contiguous + 1; i++) contiguous = destination[i];
  const present = RunSet.fromRuns(destination);
  const missing = [...new Set(sourceRuns)].filter((run) => run <= attempted && !present.has(run)).sort((a, b) => a - b);
  return recoveredState(stage, paths, {
    lastContiguousRun: contiguous,
    lastAttemptedRun: attempted,
    done: present,
    missing,
  });
}

/** Run a recovery mode; returns 0, or throws `ArchiverError` naming what failed. */
export async function recoverState(env: StageEnv, stage: StageName): Promise<number> {
  const { logger, roles } = env;
  const title = stage === "import" ? "IMPORT STATE RECOVERY" : "MIGRATION STATE RECOVERY";
  logger.info("=".repeat(60));
  logger.info(title);
  logger.info("=".repeat(60));
  let sourceRuns: number[];
  let destinationRuns: number[];
  try {
    if (stage === "import") {
      sourceRuns = (await roles.source.listRuns()).map((entry) => entry.run);
      logger.info(`Found ${sourceRuns.length} runs in filesystem`);
      destinationRuns = await roles.store.listRuns();
      logger.info(`Found ${destinationRuns.length} runs in ArtdaqDB`);
    } else {
      sourceRuns = await roles.store.listRuns();
      logger.info(`Found ${sourceRuns.length} runs in ArtdaqDB`);
      destinationRuns = await roles.sink.listRuns();
      logger.info(`Found ${destinationRuns.length} runs in UconDB`);
    }
  } catch (error) {
    if (error instanceof ArchiverError) throw error;
    throw new ArchiverError(`${title} failed: ${redact(describeError(error))}`, { stage });
  }
  const paths = stagePaths(env.config.app, stage);
  const state = computeRecovery(stage, paths, sourceRuns, destinationRuns);
  logger.info(`Last attempted run: ${state.lastAttemptedRun}`);
  logger.info(`Last contiguous run: ${state.lastContiguousRun}`);
  const missing = state.failedRuns();
  if (missing.length > 0) {
    logger.info(
      `Missing runs (${missing.length}): ${missing.slice(0, 10).join(", ")}${missing.length > 10 ? ", ..." : ""}`,
    );
  }
  if (!env.batch.write) {
    env.out(
      `${stage}: would write state last_contiguous_run=${state.lastContiguousRun} ` +
        `last_attempted_run=${state.lastAttemptedRun} with ${missing.length} failed run(s)\n`,
    );
    return 0;
  }
  await saveStageState(state);
  logger.info(`✓ Written ${paths.stateFile}`);
  logger.info(`✓ Written ${paths.failureLog} with ${missing.length} runs`);
  logger.info(`${title} COMPLETE`);
  return 0;
}
