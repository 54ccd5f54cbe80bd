/**
 * What the pipeline is given: configuration, flags, role instances, logger and the shutdown controller.
 *
 * @module
 */
import type { ArchiverConfig } from "../config/types.ts";
import type { ArchiveFlags } from "../cli/flags.ts";
import type { Shutdown } from "../cli/shutdown.ts";
import type { HeldLock } from "../lock/mod.ts";
import type { Logger } from "../roles.ts";
import type { Roles } from "../wiring.ts";

/** The role instances the pipeline works through: core/wiring.ts `Roles` (its `createRoles`), closed by the caller. */
export type PipelineRoles = Omit<Roles, "close">;

/**
 * The part of the shutdown controller (core/cli/shutdown.ts) the pipeline uses: whether a graceful shutdown was
 * requested (SIGINT, SIGTERM, lock file removed), why, a way to request one, and an AbortSignal that fires on the
 * request (to cut short waits: backoff sleeps, the `--watch` interval).
 */
export type ShutdownLike = Pick<Shutdown, "requested" | "reason" | "request" | "signal">;

/** Arguments of `runArchiver`. */
export interface RunArchiverOptions {
  config: ArchiverConfig;
  flags: ArchiveFlags;
  roles: PipelineRoles;
  logger: Logger;
  shutdown: ShutdownLike;
  /** Random numbers in [0, 1) for fuzzing and jitter (tests pass a seeded one). Default `Math.random`. */
  random?: () => number;
  /** Where the progress bar is drawn; default stderr when it is a terminal. Null disables it. */
  progressOut?: { write(text: string): void } | null;
  /**
   * A lock the caller already holds on `app.lock_file` (the CLI can take it before creating the roles, so that
   * a second invocation fails on the archiver lock before touching any plugin). The pipeline monitors it and
   * leaves releasing it to the caller. Default: the pipeline takes (and releases) the lock itself.
   */
  lock?: HeldLock;
  /** Where `--json` and `--dry-run` output goes. Default stdout. */
  out?: (text: string) => void;
}

/** Outcome of one run in a stage. */
export type RunOutcome =
  /** Done (imported / migrated and verified). */
  | { kind: "done"; bytes: number; note?: string }
  /** Import only: stored flagged incomplete (no stop time yet); the stop-time update follows later. */
  | { kind: "incomplete"; bytes: number; modifiedAt: number }
  /** Import only: no stop time yet and still within the grace period — nothing written, try again later. */
  | { kind: "deferred" }
  /** Migrate only: waiting for the run's stop-time update to be imported first. */
  | { kind: "waiting" };
