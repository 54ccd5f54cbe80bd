/**
 * The environment every stage function receives: configuration, flags, roles, logger, shutdown, the batch
 * settings and the fuzzer. Built once per invocation by `runArchiver`.
 *
 * @module
 */
import type { ArchiverConfig } from "../config/types.ts";
import type { ArchiveFlags } from "../cli/flags.ts";
import type { Logger } from "../roles.ts";
import type { StageName } from "../state/mod.ts";
import type { BatchContext, BatchResult } from "./batch.ts";
import type { Fuzzer } from "./fuzz.ts";
import type { PipelineRoles, ShutdownLike } from "./types.ts";

/** What stage functions work with. */
export interface StageEnv {
  config: ArchiverConfig;
  flags: ArchiveFlags;
  roles: PipelineRoles;
  logger: Logger;
  shutdown: ShutdownLike;
  batch: BatchContext;
  fuzz: Fuzzer;
  /** Whether `--runs` keeps a run. */
  inSelection: (run: number) => boolean;
  /** Output of `--dry-run` / `--json`. */
  out: (text: string) => void;
}

/** What a stage did, for the exit code and the summary. */
export interface StageReport {
  stage: StageName;
  /** 0 ok, 1 failures / shutdown / discovery error (as Python's stage return). */
  rc: number;
  result: BatchResult | null;
  /** Candidates left for a later invocation (batch limit). */
  remaining: number;
  /** Runs found done elsewhere and recorded without work. */
  adopted: number;
  /** Retry modes: failed runs still failing. */
  stillFailing?: number[];
}

/** The log banner of a stage (60 `=`). */
export function banner(logger: Logger, title: string, mode?: string): void {
  logger.info("=".repeat(60));
  logger.info(`STAGE: ${title}`);
  if (mode) logger.info(`Mode: ${mode}`);
  logger.info("=".repeat(60));
}

/** The completion line of a stage. */
export function stageDone(logger: Logger, title: string, rc: number): void {
  if (rc === 0) logger.info(`✓ ${title} Stage completed successfully (exit code: 0)`);
  else logger.warn(`✗ ${title} Stage completed with failures (exit code: ${rc})`);
}
