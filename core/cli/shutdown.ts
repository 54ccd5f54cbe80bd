/**
 * Graceful shutdown. SIGINT and SIGTERM (the Python archiver ignored SIGTERM, §16.3) request a graceful stop:
 * runs in flight finish, no new run or stage starts, state is saved, exit 130. A third signal within 2 seconds
 * exits at once with 130. Other triggers (the lock file removed) call `request(reason)`.
 *
 * The pipeline watches `signal` (an AbortSignal aborted on the first request) and `requested`.
 *
 * @example
 * ```ts
 * const shutdown = new ShutdownController();
 * shutdown.install();
 * // ... pass `shutdown` to runArchiver; it checks shutdown.signal.aborted between runs
 * shutdown.uninstall();
 * ```
 *
 * @module
 */
import type { Logger } from "../roles.ts";

/** What the pipeline sees of the shutdown controller. */
export interface Shutdown {
  /** Aborted on the first shutdown request; `signal.reason` is the reason text. */
  readonly signal: AbortSignal;
  /** Whether a graceful shutdown was requested. */
  readonly requested: boolean;
  /** Why (`User request`, `Termination signal (SIGTERM)`, `Lock file removed`), or null. */
  readonly reason: string | null;
  /** Signals counted in the current 2-second window. */
  readonly count: number;
  /** Request a graceful shutdown (first reason wins). */
  request(reason: string): void;
}

/** Signals within this window count toward the immediate shutdown. */
export const SIGNAL_WINDOW_MS = 2000;

const SIGNALS: Deno.Signal[] = ["SIGINT", "SIGTERM"];

/** The process's shutdown controller. */
export class ShutdownController implements Shutdown {
  #abort = new AbortController();
  #reason: string | null = null;
  #count = 0;
  #lastSignalAt = -Infinity;
  #logger: Logger | null = null;
  #beforeExit: (() => void)[] = [];
  #handlers = new Map<Deno.Signal, () => void>();
  #exit: (code: number) => never;
  #now: () => number;

  /** `exit` and `now` are replaceable for tests. */
  constructor(options: { exit?: (code: number) => never; now?: () => number } = {}) {
    this.#exit = options.exit ?? ((code) => Deno.exit(code));
    this.#now = options.now ?? (() => performance.now());
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }
  get requested(): boolean {
    return this.#reason !== null;
  }
  get reason(): string | null {
    return this.#reason;
  }
  get count(): number {
    return this.#count;
  }

  /** Where the shutdown lines go once logging is configured (before that: stderr). */
  setLogger(logger: Logger): void {
    this.#logger = logger;
  }

  /** Run `fn` (synchronously) before an immediate exit, e.g. to close the log file. */
  onImmediateExit(fn: () => void): void {
    this.#beforeExit.push(fn);
  }

  request(reason: string): void {
    if (this.#reason !== null) return;
    this.#reason = reason;
    this.#abort.abort(reason);
  }

  /** Count one signal: 1st and 2nd → graceful (with the Python archiver's lines), 3rd within 2 s → exit 130. */
  handleSignal(name: Deno.Signal): void {
    const now = this.#now();
    this.#count = now - this.#lastSignalAt > SIGNAL_WINDOW_MS ? 1 : this.#count + 1;
    this.#lastSignalAt = now;
    const key = name === "SIGINT" ? "Ctrl-C" : name;
    if (this.#count === 1) {
      this.#warn("=".repeat(70));
      this.#warn(`GRACEFUL SHUTDOWN REQUESTED (${key})`);
      this.#warn("Current run will finish processing...");
      this.#warn(`Press ${key} two more times within 2 seconds for immediate shutdown`);
      this.#warn("=".repeat(70));
      this.request(name === "SIGINT" ? "User request" : `Termination signal (${name})`);
    } else if (this.#count === 2) {
      this.#warn(`${key} pressed 2/3 times - press 1 more for immediate shutdown`);
    } else {
      this.#warn(`IMMEDIATE SHUTDOWN REQUESTED (3x ${key})`);
      for (const fn of this.#beforeExit) {
        try {
          fn();
        } catch { /* exiting anyway */ }
      }
      this.#exit(130);
    }
  }

  /** Listen for SIGINT and SIGTERM. */
  install(): void {
    for (const name of SIGNALS) {
      if (this.#handlers.has(name)) continue;
      const handler = () => this.handleSignal(name);
      this.#handlers.set(name, handler);
      Deno.addSignalListener(name, handler);
    }
  }

  /** Stop listening (lets the process exit normally). */
  uninstall(): void {
    for (const [name, handler] of this.#handlers) Deno.removeSignalListener(name, handler);
    this.#handlers.clear();
  }

  #warn(message: string): void {
    if (this.#logger) this.#logger.warn(message);
    else console.error(message);
  }
}
