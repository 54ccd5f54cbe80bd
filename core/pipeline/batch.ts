/**
 * One batch of a stage: mark the runs in flight, process them `parallel_workers` at a time with retries, record
 * every outcome in the state (saved at most once a second while running, less often when saving is slow, and at
 * the end), advance the contiguous and attempted markers, post the stage metrics, and notify about failures. A
 * notifier failure is logged and never aborts the stage or loses state (§16.1-5). On a shutdown request no further
 * run is started; runs in work finish and are recorded; runs not started stay candidates (neither failed nor
 * attempted).
 *
 * @module
 */
import { describeError } from "../errors.ts";
import { StageMeter } from "../measure.ts";
import { redact } from "../redact.ts";
import { forgetNotified, notificationStage, notifyFailures, stageTitle } from "../notify.ts";
import type { Logger, Metrics, Notifier } from "../roles.ts";
import { type FailureRecord, saveStageState, type StageName, type StageState } from "../state/mod.ts";
import { runPool } from "./pool.ts";
import type { Progress } from "./progress.ts";
import { withAttempts } from "./retry.ts";
import type { RunOutcome, ShutdownLike } from "./types.ts";

/** Everything a batch needs besides its runs. */
export interface BatchContext {
  logger: Logger;
  metrics: Metrics;
  notifiers: Notifier[];
  shutdown: ShutdownLike;
  progress: Progress;
  random: () => number;
  workers: number;
  attempts: number;
  retryDelayMs: number;
  retryMaxDelayMs: number;
  runTimeoutMs: number;
  /** The command that retries this stage's failures (shown in notifications and the summary). */
  retryCommand: (stage: StageName) => string;
  /** The work directory (the notification ledger lives there). */
  workDir: string;
  /** When false (dry run) nothing is written. */
  write: boolean;
}

/** What a batch did. */
export interface BatchResult {
  stage: StageName;
  successes: number[];
  incomplete: number[];
  deferred: number[];
  waiting: number[];
  failures: FailureRecord[];
  notProcessed: number[];
  bytes: number;
  durationMs: number;
}

/** Saving takes at most 1/`SAVE_COST_FACTOR` of a batch's time (see {@link ThrottledSaver}). */
export const SAVE_COST_FACTOR = 10;

/** Longest interval between two saves while runs finish: the work a crash can make the next invocation redo. */
export const MAX_SAVE_INTERVAL_MS = 15_000;

/**
 * Saves at most once per interval, one save at a time (writes are chained, never concurrent). The interval is
 * `intervalMs`, or {@link SAVE_COST_FACTOR} times the duration of the last save when that is longer, at most
 * {@link MAX_SAVE_INTERVAL_MS}. A save includes the store's group commit, which rewrites each changed collection
 * index whole (artdaq_database's format), so its cost grows with the database (RunHistory's index.json: 50 MB at
 * 12,000 runs); saving once a second would spend most of the time rewriting it. The cap bounds the work a crash makes
 * the next invocation redo (runs recorded in an unsaved state are redone, idempotently) and a feedback: more runs
 * between saves, more written files for the commit to flush.
 */
export class ThrottledSaver {
  #state: StageState;
  #chain: Promise<void> = Promise.resolve();
  #last: number;
  #pending = false;
  readonly #intervalMs: number;
  /** The interval in effect (see the class doc). */
  #currentMs: number;
  #error: unknown = null;
  #commit: () => Promise<void>;
  readonly #save: (state: StageState) => Promise<void>;
  readonly #now: () => number;

  /** `commit` runs before every save: the state never records a run the store could still lose. */
  constructor(
    state: StageState,
    intervalMs: number,
    commit: () => Promise<void>,
    options: { save?: (state: StageState) => Promise<void>; now?: () => number } = {},
  ) {
    this.#state = state;
    this.#intervalMs = this.#currentMs = intervalMs;
    this.#commit = commit;
    this.#save = options.save ?? saveStageState;
    this.#now = options.now ?? (() => performance.now());
    this.#last = this.#now();
  }

  /** Milliseconds that must pass between two saves started by `poke`. */
  get intervalMs(): number {
    return this.#currentMs;
  }

  async #commitAndSave(): Promise<void> {
    const started = this.#now();
    await this.#commit();
    await this.#save(this.#state);
    const cost = SAVE_COST_FACTOR * (this.#now() - started);
    this.#currentMs = Math.max(this.#intervalMs, Math.min(MAX_SAVE_INTERVAL_MS, cost));
  }

  /** Save soon (coalesced). */
  poke(): void {
    if (this.#pending) return;
    if (this.#now() - this.#last < this.#currentMs) return;
    this.#pending = true;
    this.#chain = this.#chain.then(async () => {
      this.#pending = false;
      this.#last = this.#now();
      await this.#commitAndSave().catch((error) => {
        this.#error ??= error;
      });
    });
  }

  /** Save now, after any save in progress; rethrows a failed save. */
  async flush(): Promise<void> {
    this.#chain = this.#chain.then(() => this.#commitAndSave());
    await this.#chain;
    if (this.#error) throw this.#error;
  }
}

/**
 * Process `runs` (already limited to the batch) through `work`, updating `state`. `universe` (ascending) is what
 * `last_contiguous_run` advances over. `commit` (a store's group commit) runs before every state save.
 */
export async function processBatch(
  context: BatchContext,
  state: StageState,
  runs: readonly number[],
  universe: readonly number[],
  work: (run: number) => Promise<RunOutcome>,
  commit: () => Promise<void> = () => Promise.resolve(),
): Promise<BatchResult> {
  const { logger, shutdown } = context;
  const stage = state.stage;
  const title = stageTitle(stage);
  const started = performance.now();
  const result: BatchResult = {
    stage,
    successes: [],
    incomplete: [],
    deferred: [],
    waiting: [],
    failures: [],
    notProcessed: [],
    bytes: 0,
    durationMs: 0,
  };
  const saver = new ThrottledSaver(state, 1000, commit);
  if (context.write) {
    for (const run of runs) state.inFlight.add(run);
    await saveStageState(state);
  }
  const meter = new StageMeter(context.metrics, stage);
  const workers = Math.max(1, Math.min(context.workers, runs.length));
  logger.info(`Starting parallel processing of ${runs.length} runs with ${workers} workers`);
  context.progress.start(title, runs.length);
  let finished = 0;
  let begun = 0;
  const onShutdown = () => {
    const inProgress = begun - finished;
    logger.warn(
      `Shutdown requested - cancelled ${runs.length - begun} pending runs. ${inProgress} runs in progress will ` +
        `complete.`,
    );
    if (inProgress > 0) logger.info(`Waiting for ${inProgress} in-progress runs to complete...`);
  };
  shutdown.signal.addEventListener("abort", onShutdown, { once: true });
  const pool = await runPool(runs, workers, async (run) => {
    begun++;
    const runStarted = performance.now();
    const attempt = await withAttempts(() => work(run), {
      attempts: context.attempts,
      baseDelayMs: context.retryDelayMs,
      maxDelayMs: context.retryMaxDelayMs,
      timeoutMs: context.runTimeoutMs,
      random: context.random,
      signal: shutdown.signal,
      onAttempt: (i, of) => logger.info(`→ Processing run ${run} (attempt ${i}/${of})`, { run, stage }),
      onFailure: (i, of, error) =>
        logger.warn(`✗ Run ${run} failed (attempt ${i}/${of}): ${redact(describeError(error))}`, { run, stage }),
      onRetry: (_i, _error, delay) =>
        logger.info(`Retrying run ${run} in ${(delay / 1000).toFixed(1)} seconds...`, { run, stage }),
    });
    const durationMs = performance.now() - runStarted;
    if (attempt.ok) {
      const outcome = attempt.value;
      recordOutcome(state, result, run, outcome);
      if (outcome.kind === "done" || outcome.kind === "incomplete") {
        meter.succeeded(run, { durationMs, bytes: outcome.bytes });
        logger.info(
          stage === "import"
            ? `✓ Run ${run} imported successfully${outcome.kind === "incomplete" ? " (no stop time yet)" : ""}`
            : `✓ Run ${run} migrated and verified successfully`,
          { run, stage, durationMs: Math.round(durationMs) },
        );
      }
    } else {
      const reason = redact(describeError(attempt.error));
      const record = state.recordFailure(run, reason, attempt.attempts, attempt.permanent);
      result.failures.push(record);
      meter.failed(run, { durationMs });
      if (attempt.permanent) logger.error(`✗ Run ${run} permanently failed: ${reason}`, { run, stage });
    }
    state.inFlight.delete(run);
    finished++;
    context.progress.tick(attempt.ok);
    if (finished % 10 === 0) {
      logger.info(
        `Progress: ${finished}/${runs.length} runs processed (${result.successes.length + result.incomplete.length} ` +
          `successful, ${result.failures.length} failed)`,
      );
    }
    if (context.write) saver.poke();
  }, () => shutdown.requested);
  context.progress.end();
  shutdown.signal.removeEventListener("abort", onShutdown);
  result.notProcessed = runs.slice(pool.started);
  for (const run of result.notProcessed) state.inFlight.delete(run);
  if (result.notProcessed.length > 0) {
    logger.info(`Marking ${result.notProcessed.length} cancelled runs as not processed`);
  }

  const attempted = [...result.successes, ...result.incomplete, ...result.failures.map((f) => f.run)];
  const ok = result.successes.length + result.incomplete.length;
  logger.info(`Updating state tracking: ${ok} successful, ${attempted.length} attempted`);
  state.advanceContiguous(universe);
  state.noteAttempted(attempted);
  if (context.write) await saver.flush();
  result.durationMs = performance.now() - started;
  if (context.write) meter.finish();

  if (result.notProcessed.length > 0) {
    logger.warn(
      `Batch processing interrupted by shutdown: ${ok} successful, ${result.failures.length} failed, ` +
        `${result.notProcessed.length} not processed`,
    );
  } else {
    logger.info(`Batch processing complete: ${ok} successful, ${result.failures.length} failed`);
  }
  if (result.failures.length > 0) logger.warn(`Recording ${result.failures.length} failed runs to failure log`);
  if (context.write && context.notifiers.length > 0) await notifyBatch(context, result);
  return result;
}

function recordOutcome(state: StageState, result: BatchResult, run: number, outcome: RunOutcome): void {
  switch (outcome.kind) {
    case "done":
      state.markDone(run);
      state.clearPendingUpdate(run);
      result.successes.push(run);
      result.bytes += outcome.bytes;
      break;
    case "incomplete":
      state.markDone(run);
      if (!state.pendingUpdates.has(run)) state.markPendingUpdate(run, outcome.modifiedAt);
      result.incomplete.push(run);
      result.bytes += outcome.bytes;
      break;
    case "deferred": {
      result.deferred.push(run);
      // A failed run that turns out to be still running: say so instead of keeping the stale reason.
      const failure = state.failures.get(run);
      if (failure) failure.reason = "no stop time yet and the run directory changed recently; deferred";
      break;
    }
    case "waiting":
      result.waiting.push(run);
      break;
  }
}

/**
 * Tell the notifiers about the batch's failures through core/notify (one message, runs already notified left
 * out) and forget runs that succeeded since. Never throws: a notifier failure only logs.
 */
async function notifyBatch(context: BatchContext, result: BatchResult): Promise<void> {
  const stage = notificationStage(result.stage);
  const succeeded = [...result.successes, ...result.incomplete];
  if (succeeded.length > 0) await forgetNotified(context.workDir, stage, succeeded, context.logger);
  if (result.failures.length === 0) return;
  await notifyFailures({
    notifiers: context.notifiers,
    stage,
    failures: result.failures.map((f) => ({ run: f.run, stage, reason: f.reason, attempts: f.attempts })),
    retryCommand: context.retryCommand(result.stage),
    workDir: context.workDir,
    logger: context.logger,
  });
}
