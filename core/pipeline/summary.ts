/**
 * The end-of-invocation summary: per stage the runs done, incomplete, deferred, failed and not processed, bytes
 * and time, and for failures the command that retries them. Logged as text, or printed as JSON with `--json`.
 *
 * @module
 */
import type { Logger } from "../roles.ts";
import type { StageName } from "../state/mod.ts";
import { describeRuns } from "./candidates.ts";
import type { StageReport } from "./env.ts";

/** One stage's line of the summary. */
export interface StageSummaryLine {
  stage: StageName;
  done: number;
  incomplete: number;
  deferred: number;
  waiting: number;
  failed: number[];
  notProcessed: number;
  remaining: number;
  adopted: number;
  bytes: number;
  durationMs: number;
  retryCommand: string | null;
}

/** The whole summary. */
export interface RunSummary {
  exitCode: number;
  durationMs: number;
  shutdownReason: string | null;
  stages: StageSummaryLine[];
}

/** Summary line of a stage report. */
export function summarizeStage(report: StageReport, retryCommand: (stage: StageName) => string): StageSummaryLine {
  const r = report.result;
  const failed = r ? r.failures.map((f) => f.run).sort((a, b) => a - b) : [];
  return {
    stage: report.stage,
    done: r?.successes.length ?? 0,
    incomplete: r?.incomplete.length ?? 0,
    deferred: r?.deferred.length ?? 0,
    waiting: r?.waiting.length ?? 0,
    failed,
    notProcessed: r?.notProcessed.length ?? 0,
    remaining: report.remaining,
    adopted: report.adopted,
    bytes: r?.bytes ?? 0,
    durationMs: Math.round(r?.durationMs ?? 0),
    retryCommand: failed.length > 0 ? retryCommand(report.stage) : null,
  };
}

/** Human byte count. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Log the summary as text lines. */
export function logSummary(logger: Logger, summary: RunSummary): void {
  logger.info("=".repeat(60));
  logger.info(`SUMMARY (${(summary.durationMs / 1000).toFixed(1)} s)`);
  for (const s of summary.stages) {
    const verb = s.stage === "import" ? "imported" : "migrated and verified";
    const parts = [`${s.done} ${verb}`];
    if (s.incomplete) parts.push(`${s.incomplete} imported without stop time`);
    if (s.deferred) parts.push(`${s.deferred} deferred (no stop time yet)`);
    if (s.waiting) parts.push(`${s.waiting} waiting for their stop-time update`);
    if (s.adopted) parts.push(`${s.adopted} found already archived`);
    parts.push(`${s.failed.length} failed`);
    if (s.notProcessed) parts.push(`${s.notProcessed} not processed (shutdown)`);
    if (s.remaining) parts.push(`${s.remaining} left for the next invocation`);
    logger.info(`  ${s.stage}: ${parts.join(", ")}; ${formatBytes(s.bytes)} in ${(s.durationMs / 1000).toFixed(1)} s`);
    if (s.failed.length > 0) {
      logger.warn(`  ${s.stage} failures: ${describeRuns(s.failed, 20)} — retry with: ${s.retryCommand}`);
    }
  }
  if (summary.shutdownReason) logger.info(`  stopped early: ${summary.shutdownReason}`);
  logger.info("=".repeat(60));
}
