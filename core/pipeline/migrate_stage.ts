/**
 * The migration stage: artdaqDB → UconDB. A run is migrated by `Store.exportRun` → `packBlob` (deterministic:
 * the same stored run always gives the same bytes) → `Sink.put` → verification, and only a verified run counts
 * as migrated (§16.1-6/7). Verification is `meta` (the sink's size and adler32 of the stored blob equal ours; no
 * download) or `full` (`--verify full`: the stored bytes are downloaded and compared).
 *
 * Because the blob is deterministic, a re-upload after a crash finds an identical blob ("identical", no second
 * version) and is verified like a fresh one; a *different* stored blob is a `ConflictError` (never overwritten).
 *
 * A run whose stop-time update is still awaited by the import stage waits (its blob would be archived without a
 * stop time, and UconDB keeps the first version) until the grace period has passed.
 *
 * @module
 */
import { packBlobParts, PackedBlob, releaseBytes } from "../blob/mod.ts";
import { VerificationError } from "../errors.ts";
import { StageMeter } from "../measure.ts";
import { loadStageState, stagePaths, type StageState } from "../state/mod.ts";
import { processBatch } from "./batch.ts";
import { describeRuns } from "./candidates.ts";
import { banner, stageDone, type StageEnv, type StageReport } from "./env.ts";
import { runStage } from "./stage.ts";
import type { RunOutcome } from "./types.ts";
import { validateBlob } from "./validate.ts";

/** Verification mode in effect (`--verify` over `ucon_db.verify`). */
function verifyMode(env: StageEnv): "meta" | "full" {
  return env.flags.verify ?? env.config.ucon_db.verify ?? "meta";
}

/**
 * Check that the sink holds exactly `blob` under `run`; throws `VerificationError` (retried) otherwise. Returns
 * what was compared, for the log line: `adler32 <sum>` (meta) or `bytes` (full).
 */
export async function verifyStored(env: StageEnv, run: number, blob: PackedBlob): Promise<string> {
  if (verifyMode(env) === "full") {
    const same = await env.roles.sink.matches(run, blob);
    if (same === null) throw new VerificationError(`run ${run} is not in the sink after upload`, { run });
    if (!same) {
      throw new VerificationError(
        `run ${run}: the stored blob differs from the uploaded one (${blob.size} bytes uploaded)`,
        { run },
      );
    }
    return "bytes";
  }
  const entry = await env.roles.sink.stat(run);
  if (entry === null) throw new VerificationError(`run ${run} is not in the sink after upload`, { run });
  const expected = blob.adler32;
  if (entry.size !== blob.size || entry.adler32.toLowerCase() !== expected.toLowerCase()) {
    throw new VerificationError(
      `run ${run}: the sink reports size ${entry.size} adler32 ${entry.adler32}, expected size ${blob.size} ` +
        `adler32 ${expected}`,
      { run },
    );
  }
  return `adler32 ${expected}`;
}

/** Whether `run` was imported without stop time recently enough that its update should be waited for. */
function awaitsUpdate(env: StageEnv, importState: StageState, run: number): boolean {
  const pending = importState.pendingUpdates.get(run);
  if (!pending) return false;
  const graceMs = env.config.source_files.incomplete_run_grace_seconds * 1000;
  return Date.now() - Date.parse(pending.importedAt) < graceMs;
}

/** Migrate and verify one run. */
export async function migrateRun(
  env: StageEnv,
  importState: StageState,
  run: number,
  validate: boolean,
): Promise<RunOutcome> {
  if (awaitsUpdate(env, importState, run)) return { kind: "waiting" };
  const exported = await env.roles.store.exportRun(run);
  // The blob in parts: views of the exported files, never joined into one more buffer (core/blob/packed.ts).
  const blob = new PackedBlob(packBlobParts(run, exported.configuration, exported.storedAt, exported.files));
  if (env.fuzz.before("sink", run) === "write") {
    const outcome = await env.roles.sink.put(run, blob);
    if (outcome === "identical") env.logger.info(`Run ${run} already in UconDB with identical content`, { run });
  }
  // The checksum verified is logged, not computed again for a debug line that is usually filtered out.
  const compared = await verifyStored(env, run, blob);
  env.logger.debug(`Verification passed (${verifyMode(env)}, ${compared})`, { run });
  if (validate) {
    const { errors, results } = validateBlob(blob.bytes());
    if (errors === 0) env.logger.info(`✓ Blob validation passed for run ${run}: ${JSON.stringify(results)}`, { run });
    else {
      env.logger.warn(`✗ Blob validation found ${errors} errors for run ${run}: ${JSON.stringify(results)}`, { run });
    }
  }
  // Uploaded and verified: the exported files behind the blob's parts are freed now (see releaseBytes).
  for (const file of exported.files) releaseBytes(file.data);
  return { kind: "done", bytes: blob.size };
}

/**
 * Whether some run the import stage has done, above the migration's incremental start and inside `--runs`, is
 * neither migrated nor failed (an incremental invocation's possible candidate). Walks the done ranges above the
 * start only: nothing when the stages are level.
 */
function importedAwaitingMigration(env: StageEnv, importState: StageState, state: StageState): boolean {
  const start = state.incrementalStart();
  for (const [from, to] of importState.done.ranges()) {
    for (let run = Math.max(from, start + 1); run <= to; run++) {
      if (!state.isDone(run) && !state.failures.has(run) && env.inSelection(run)) return true;
    }
  }
  return false;
}

/** The normal migration stage (full or incremental). */
export async function runMigrateStage(env: StageEnv): Promise<StageReport> {
  const { logger, flags } = env;
  return await runStage(env, "migrate", "Migration - Migrating runs from ArtdaqDB to UconDB", async () => {
    const [state, importState] = await Promise.all([
      loadStageState("migrate", stagePaths(env.config.app, "migrate")),
      loadStageState("import", stagePaths(env.config.app, "import")),
    ]);
    return {
      state,
      async listUniverse() {
        if (flags.incremental && !importedAwaitingMigration(env, importState, state)) {
          // Nothing this archiver imported waits above the incremental start: no candidate and no advance of
          // `last_contiguous_run` can come from the store's list, so it is not read (a 100,000-run filesystem
          // artdaqDB: a 50 MB index.json). Runs another tool put into the store are found by a full invocation.
          logger.info(
            `Incremental mode: no run imported after ${state.incrementalStart()} awaits migration; ` +
              `ArtdaqDB not listed`,
          );
          return [];
        }
        // All store runs: the universe of `last_contiguous_run` (never only the `--runs` selection).
        const runs = (await env.roles.store.listRuns()).sort((a, b) => a - b);
        logger.info(`Found ${runs.length} runs in ArtdaqDB`);
        return runs;
      },
      listHeld: () => env.roles.sink.listRuns(),
      heldIn: "UconDB",
      select(candidates) {
        // Waiting runs are left out before the batch limit, so that they never hold back the runs after them.
        const waiting: number[] = [];
        const ready: number[] = [];
        for (const run of candidates) (awaitsUpdate(env, importState, run) ? waiting : ready).push(run);
        if (waiting.length === 0) return Promise.resolve(candidates);
        logger.info(
          `${waiting.length} run(s) wait for their stop-time update before migration: ${describeRuns(waiting)}`,
        );
        return Promise.resolve(ready);
      },
      // Zeros, as Python posted for an empty stage.
      onEmpty: () => new StageMeter(env.roles.metrics, "migrate").finish(),
      processBatch(batch, universe) {
        if (flags.validate) logger.info("Migration Stage: Blob validation enabled");
        return processBatch(
          env.batch,
          state,
          batch,
          universe,
          (run) => migrateRun(env, importState, run, flags.validate),
        );
      },
    };
  });
}

/**
 * `--retry-failed-migrate`: retry every run with a failure record. Runs found in the sink are verified (put →
 * identical → verify), not accepted blindly as the Python archiver did (§16.1-6). `--validate` is not applied.
 */
export async function retryFailedMigrations(env: StageEnv): Promise<StageReport> {
  const { logger } = env;
  banner(logger, "Migration Recovery - Retrying failed migrations");
  const report: StageReport = { stage: "migrate", rc: 0, result: null, remaining: 0, adopted: 0, stillFailing: [] };
  const [state, importState] = await Promise.all([
    loadStageState("migrate", stagePaths(env.config.app, "migrate")),
    loadStageState("import", stagePaths(env.config.app, "import")),
  ]);
  const failed = state.failedRuns().filter(env.inSelection);
  if (failed.length === 0) {
    logger.info("Migration Stage: Failure log is empty. Nothing to recover.");
    return report;
  }
  const stored = new Set(await env.roles.store.listRuns());
  const missing = failed.filter((run) => !stored.has(run));
  if (missing.length > 0) {
    logger.warn(`Runs not in ArtdaqDB (import them first): [${missing.join(", ")}]`);
  }
  const universe = [...stored].sort((a, b) => a - b);
  if (!env.batch.write) {
    env.out(`migrate: would retry ${failed.length} failed run(s): ${describeRuns(failed, 50)}\n`);
    return report;
  }
  logger.info(`Migration Stage: Attempting to recover ${failed.length} failed runs.`);
  const result = await processBatch(
    env.batch,
    state,
    failed,
    universe,
    (run) => migrateRun(env, importState, run, false),
  );
  report.result = result;
  report.stillFailing = failed.filter((run) => state.failures.has(run));
  logger.info(
    `Migration Stage: Recovery complete. ${result.successes.length} successful (${result.successes.length} newly ` +
      `migrated), ${report.stillFailing.length} remaining.`,
  );
  report.rc = env.shutdown.requested || report.stillFailing.length > 0 ? 1 : 0;
  stageDone(logger, "Migration Recovery", report.rc);
  return report;
}
