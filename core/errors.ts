/**
 * Error classes. Every error the archiver expects carries an exit code and a one-line message that says what
 * went wrong and what to do.
 *
 * @module
 */

/** Base of every expected error; exit code 1 unless a subclass says otherwise. */
export class ArchiverError extends Error {
  readonly exitCode: number = 1;
  /** Run number the error is about, when it is about one run. */
  readonly run?: number;
  /** Stage name (`import`, `migrate`, ...) when known. */
  readonly stage?: string;
  constructor(message: string, options?: { run?: number; stage?: string; cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = new.target.name;
    this.run = options?.run;
    this.stage = options?.stage;
  }
}

/** Invalid configuration: names file, key path and line. */
export class ConfigurationError extends ArchiverError {}

/** Command-line usage error (exit 2, as argparse). */
export class UsageError extends ArchiverError {
  override readonly exitCode: number = 2;
}

/** Bad input in one run record (file too large, non-UTF-8, unsafe symlink, unparsable FHiCL...). */
export class RunInputError extends ArchiverError {}

/** Something that should exist does not. */
export class NotFoundError extends ArchiverError {}

/** The sink holds a different blob under the same key. */
export class ConflictError extends ArchiverError {}

/** A blob in the sink does not match what we sent. */
export class VerificationError extends ArchiverError {}

/** artdaqDB failure. */
export class StoreError extends ArchiverError {}

/** UconDB failure. */
export class SinkError extends ArchiverError {}

/** Another archiver holds the lock. */
export class LockHeldError extends ArchiverError {}

/** State files unreadable or corrupt; the message names the recovery command. */
export class StateError extends ArchiverError {}

/** Fuzzing made this run fail permanently (no retry). */
export class FuzzSkipError extends ArchiverError {}

/** A transient failure that may succeed when retried (network, 5xx, timeout). */
export class TransientError extends ArchiverError {}

/** A one-line description of any thrown value, never a stack. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split("\n")[0] || error.name;
  return String(error);
}
