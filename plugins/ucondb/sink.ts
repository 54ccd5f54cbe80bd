/**
 * The UconDB sink: run blobs stored under key = tag = run number in one folder/object. Every put is checked
 * against the size and adler32 the server computed from the bytes it received (the put answer's metadata, so no
 * extra request). The pipeline's own verification (`stat`, or `get` for `--verify full`) comes on top; `verify()`
 * offers the same check to other callers.
 *
 * @module
 */
import { PackedBlob } from "../../core/blob/packed.ts";
import { ConflictError, SinkError, VerificationError } from "../../core/errors.ts";
import type { Logger, PutOutcome, Sink, SinkEntry } from "../../core/roles.ts";
import type { VerifyMode } from "../../core/config/types.ts";
import { KeyExistsError, type UconDBClient, type VersionMeta } from "./client.ts";

/** What the sink needs besides its client. */
export interface UconDBSinkOptions {
  /** The client for the configured folder. */
  client: UconDBClient;
  /** UconDB object holding the runs. */
  objectName: string;
  /** Default mode of `verify()`. */
  verify: VerifyMode;
  /** Where outcomes are logged. */
  logger?: Logger;
  /** Called by `close` after the client is closed (stops an embedded server). */
  onClose?: () => Promise<void>;
  /** Text of `describe()`, credentials already removed. */
  description: string;
}

/** The `SinkEntry` of a version's metadata. */
function entryOf(run: number, meta: VersionMeta): SinkEntry {
  return {
    run,
    size: meta.data_size,
    adler32: String(meta.adler32 >>> 0),
    versionId: meta.id,
    createdAt: Number.isFinite(meta.tr) ? new Date(meta.tr * 1000).toISOString() : undefined,
  };
}

/** The Sink role over a UconDB client. */
export class UconDBSink implements Sink {
  /** Role implementation name. */
  readonly kind = "ucondb";
  readonly #client: UconDBClient;
  readonly #object: string;
  readonly #verify: VerifyMode;
  readonly #logger?: Logger;
  readonly #onClose?: () => Promise<void>;
  readonly #description: string;
  #closed = false;

  /** A sink over `options.client`. */
  constructor(options: UconDBSinkOptions) {
    this.#client = options.client;
    this.#object = options.objectName;
    this.#verify = options.verify;
    this.#logger = options.logger;
    this.#onClose = options.onClose;
    this.#description = options.description;
  }

  /** Runs = versions whose key is all ASCII digits; keyless versions (`key: null`) and other keys are ignored. */
  async listRuns(): Promise<number[]> {
    const runOf = ({ key }: { key: unknown }) => typeof key === "string" && /^\d+$/.test(key) ? Number(key) : null;
    const runs = new Set<number>();
    for (const run of await this.#client.listVersions(this.#object, runOf)) if (run !== null) runs.add(run);
    return [...runs].sort((a, b) => a - b);
  }

  /**
   * Store `blob` under key = tag = run with `override=no` and check the server's size and adler32 of what it
   * received (`VerificationError` when they differ). "Already exists" compares the stored version's size and
   * adler32 with ours: identical is `identical`, different is a `ConflictError`. A blob in parts is sent as it is
   * (core/blob/packed.ts).
   */
  async put(run: number, bytes: Uint8Array | PackedBlob): Promise<PutOutcome> {
    const blob = PackedBlob.of(bytes);
    const key = String(run);
    try {
      const meta = await this.#client.put(this.#object, blob, { key, tags: [key], override: false });
      await this.verify(run, blob, "meta", meta);
      return "created";
    } catch (error) {
      if (!(error instanceof KeyExistsError)) throw error;
    }
    const stored = await this.#client.lookupKey(this.#object, key);
    if (!stored) {
      throw new SinkError(`run ${run}: UconDB said key ${key} exists, but no version has it; retry the run`, { run });
    }
    const ours = { size: blob.size, adler32: blob.adler32 };
    const theirs = entryOf(run, stored);
    if (theirs.size !== ours.size || theirs.adler32 !== ours.adler32) {
      throw new ConflictError(
        `run ${run}: UconDB ${this.#description} already holds a different blob under key ${key} ` +
          `(stored: ${theirs.size} bytes, adler32 ${theirs.adler32}; ours: ${ours.size} bytes, adler32 ${ours.adler32}); ` +
          `compare both (archive compare) before replacing the stored version by hand`,
        { run },
      );
    }
    this.#logger?.info(`run ${run} is already in UconDB with identical content`, { run });
    return "identical";
  }

  /**
   * Verify that the server holds exactly `blob` for `run`: size and adler32 from `meta` (e.g. the put answer) or
   * a fresh lookup, plus a byte comparison in `full` mode (default: the `verify` option). Throws
   * `VerificationError`.
   */
  async verify(
    run: number,
    bytes: Uint8Array | PackedBlob,
    mode: VerifyMode = this.#verify,
    meta?: VersionMeta,
  ): Promise<void> {
    const blob = PackedBlob.of(bytes);
    const stored = meta ?? await this.#client.lookupKey(this.#object, String(run));
    if (!stored) throw new VerificationError(`run ${run}: not found in UconDB after the put; retry the run`, { run });
    const theirs = entryOf(run, stored);
    if (theirs.size !== blob.size || theirs.adler32 !== blob.adler32) {
      throw new VerificationError(
        `run ${run}: UconDB stored ${theirs.size} bytes with adler32 ${theirs.adler32}, ` +
          `we sent ${blob.size} bytes with adler32 ${blob.adler32}; the upload was altered, retry the run`,
        { run },
      );
    }
    if (mode !== "full") return;
    if (await this.matches(run, blob) !== true) {
      throw new VerificationError(`run ${run}: the blob downloaded from UconDB differs from the one sent`, { run });
    }
  }

  /** Size and adler32 of the stored blob from the server's metadata (no download), or null. */
  async stat(run: number): Promise<SinkEntry | null> {
    const meta = await this.#client.lookupKey(this.#object, String(run));
    return meta ? entryOf(run, meta) : null;
  }

  /** Whether the stored blob is exactly `blob`, compared piece by piece as it downloads; null when absent. */
  matches(run: number, blob: PackedBlob): Promise<boolean | null> {
    return this.#client.compareByKey(this.#object, String(run), blob);
  }

  /** The stored blob (`GET /data/F/O?key=run`), or null. */
  get(run: number): Promise<Uint8Array | null> {
    return this.#client.getByKey(this.#object, String(run));
  }

  /** Where the blobs go, credentials removed. */
  describe(): string {
    return this.#description;
  }

  /** Close the client and stop the embedded server, if any (idempotent). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.close();
    await this.#onClose?.();
  }
}
