/**
 * Per-run attempts: `run_process_retries + 1` attempts, exponential backoff with jitter between them
 * (`retry_delay_seconds` as base, capped at `retry_max_delay_seconds`), a per-attempt timeout, and errors that
 * retrying cannot fix (bad input, a conflicting blob, a fuzz skip) failing at once.
 *
 * @example
 * ```ts
 * const result = await withAttempts(() => importOne(run), { attempts: 3, baseDelayMs: 3000, maxDelayMs: 60000,
 *   timeoutMs: 600000, random: Math.random, signal, onRetry: (n, e, d) => log(n, e, d) });
 * ```
 *
 * @module
 */
import { ConflictError, FuzzSkipError, RunInputError, TransientError } from "../errors.ts";

/** Settings of `withAttempts`. */
export interface AttemptOptions {
  /** Total attempts (≥ 0; 0 means the run fails untried, as with Python's negative retries). */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Per-attempt limit; 0 = none. */
  timeoutMs: number;
  random: () => number;
  /** Aborts the backoff sleep (shutdown): no further attempt is started. */
  signal?: AbortSignal;
  /** Called before each attempt (1-based). */
  onAttempt?: (attempt: number, of: number) => void;
  /** Called after a failed attempt that will be retried, with the delay chosen. */
  onRetry?: (attempt: number, error: unknown, delayMs: number) => void;
  /** Called after every failed attempt. */
  onFailure?: (attempt: number, of: number, error: unknown) => void;
}

/** Result of `withAttempts`. */
export type AttemptResult<T> =
  | { ok: true; value: T; attempts: number }
  | { ok: false; error: unknown; attempts: number; permanent: boolean };

/** Whether retrying cannot help. */
export function isPermanent(error: unknown): boolean {
  return error instanceof RunInputError || error instanceof ConflictError || error instanceof FuzzSkipError;
}

/** Delay before attempt `attempt + 1`: base·2^(attempt-1), times a jitter in [0.5, 1.5), capped. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  if (baseMs <= 0) return 0;
  const exponential = baseMs * 2 ** Math.min(attempt - 1, 30);
  return Math.min(maxMs, Math.round(exponential * (0.5 + random())));
}

/** Run `fn` up to `attempts` times. Never throws: the result says what happened. */
export async function withAttempts<T>(fn: () => Promise<T>, options: AttemptOptions): Promise<AttemptResult<T>> {
  // Made only when needed: an error's stack trace costs more than a small run's bookkeeping.
  let lastError: unknown = null;
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    options.onAttempt?.(attempt, options.attempts);
    try {
      const value = await withTimeout(fn, options.timeoutMs);
      return { ok: true, value, attempts: attempt };
    } catch (error) {
      lastError = error;
      options.onFailure?.(attempt, options.attempts, error);
      if (isPermanent(error)) return { ok: false, error, attempts: attempt, permanent: true };
      if (attempt === options.attempts) break;
      if (options.signal?.aborted) return { ok: false, error, attempts: attempt, permanent: false };
      const delay = backoffDelay(attempt, options.baseDelayMs, options.maxDelayMs, options.random);
      options.onRetry?.(attempt, error, delay);
      if (!(await sleep(delay, options.signal))) return { ok: false, error, attempts: attempt, permanent: false };
    }
  }
  if (options.attempts < 1) lastError = new TransientError("no attempt was made (run_process_retries is negative)");
  return { ok: false, error: lastError, attempts: Math.max(0, options.attempts), permanent: false };
}

/** `fn()` or a `TransientError` after `timeoutMs` (the late result is ignored). */
export function withTimeout<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  if (!timeoutMs || timeoutMs <= 0) return fn();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TransientError(`attempt timed out after ${Math.round(timeoutMs / 1000)} s`)),
      timeoutMs,
    );
  });
  return Promise.race([fn(), timeout]).finally(() => clearTimeout(timer));
}

/** Sleep `ms`; resolves false early when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
