/**
 * The archive pipeline: every execution mode of the Python archiver (§1.3) on the roles of core/roles.ts.
 *
 * | mode (flags)              | import part                  | migration part                    |
 * |---------------------------|------------------------------|-----------------------------------|
 * | (none)                    | normal import                | normal migration                  |
 * | `--import-only`           | normal import                | —                                 |
 * | `--migrate-only`          | —                            | normal migration                  |
 * | `--retry-failed-import`   | retry failed imports         | —                                 |
 * | `--retry-failed-migrate`  | —                            | retry failed migrations           |
 * | `--recover-*-state`       | rebuild import state         | rebuild migration state           |
 * | `--report-status`         | status report (core/status)  |                                   |
 *
 * Differences from Python, on purpose: no stage starts after a shutdown request (§10.4); the lock never disturbs
 * a running holder (§16.1-1); a notifier failure never aborts a stage (§16.1-5); state is atomic, honest and
 * never silently reset (§16.1-10/14). Additions: `--runs`, `--dry-run`, `--watch`, `--json`, `--verify`, a
 * progress bar on a terminal and a summary.
 *
 * The exit code returned is the Python one: 0 all good, 1 some run failed or a stage could not start; the CLI
 * turns 0/1 into 130 after a graceful shutdown. Expected errors (`LockHeldError`, `StateError`, ...) are thrown.
 *
 * @example
 * ```ts
 * import { runArchiver } from "./mod.ts";
 * const code = await runArchiver({ config, flags, roles, logger, shutdown });
 * ```
 *
 * @module
 */
import { compactHeap } from "../heap.ts";
import { acquireLock, type HeldLock } from "../lock/mod.ts";
import { retryCommandFor } from "../notify.ts";
import type { StageName } from "../state/mod.ts";
import { selectionFilter } from "./candidates.ts";
import type { StageEnv, StageReport } from "./env.ts";
import { Fuzzer } from "./fuzz.ts";
import { retryFailedImports, runImportStage } from "./import_stage.ts";
import { retryFailedMigrations, runMigrateStage } from "./migrate_stage.ts";
import { Progress } from "./progress.ts";
import { recoverState } from "./recover.ts";
import { sleep } from "./retry.ts";
import { logSummary, type RunSummary, summarizeStage } from "./summary.ts";
import type { RunArchiverOptions } from "./types.ts";

export type { PipelineRoles, RunArchiverOptions, RunOutcome, ShutdownLike } from "./types.ts";
export type { RunSummary, StageSummaryLine } from "./summary.ts";

/** Run the archiver in the mode the flags select; returns the exit code (0 or 1; see the module doc). */
export async function runArchiver(options: RunArchiverOptions): Promise<number> {
  const { config, flags, roles, logger, shutdown } = options;
  if (flags.mode === "report-status") {
    const { reportStatus } = await import("../status/report.ts");
    return await reportStatus({ config, flags, roles, logger });
  }
  const env = buildEnv(options);
  // A dry run writes nothing and may run beside a working archiver, so it takes no lock.
  const ownLock = !options.lock && !flags.dryRun;
  const lock: HeldLock | null = options.lock ?? (ownLock ? await acquireLock(config.app.lock_file) : null);
  if (lock) {
    lock.monitor((problem) => {
      logger.warn("=".repeat(70));
      logger.warn("LOCK FILE REMOVED - INITIATING GRACEFUL SHUTDOWN");
      logger.warn(`Lock file: ${config.app.lock_file} (${problem})`);
      logger.warn("Process will finish current run and then exit");
      logger.warn("=".repeat(70));
      shutdown.request("Lock file removed");
    });
  }
  try {
    if (flags.mode === "recover-import-state") return await recoverState(env, "import");
    if (flags.mode === "recover-migrate-state") return await recoverState(env, "migrate");
    logger.info(`=== Execution Mode: ${modeTitle(options)} ===`);
    if (flags.dryRun) logger.info("Dry run: nothing will be written");
    if (flags.watch !== null) return await watch(env, options);
    return await runOnceWithSummary(env, options);
  } finally {
    if (ownLock) lock?.release();
  }
}

function buildEnv(options: RunArchiverOptions): StageEnv {
  const { config, flags, roles, logger, shutdown } = options;
  const random = options.random ?? Math.random;
  const app = config.app;
  const progress = options.progressOut === undefined
    ? (flags.json ? new Progress(null) : Progress.forTerminal(flags.quiet))
    : new Progress(options.progressOut);
  const encoder = new TextEncoder();
  const retryCommand = (stage: StageName) => retryCommandFor(stage, flags.configFile);
  return {
    config,
    flags,
    roles,
    logger,
    shutdown,
    inSelection: selectionFilter(flags.runs),
    out: options.out ?? ((text) => Deno.stdout.writeSync(encoder.encode(text))),
    // Fuzzing is active whenever the Python archiver's was: not in incremental mode (§13).
    fuzz: new Fuzzer(config.app_fuzz, !flags.incremental, random, logger.child("fuzz")),
    batch: {
      logger,
      metrics: roles.metrics,
      notifiers: roles.notifiers,
      shutdown,
      progress,
      random,
      workers: app.parallel_workers,
      attempts: app.run_process_retries + 1,
      retryDelayMs: app.retry_delay_seconds * 1000,
      retryMaxDelayMs: Math.max(app.retry_max_delay_seconds, app.retry_delay_seconds) * 1000,
      runTimeoutMs: app.run_timeout_seconds * 1000,
      retryCommand,
      workDir: app.work_dir,
      write: !flags.dryRun,
    },
  };
}

function modeTitle({ flags }: RunArchiverOptions): string {
  switch (flags.mode) {
    case "retry-failed-import":
      return "Retry Failed Imports";
    case "retry-failed-migrate":
      return "Retry Failed Migrations";
    default: {
      const what = flags.mode === "import-only"
        ? "Import Only"
        : flags.mode === "migrate-only"
        ? "Migration Only"
        : "Full Pipeline";
      return `${what} (${flags.incremental ? "Incremental" : "Full"})`;
    }
  }
}

/** The import and migration parts of one invocation (or one `--watch` cycle). */
async function runStages(env: StageEnv): Promise<StageReport[]> {
  const mode = env.flags.mode;
  const reports: StageReport[] = [];
  if (mode === "retry-failed-import") reports.push(await retryFailedImports(env));
  else if (mode === "full" || mode === "import-only") reports.push(await runImportStage(env));
  const wantsMigration = mode === "full" || mode === "migrate-only" || mode === "retry-failed-migrate";
  // What the import's work left in the heap goes back before the migration starts (see compactHeap).
  if (wantsMigration && reports.length > 0) compactHeap();
  if (wantsMigration && env.shutdown.requested) {
    env.logger.warn("Shutdown requested - the migration stage is not started");
  } else if (mode === "retry-failed-migrate") {
    reports.push(await retryFailedMigrations(env));
  } else if (wantsMigration) {
    reports.push(await runMigrateStage(env));
  }
  return reports;
}

/** Exit code of a set of stage reports: the first non-zero stage code (import before migration), as Python. */
function exitCode(reports: readonly StageReport[]): number {
  return reports.find((report) => report.rc !== 0)?.rc ?? 0;
}

async function runOnceWithSummary(env: StageEnv, options: RunArchiverOptions): Promise<number> {
  const started = performance.now();
  const reports = await runStages(env);
  const code = exitCode(reports);
  if (!env.flags.dryRun) report(env, options, reports, code, performance.now() - started);
  return code;
}

function report(
  env: StageEnv,
  options: RunArchiverOptions,
  reports: readonly StageReport[],
  code: number,
  durationMs: number,
): RunSummary {
  const summary: RunSummary = {
    exitCode: code,
    durationMs: Math.round(durationMs),
    shutdownReason: env.shutdown.reason,
    stages: reports.map((r) => summarizeStage(r, env.batch.retryCommand)),
  };
  if (env.flags.json) env.out(JSON.stringify(summary) + "\n");
  else logSummary(options.logger, summary);
  return summary;
}

/**
 * `--watch [seconds]`: run the selected stages, wait, repeat, until a shutdown is requested. A cycle that fails
 * (a store unreachable, runs failing) is logged and the next cycle tries again; only errors that need an operator
 * (corrupt state, a lost lock) end the loop.
 */
async function watch(env: StageEnv, options: RunArchiverOptions): Promise<number> {
  const seconds = env.flags.watch && env.flags.watch > 0 ? env.flags.watch : env.config.app.watch_interval_seconds;
  env.logger.info(`Watching for new runs every ${seconds} s (SIGINT/SIGTERM to stop)`);
  let last = 0;
  while (!env.shutdown.requested) {
    const started = performance.now();
    const reports = await runStages(env);
    last = exitCode(reports);
    const didWork = reports.some((r) => r.result !== null || r.adopted > 0);
    if (didWork) report(env, options, reports, last, performance.now() - started);
    if (env.shutdown.requested) break;
    if (didWork) compactHeap(); // the process waits now: what the cycle left in the heap goes back
    await sleep(seconds * 1000, env.shutdown.signal);
  }
  env.logger.info(`Watch stopped: ${env.shutdown.reason ?? "shutdown requested"}`);
  return last;
}
