/**
 * The roles the core defines. Plugins fill them; the core never imports a plugin.
 *
 * Data flow (one-way):
 *   Source.list/prepare → Store.putRun(initial) → Store.putRun(update)
 *   Store.listRuns → Store.exportRun → blob → Sink.put → Sink.verify → state
 *
 * @module
 */

import type { PackedBlob } from "./blob/packed.ts";

/** Log levels, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "critical";

/** Structured fields attached to a log line (run number, stage, duration, ...). */
export type LogFields = Record<string, unknown>;

/**
 * The logger every stage and plugin writes through. The implementation (core/log) passes every line through one
 * redaction layer, so a plugin never needs to scrub secrets itself.
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  critical(message: string, fields?: LogFields): void;
  /** A logger whose lines carry `name` (e.g. "importer", "plugins.ucondb"). */
  child(name: string): Logger;
}

/** One file of a run as it was on disk (source manifest entry). */
export interface ManifestEntry {
  /** Path relative to the run directory, `/`-separated. */
  path: string;
  size: number;
  /** Lower-case hex SHA-256 of the raw bytes. */
  sha256: string;
}

/** A FHiCL document prepared for artdaqDB: `name` is the file name (`boot.fcl`), `text` its exact content. */
export interface PreparedDocument {
  name: string;
  /** The text; for a document holding `bytes`, decoded from them each time it is read (`utf8Text`). */
  readonly text: string;
  /**
   * The text's exact UTF-8 bytes, when the document is a file of the run directory as is: a store that hashes,
   * writes or hands the text to a thread uses them rather than `text`, so that a 12 MB run never becomes 12 MB of
   * strings on the main thread. Released (emptied) once the run's import is over (`releasePrepared`).
   */
  bytes?: Uint8Array;
  /**
   * The file the text was read from, for messages, when it is a file of the run directory as is; absent for a
   * document the source generated (a converted text file, RunHistory.fcl) or supplied (schema.fcl).
   */
  path?: string;
  /**
   * Lower-case hex SHA-256 of `bytes`, when the source computed it (its manifest's): a store may take two documents
   * with equal digests for equal text, and reuse what it made of the first (the conftool store's converted payload).
   */
  sha256?: string;
}

/** Everything the import stage needs to archive one run, made by `Source.prepare`. */
export interface PreparedRun {
  run: number;
  /** Configuration name without the run prefix (`standard`, `demo_config`); the store name is `<run>/<configName>`. */
  configName: string;
  /** Documents of the initial insert (per-process FHiCL, fhiclized text files, RunHistory.fcl, schema.fcl). */
  documents: PreparedDocument[];
  /** Documents of the stop-time update (RunHistory2.fcl); empty when the run has no stop time yet. */
  updateDocuments: PreparedDocument[];
  /** True when metadata carries a stop time. */
  complete: boolean;
  /** Start/stop time as written in metadata.txt (verbatim), when present. */
  startTime?: string;
  stopTime?: string;
  /** The source files with sizes and SHA-256, carried through the pipeline. */
  manifest: ManifestEntry[];
}

/** What a source knows about a run without reading it (discovery is name-only). */
export interface SourceRun {
  run: number;
  /** Directory name as found (may be zero-padded, e.g. `000123`). */
  dirName: string;
}

/** Where run records come from. Filled by `plugins/run-records`. */
export interface Source {
  readonly kind: string;
  /**
   * All runs, ascending by run number. Must not read run contents. With `after`, runs ≤ `after` may be left out
   * (an incremental invocation needs only the runs above its start; a source may ignore it and list all).
   */
  listRuns(after?: number): Promise<SourceRun[]>;
  /** Read and prepare one run. Throws `RunInputError` (one-line, names file and run) for bad input. */
  prepare(run: number): Promise<PreparedRun>;
  /** Cheap check whether the run has a stop time (reads metadata only). */
  isComplete(run: number): Promise<boolean>;
  /** mtime (ms since epoch) of the run directory, for the grace period of incomplete runs. */
  modifiedAt(run: number): Promise<number>;
  /** Human description for reports; never contains secrets. */
  describe(): string;
  close(): Promise<void>;
}

/** Kind of write into artdaqDB. `update` is the stop-time update (RunHistory2.fcl and friends). */
export type PutKind = "initial" | "update";

/** One exported file of a stored run. */
export interface ExportedFile {
  /** Relative path in the canonical export layout (see {@link ExportedRun}), e.g. `boot.fcl`. */
  path: string;
  data: Uint8Array;
}

/**
 * A run read back from artdaqDB, in the **canonical export layout**. Every `Store` returns this layout whatever
 * tool read the run back, so one stored run always packs to one blob (the same bytes under every store, so a
 * site can switch stores, e.g. `artdaq_db.use_tools`, and re-migrate a run as `identical`):
 *
 * - One file per exported document. For every (collection, entity) of the configuration the document with the
 *   lexicographically greatest `version` is exported (artdaq_database's `load` choice; ties go to the first in
 *   (collection, id) order).
 * - Paths are flat: `<entity>.fcl`, no directory (the conftoolp export the Python archiver's blobs hold). A tool
 *   that writes another layout is normalised to this one (bulkdownloader's `<config prefix>/` directory is
 *   removed).
 * - Only an entity exported from more than one collection gets `<collection>/<entity>.fcl` for each copy. A
 *   store that cannot tell such copies apart refuses the export (`StoreError`) instead of returning another
 *   layout.
 * - Content is the document as artdaq_database renders it: FHiCL, JSON payloads in the JsonWriter layout.
 * - `files` is sorted by path (UTF-16 code-unit order). The blob does not depend on this order (`blobOrder`).
 * - `storedAt` is the newest creation time among the exported documents.
 */
export interface ExportedRun {
  run: number;
  /** Full configuration name `<run>/<configName>`. */
  configuration: string;
  /** The files in the canonical layout above, sorted by path. */
  files: ExportedFile[];
  /**
   * Time of the stored run (the newest creation time of the exported documents), ISO 8601: makes the blob
   * deterministic.
   */
  storedAt: string;
}

/** artdaqDB. Filled by `plugins/artdaqdb-conftool` and `plugins/artdaqdb-bulktools`. */
export interface Store {
  readonly kind: string;
  /** Runs whose initial archive is complete (one indexed query). Ascending. */
  listRuns(): Promise<number[]>;
  /** Full configuration name `<run>/<name>` of an archived run, or null when the run is not archived. */
  configurationName(run: number): Promise<string | null>;
  /**
   * Write a run's documents. Idempotent: a partial earlier write is completed, identical documents are not
   * written twice, and a run is only listed once every document of the initial write is in.
   */
  putRun(run: PreparedRun, kind: PutKind): Promise<void>;
  /** Whether the stop-time update of `run` is stored. */
  hasUpdate(run: number): Promise<boolean>;
  /**
   * Export a run: its documents as artdaq_database renders them, in the canonical layout of {@link ExportedRun}
   * (the same files, bytes and `storedAt` under every store). Throws `NotFoundError` when absent.
   */
  exportRun(run: number): Promise<ExportedRun>;
  /**
   * Optional group commit. After `deferCommits(true)`, `putRun` may leave the store's search structures (the
   * filesystem artdaqDB's `index.json`) in memory and its new documents unflushed: the run is visible to this
   * process at once, but survives a crash only once `commit()` has resolved. `deferCommits(false)` commits and returns to write-through. Callers record a
   * run as stored only after a commit (the pipeline commits before every state save). Stores without it are
   * write-through.
   */
  deferCommits?(enabled: boolean): Promise<void>;
  /** Makes every earlier `putRun` durable (see `deferCommits`). */
  commit?(): Promise<void>;
  /**
   * Optional hint that puts are about to come: start what they need (threads, connections) while the caller reads
   * the first run. Returns at once; never needed for correctness.
   */
  warm?(): void;
  /** Human description for reports, credentials removed. */
  describe(): string;
  close(): Promise<void>;
}

/** Result of `Sink.put`. */
export type PutOutcome = "created" | "identical";

/** Server-side facts about a stored blob, used for verification without a download. */
export interface SinkEntry {
  run: number;
  size: number;
  adler32: string;
  versionId?: number | string;
  createdAt?: string;
}

/** The permanent archive. Filled by `plugins/ucondb`. */
export interface Sink {
  readonly kind: string;
  /** Runs present in the archive, ascending. */
  listRuns(): Promise<number[]>;
  /**
   * Store `blob` (bytes, or a blob in parts: core/blob/packed.ts) under key = run. "Already exists" with identical
   * size and adler32 is `identical`; a different stored blob throws `ConflictError`.
   */
  put(run: number, blob: Uint8Array | PackedBlob): Promise<PutOutcome>;
  /** Metadata of the stored blob, or null when absent. */
  stat(run: number): Promise<SinkEntry | null>;
  /** The stored blob, or null when absent. */
  get(run: number): Promise<Uint8Array | null>;
  /**
   * Whether the stored blob is exactly `blob`, compared as it is read (never held whole: `--verify full` of a 12 MB
   * run), or null when absent.
   */
  matches(run: number, blob: PackedBlob): Promise<boolean | null>;
  describe(): string;
  close(): Promise<void>;
}

/** Where measurements go. `send` never throws and never blocks the pipeline. */
export interface Metrics {
  /** Post one value under `path` (prefix added by the plugin); timestamp in seconds, default now. */
  send(path: string, value: number, timestamp?: number): void;
  /** Flush what is queued (best effort, bounded time). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** One failed run in a notification. */
export interface FailureItem {
  run: number;
  stage: string;
  reason: string;
  attempts: number;
}

/** A message to operators about a batch that had failures. */
export interface Notification {
  stage: string;
  subject: string;
  /** Plain-text body, ready to send. */
  text: string;
  failures: FailureItem[];
  /** The command that retries the failed runs. */
  retryCommand: string;
}

/** Who is told about failures. Filled by `plugins/email` and `plugins/slack`. */
export interface Notifier {
  readonly kind: string;
  notify(notification: Notification): Promise<void>;
  close(): Promise<void>;
}

/** The names of the roles, for the registry. */
export type RoleName = "source" | "store" | "sink" | "metrics" | "notifier";

/** Role name → interface. */
export interface RoleTypes {
  source: Source;
  store: Store;
  sink: Sink;
  metrics: Metrics;
  notifier: Notifier;
}
