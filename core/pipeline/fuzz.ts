/**
 * Fuzzing (`app_fuzz`, §13): random skips and errors injected before the initial store of an import and before
 * an upload, exactly as the Python clients did, for testing retries and failure handling. Off in incremental
 * mode.
 *
 * * skip (`random_skip_percent`): with `random_skip_retry: true` a `FuzzSkipError` (permanent failure, no
 *   retry); otherwise the write is silently skipped (the run proceeds as if it had been written — for an import
 *   without a stop-time update it counts as imported although nothing was stored; an upload then fails
 *   verification and is retried).
 * * error (`random_error_percent`, then a fair coin, so half the rate): with `random_error_retry: true` a
 *   `FuzzSkipError`; otherwise a normal (retried) store/sink error.
 * Note the inverted naming kept from Python: `*_retry: true` means "do NOT retry".
 *
 * @example
 * ```ts
 * const fuzz = new Fuzzer(config.app_fuzz, !flags.incremental, Math.random);
 * if (fuzz.before("store", run) === "skip") return;
 * ```
 *
 * @module
 */
import type { AppFuzzConfig } from "../config/types.ts";
import { FuzzSkipError, SinkError, StoreError } from "../errors.ts";
import type { Logger } from "../roles.ts";

/** Where a fuzz decision is taken: the initial store (artdaqDB) or the upload (UconDB). */
export type FuzzPoint = "store" | "sink";

/** Decides, per write, whether to skip it or fail it. */
export class Fuzzer {
  readonly #config: AppFuzzConfig;
  readonly #active: boolean;
  readonly #random: () => number;
  readonly #logger?: Logger;

  constructor(config: AppFuzzConfig, active: boolean, random: () => number, logger?: Logger) {
    this.#config = config;
    this.#active = active && (config.random_skip_percent > 0 || config.random_error_percent > 0);
    this.#random = random;
    this.#logger = logger;
  }

  /** Whether any fuzzing can happen. */
  get active(): boolean {
    return this.#active;
  }

  /** `randint(1, 100) <= percent`. */
  #roll(percent: number): boolean {
    return percent > 0 && Math.floor(this.#random() * 100) + 1 <= percent;
  }

  /** "skip" to skip the write, "write" to do it; throws the injected error. */
  before(point: FuzzPoint, run: number): "skip" | "write" {
    if (!this.#active) return "write";
    const c = this.#config;
    if (this.#roll(c.random_skip_percent)) {
      if (c.random_skip_retry) {
        throw new FuzzSkipError(`[FUZZ] Permanent skip for run ${run} (random_skip_retry=true)`, { run });
      }
      this.#logger?.warn(
        `[FUZZ] Randomly skipping run ${run} - will retry later (random_skip_percent=${c.random_skip_percent}%)`,
        { run },
      );
      return "skip";
    }
    if (this.#roll(c.random_error_percent) && this.#random() < 0.5) {
      if (c.random_error_retry) {
        throw new FuzzSkipError(`[FUZZ] Permanent error for run ${run} (random_error_retry=true)`, { run });
      }
      const message = `[FUZZ] Random test failure for run ${run}`;
      throw point === "store" ? new StoreError(message, { run }) : new SinkError(message, { run });
    }
    return "write";
  }
}
