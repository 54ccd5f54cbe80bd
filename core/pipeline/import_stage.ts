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
import { releaseBytes } from "../blob/bytes.ts";
import { describeError } from "../errors.ts";
import { redact } from "../redact.ts";
import type { PreparedRun } from "../roles.ts";
import { loadStageState, saveStageState, stagePaths, type StageState } from "../state/mod.ts";
import { processBatch } from "./batch.ts";
import { describeRuns } from "./candidates.ts";
import { banner, stageDone, type StageEnv, type StageReport } from "./env.ts";
import { runStage } from "./stage.ts";
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
    try {
      if (!prepared.complete) return { kind: "incomplete", bytes: 0, modifiedAt: await source.modifiedAt(run) };
      if (prepared.updateDocuments.length > 0) await store.putRun(prepared, "update");
      return { kind: "done", bytes: 0, note: "stop-time update applied" };
    } finally {
      releasePrepared(prepared);
    }
  }
  // The cheap metadata check first: a run still being taken is not read and prepared on every invocation.
  let modifiedAt = 0;
  if (!(await source.isComplete(run))) {
    modifiedAt = await source.modifiedAt(run);
    const graceMs = env.config.source_files.incomplete_run_grace_seconds * 1000;
    if (Date.now() - modifiedAt < graceMs) return { kind: "deferred" };
  }
  const prepared = await source.prepare(run);
  try {
    if (env.fuzz.before("store", run) === "write") await store.putRun(prepared, "initial");
    if (prepared.updateDocuments.length > 0) await store.putRun(prepared, "update");
  } finally {
    releasePrepared(prepared);
  }
  if (prepared.complete) return { kind: "done", bytes: sourceBytes(prepared) };
  return { kind: "incomplete", bytes: sourceBytes(prepared), modifiedAt: modifiedAt || await source.modifiedAt(run) };
}

/**
 * Frees the bytes the run's documents hold (`PreparedDocument.bytes`) once its puts are over, instead of when the
 * collector gets to them: V8 counts them outside the heap, so the bytes of several finished 12 MB runs would
 * otherwise wait for a collection.
 */
function releasePrepared(prepared: PreparedRun): void {
  for (const document of [...prepared.documents, ...prepared.updateDocuments]) {
    if (document.bytes) releaseBytes(document.bytes);
  }
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

/** The normal import stage (full or incremental). */
export async function runImportStage(env: StageEnv): Promise<StageReport> {
  const { logger } = env;
  return await runStage(env, "import", "Import - Importing runs from filesystem to ArtdaqDB", async () => {
    const state = await loadStageState("import", stagePaths(env.config.app, "import"));
    return {
      state,
      async listUniverse() {
        // All source runs: the universe `last_contiguous_run` advances over (never only the `--runs` selection).
        // Incremental: only the runs above the start can be candidates or advance `last_contiguous_run`, so the
        // source may leave the others out (100,000 run directories: only their names are scanned).
        const after = env.flags.incremental ? state.incrementalStart() : undefined;
        const runs = (await env.roles.source.listRuns(after)).map((entry) => entry.run);
        runs.sort((a, b) => a - b);
        if (after === undefined) logger.info(`Found ${runs.length} run directories in filesystem`);
        else {
          logger.info(`Found ${runs.length} run directories in filesystem after run ${after}`);
          logger.info(`Incremental mode: filtering runs > ${after}`);
        }
        return runs;
      },
      listHeld: () => env.roles.store.listRuns(),
      heldIn: "ArtdaqDB",
      async select(fresh) {
        const updates = await completedPendingRuns(env, state);
        return [...new Set([...updates, ...fresh])].sort((a, b) => a - b);
      },
      announce(candidates) {
        logger.info(`Run range: ${candidates[0]} to ${candidates[candidates.length - 1]}`);
        env.roles.store.warm?.(); // its threads start while the first run is read
      },
      processBatch(batch, universe) {
        logger.info(`Import Stage: Processing batch of ${batch.length} runs.`);
        return importBatch(env, state, batch, universe);
      },
    };
  });
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
