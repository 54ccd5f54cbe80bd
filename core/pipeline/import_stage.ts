/**
 * The import stage: run records → artdaqDB. A run is imported by `Source.prepare` → `Store.putRun(initial)` →
 * `Store.putRun(update)` when it has a stop time. Both writes are idempotent, so every attempt simply starts
 * over: a run whose initial write landed and whose update failed is completed on the next attempt, not refused
 * as "already archived" (§16.1-3).
 *
 * A run without a stop time is deferred while its directory is younger than
 * `source_files.incomplete_run_grace_seconds` (it may still be running); after that it is imported flagged
 * incomplete, and its stop-time update is applied by a later invocation once the stop time appears (§16.1-4).
 *
 * @module
 */
import { describeError } from "../errors.ts";
import { redact } from "../redact.ts";
import type { PreparedRun } from "../roles.ts";
import { loadStageState, saveStageState, stagePaths, type StageState } from "../state/mod.ts";
import { processBatch } from "./batch.ts";
import { describeRuns, limitBatch, pendingRuns } from "./candidates.ts";
import { banner, stageDone, type StageEnv, type StageReport } from "./env.ts";
import type { RunOutcome } from "./types.ts";

/** Bytes of a prepared run's source files. */
function sourceBytes(prepared: PreparedRun): number {
  return prepared.manifest.reduce((sum, entry) => sum + entry.size, 0);
}

/** Import (or complete) one run. */
export async function importRun(env: StageEnv, state: StageState, run: number): Promise<RunOutcome> {
  const { source, store } = env.roles;
  if (state.pendingUpdates.has(run) && state.isDone(run)) {
    // Initial write stored earlier without a stop time: only the update is due.
    const prepared = await source.prepare(run);
    if (!prepared.complete) return { kind: "incomplete", bytes: 0, modifiedAt: await source.modifiedAt(run) };
    if (prepared.updateDocuments.length > 0) await store.putRun(prepared, "update");
    return { kind: "done", bytes: 0, note: "stop-time update applied" };
  }
  // The cheap metadata check first: a run still being taken is not read and prepared on every invocation.
  let modifiedAt = 0;
  if (!(await source.isComplete(run))) {
    modifiedAt = await source.modifiedAt(run);
    const graceMs = env.config.source_files.incomplete_run_grace_seconds * 1000;
    if (Date.now() - modifiedAt < graceMs) return { kind: "deferred" };
  }
  const prepared = await source.prepare(run);
  if (env.fuzz.before("store", run) === "write") await store.putRun(prepared, "initial");
  if (prepared.updateDocuments.length > 0) await store.putRun(prepared, "update");
  if (prepared.complete) return { kind: "done", bytes: sourceBytes(prepared) };
  return { kind: "incomplete", bytes: sourceBytes(prepared), modifiedAt: modifiedAt || await source.modifiedAt(run) };
}

/**
 * `processBatch` for imports with the store's group commit on (when it has one): index writes are batched and
 * committed before every state save instead of once per document collection per run.
 */
async function importBatch(env: StageEnv, state: StageState, runs: number[], universe: readonly number[]) {
  const store = env.roles.store;
  const commit = () => store.commit?.() ?? Promise.resolve();
  await store.deferCommits?.(true);
  try {
    return await processBatch(env.batch, state, runs, universe, (run) => importRun(env, state, run), commit);
  } finally {
    await store.deferCommits?.(false);
  }
}

/**
 * All source runs, ascending (the universe `last_contiguous_run` advances over — never only the `--runs`
 * selection, or it would skip unselected runs); logs and returns null when the source cannot be listed.
 */
async function listUniverse(env: StageEnv): Promise<number[] | null> {
  try {
    const runs = (await env.roles.source.listRuns()).map((entry) => entry.run);
    runs.sort((a, b) => a - b);
    env.logger.info(`Found ${runs.length} run directories in filesystem`);
    return runs;
  } catch (error) {
    env.logger.critical(`Import Stage: Failed to determine runs to import: ${redact(describeError(error))}`);
    return null;
  }
}

/** Runs imported flagged incomplete whose stop time has appeared since. */
async function completedPendingRuns(env: StageEnv, state: StageState): Promise<number[]> {
  const runs: number[] = [];
  for (const run of [...state.pendingUpdates.keys()].sort((a, b) => a - b)) {
    if (!env.inSelection(run)) continue;
    try {
      if (await env.roles.source.isComplete(run)) runs.push(run);
    } catch (error) {
      env.logger.warn(`Run ${run}: cannot check for a stop time: ${redact(describeError(error))}`, { run });
    }
  }
  return runs;
}

/**
 * Runs the store already holds that this archiver has no record of (imported by an earlier archiver, e.g. the
 * Python one): recorded as done without work — unless the run is in flight from a crashed invocation or has a
 * failure record, in which case it is processed (idempotently) to make sure it is complete.
 */
async function adoptStored(env: StageEnv, state: StageState, candidates: number[]): Promise<number[]> {
  if (candidates.length === 0) return candidates;
  const stored = new Set(await env.roles.store.listRuns());
  env.logger.info(`Found ${stored.size} runs already in ArtdaqDB`);
  const left: number[] = [];
  for (const run of candidates) {
    if (stored.has(run) && !state.inFlight.has(run) && !state.failures.has(run)) state.markDone(run);
    else left.push(run);
  }
  return left;
}

/** The normal import stage (full or incremental). */
export async function runImportStage(env: StageEnv): Promise<StageReport> {
  const { logger, flags } = env;
  const incremental = flags.incremental;
  banner(logger, "Import - Importing runs from filesystem to ArtdaqDB", incremental ? "Incremental" : "Full");
  const report: StageReport = { stage: "import", rc: 0, result: null, remaining: 0, adopted: 0 };
  const state = await loadStageState("import", stagePaths(env.config.app, "import"));
  logger.info(`Import Stage: Fetching runs (mode: ${incremental ? "incremental" : "full"}).`);
  const universe = await listUniverse(env);
  if (universe === null) {
    report.rc = 1;
    stageDone(logger, "Import", 1);
    return report;
  }
  if (incremental) logger.info(`Incremental mode: filtering runs > ${state.incrementalStart()}`);
  const before = { done: state.done.size, contiguous: state.lastContiguousRun };
  let fresh: number[];
  try {
    fresh = await adoptStored(env, state, pendingRuns(universe, state, incremental).filter(env.inSelection));
  } catch (error) {
    logger.critical(`Import Stage: Failed to determine runs to import: ${redact(describeError(error))}`);
    report.rc = 1;
    stageDone(logger, "Import", 1);
    return report;
  }
  report.adopted = state.done.size - before.done;
  const updates = await completedPendingRuns(env, state);
  const candidates = [...new Set([...updates, ...fresh])].sort((a, b) => a - b);
  if (candidates.length === 0) {
    logger.info("Import Stage: No new runs to import.");
    state.advanceContiguous(universe);
    const changed = report.adopted > 0 || state.lastContiguousRun !== before.contiguous;
    if (changed && env.batch.write) await saveStageState(state);
    stageDone(logger, "Import", 0);
    return report;
  }
  logger.info(`Import Stage: Found ${candidates.length} runs to import.`);
  logger.info(`Run range: ${candidates[0]} to ${candidates[candidates.length - 1]}`);
  const { batch, remaining } = limitBatch(
    candidates,
    {
      incremental,
      batchSize: env.config.app.batch_size,
    },
    logger,
    "Import",
  );
  report.remaining = remaining;
  if (!env.batch.write) {
    env.out(`import: would process ${batch.length} run(s): ${describeRuns(batch, 50)}\n`);
    return report;
  }
  logger.info(`Import Stage: Processing batch of ${batch.length} runs.`);
  const result = await importBatch(env, state, batch, universe);
  report.result = result;
  report.rc = env.shutdown.requested || result.failures.length > 0 ? 1 : 0;
  if (env.shutdown.requested) logger.warn("Import Stage: Shutdown requested - state saved, exiting gracefully");
  stageDone(logger, "Import", report.rc);
  return report;
}

/** `--retry-failed-import`: retry the runs with a failure record (all of them; no batch limit, as Python). */
export async function retryFailedImports(env: StageEnv): Promise<StageReport> {
  const { logger } = env;
  banner(logger, "Import Recovery - Retrying failed imports");
  const report: StageReport = { stage: "import", rc: 0, result: null, remaining: 0, adopted: 0, stillFailing: [] };
  const state = await loadStageState("import", stagePaths(env.config.app, "import"));
  const failed = state.failedRuns().filter(env.inSelection);
  if (failed.length === 0) {
    logger.info("Import Stage: Failure log is empty. Nothing to recover.");
    return report;
  }
  const stored = new Set(await env.roles.store.listRuns());
  const already: number[] = [];
  const toRetry: number[] = [];
  for (const run of failed) {
    // A stored run still needs work when its stop-time update is missing (fixes §16.1-3 / I17).
    const complete = stored.has(run) && !state.pendingUpdates.has(run) &&
      (await env.roles.store.hasUpdate(run) || !(await env.roles.source.isComplete(run).catch(() => false)));
    if (complete) already.push(run);
    else toRetry.push(run);
  }
  if (already.length > 0) {
    logger.info(`Found ${already.length} run(s) already archived, removing from failure log: [${already.join(", ")}]`);
    for (const run of already) state.markDone(run);
  }
  const universe = (await env.roles.source.listRuns()).map((entry) => entry.run).sort((a, b) => a - b);
  if (toRetry.length === 0) {
    logger.info("All failed runs are already archived. Nothing to retry.");
    state.advanceContiguous(universe);
    if (env.batch.write) await saveStageState(state);
    return report;
  }
  if (!env.batch.write) {
    env.out(`import: would retry ${toRetry.length} failed run(s): ${describeRuns(toRetry, 50)}\n`);
    return report;
  }
  logger.info(`Import Stage: Attempting to recover ${toRetry.length} failed runs.`);
  const result = await importBatch(env, state, toRetry, universe);
  report.result = result;
  report.stillFailing = failed.filter((run) => state.failures.has(run));
  const newly = result.successes.length + result.incomplete.length;
  logger.info(
    `Import Stage: Recovery complete. ${newly + already.length} successful (${already.length} already archived, ` +
      `${newly} newly imported), ${report.stillFailing.length} remaining.`,
  );
  report.rc = env.shutdown.requested || report.stillFailing.length > 0 ? 1 : 0;
  stageDone(logger, "Import Recovery", report.rc);
  return report;
}
