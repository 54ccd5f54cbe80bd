/**
 * The filesystem provider (`filesystemdb://`, artdaq-database.md §4): one directory per collection, one
 * `<oid>.json` file per document in the JsonWriter layout, and a per-collection `index.json` that is the only
 * search path. On top of the C++ behaviour: atomic writes, a lock around every `index.json` update, and indexes
 * that are never held whole: a query reads the lists it needs from the file through a catalogue of where they lie
 * (reused only while the file is unchanged: same inode, size and nanosecond mtime), and a commit streams the old
 * file into the new one with its additions merged (fs/index_stream.ts). Memory therefore does not grow with the
 * size of the database.
 *
 * @module
 */

import { statSync } from "node:fs";
import { basename, join } from "node:path";
import { ArchiverError, describeError, StoreError } from "../../../core/errors.ts";
import { heapCheckpoint } from "../../../core/heap.ts";
import { pathExists } from "../../../core/paths.ts";
import { syncDirectory } from "../../../core/state/atomic.ts";
import type {
  Backend,
  ConfigurationEntry,
  DocumentBatch,
  DocumentRef,
  EncodedBatch,
  EncodedDocument,
  FindOptions,
  StoredDocument,
} from "../backend.ts";
import { type DocumentFacts, encodeDocument, parseStoredDocument } from "../document.ts";
import { randomOid } from "../ids.ts";
import { SYSTEM_METADATA, systemMetadataDocument, systemMetadataFileText } from "../system_metadata.ts";
import type { Clock } from "../timestamp.ts";
import { runPool } from "../../../core/pipeline/pool.ts";
import { writeFilesAtomic } from "./atomic.ts";
import { type DocumentFile, documentFileError, writeNewDocumentFile } from "./document_file.ts";
import { CollectionIndex, EMPTY_INDEX_TEXT, type IndexQueries } from "./index_file.ts";
import { IndexAdditions, IndexCatalog, NotStreamable, parseIndexText, PendingView } from "./index_stream.ts";
import { LOCK_FILE, withFileLock } from "./lock.ts";

/** Bytes of a streamed index rewrite between two checks of the heap governor. */
const HEAP_CHECK_BYTES = 8 << 20;

/**
 * Files fsynced at once by a group commit. All at once, a commit after many runs opened tens of thousands of files
 * together and failed with "Too many open files" (12,000 small runs in one invocation).
 */
const SYNC_CONCURRENCY = 64;

/** Settings of the filesystem backend. */
export interface FilesystemBackendOptions {
  /** Absolute database directory. */
  path: string;
  /** `filesystemdb://<path>`, recorded in SystemMetadata. */
  uri: string;
  /** fsync documents and indexes (default true; false only for scratch data). */
  durable: boolean;
  /** How long to wait for another process's index lock. */
  lockTimeoutMs: number;
  clock: Clock;
}

const INDEX_FILE = "index.json";

/** Cache stamp of an index that does not exist on disk yet (write-behind changes of a new collection). */
const ABSENT = "absent";

/** One change of a collection's index. */
type IndexChange = { add: readonly DocumentFacts[] } | { remove: readonly string[] };

interface CachedIndex {
  stamp: string;
  /**
   * The committed index: its catalogue when the file is in the streamed layout, else (the compact template of a
   * new collection, a file edited by hand, no file yet) the full model.
   */
  base: IndexCatalog | CollectionIndex;
  /** Queries over `base` with the pending additions `added` on top (made when first asked). */
  view?: { added: IndexAdditions; view: PendingView };
}

/** Index changes that will be written together. */
interface IndexBatch {
  changes: IndexChange[];
  done: Promise<void>;
}

/** The filesystem provider. */
export class FilesystemBackend implements Backend {
  readonly provider = "filesystem" as const;
  readonly #options: FilesystemBackendOptions;
  readonly #cache = new Map<string, CachedIndex>();
  /** Per collection, the index changes waiting for the lock (see `#updateIndex`). */
  readonly #batches = new Map<string, IndexBatch>();
  /** Write-behind mode (group commit): index changes wait in memory for `commit()`. */
  #writeBehind = false;
  /** Index additions not yet written, per collection. */
  readonly #pending = new Map<string, IndexAdditions>();
  /** A commit (or removal) in progress: deferrals wait for it, so no change slips into a write out of order. */
  #exclusive: Promise<void> | null = null;
  /** Write-behind: document files written but not yet fsynced, by directory (see `#writeDocuments`). */
  readonly #unsynced = new Map<string, Set<string>>();
  /** The failed fsync that stops every later commit (see `#syncWritten`). */
  #syncFailure: StoreError | null = null;

  constructor(options: FilesystemBackendOptions) {
    this.#options = options;
  }

  describe(): string {
    return this.#options.uri;
  }

  configurationsByRun(collection: string, entity: string): Promise<Map<number, string[]>> {
    return settle(() => this.#view(collection).configurationsByRun(entity));
  }

  configurationsOfRun(collection: string, entity: string, run: number): Promise<ConfigurationEntry[]> {
    return settle(() => {
      const index = this.#view(collection);
      const names = index.configurationsByRun(entity).get(run) ?? [];
      return names.map((name) => ({ name, assigned: index.latestAssigned(name) }));
    });
  }

  findConfiguration(configuration: string, collection?: string, options: FindOptions = {}): Promise<StoredDocument[]> {
    return settle(() =>
      this.#locate(configuration, collection, options).map(([name, id]) => this.#readDocument(name, id))
    );
  }

  locateConfiguration(configuration: string, collection?: string, options: FindOptions = {}): Promise<DocumentRef[]> {
    return settle(() =>
      this.#locate(configuration, collection, options).map(([name, id]) => ({
        collection: name,
        id,
        load: () => settle(() => this.#readDocument(name, id)),
        file: this.#documentFile(name, id),
      }))
    );
  }

  /** (collection, id) of every document of `configuration`, from the indexes. */
  #locate(configuration: string, collection: string | undefined, options: FindOptions): Array<[string, string]> {
    const collections = collection ? [collection] : this.#collections();
    return collections.flatMap((name) => {
      const view = this.#view(name);
      let ids = view.configurationIds(configuration);
      if (options.exceptVersion !== undefined) {
        const skip = new Set(view.versionIds(options.exceptVersion));
        if (skip.size > 0) ids = ids.filter((id) => !skip.has(id));
      }
      return ids.map((id): [string, string] => [name, id]);
    });
  }

  upsert(collection: string, documents: readonly StoredDocument[]): Promise<void> {
    return this.upsertAll([{ collection, documents }]);
  }

  upsertAll(batches: ReadonlyArray<DocumentBatch>): Promise<void> {
    return this.upsertEncoded(batches.map((batch) => ({
      collection: batch.collection,
      documents: batch.documents.map(encodeDocument),
    })));
  }

  /**
   * Writes the documents of every batch first, all in one round of parallel fsyncs, and only then makes them
   * findable (index changes), the last batch after all others: one disk flush for a run's documents instead of
   * one per collection, and the commit marker's collection still becomes findable last.
   */
  async upsertEncoded(batches: ReadonlyArray<EncodedBatch>): Promise<void> {
    const nonEmpty = batches.filter((batch) => batch.documents.length > 0);
    await Promise.all(nonEmpty.map((batch) => this.#writeDocuments(batch.collection, batch.documents)));
    const last = nonEmpty.at(-1);
    await Promise.all(nonEmpty.slice(0, -1).map((batch) => this.#publish(batch.collection, batch.documents)));
    if (last) await this.#publish(last.collection, last.documents);
  }

  /**
   * Writes document files. A document that replaces an existing file is written atomically (a temporary file, its
   * fsync, a rename), so a listed document is never left torn. Write-behind (group commit): a document under a new
   * name is written straight to that name, without its fsync, which `commit()` does for all of them at once before
   * any index lists them (one disk flush per commit instead of several per run). Until then no reader opens it, so a
   * crash can leave it torn but never listed; the retry finds the file (ids follow the document's identity) and
   * replaces it atomically. A document a converting thread wrote itself (`written`, see {@link newDocumentFile}) is
   * such a file already: it only joins the commit's fsyncs.
   */
  async #writeDocuments(collection: string, documents: readonly EncodedDocument[]): Promise<void> {
    const directory = this.#directory(collection);
    const files: Array<{ name: string; id: string; data: Uint8Array }> = [];
    const created: string[] = [];
    for (const encoded of documents) {
      if (encoded.data) files.push({ name: `${encoded.id}.json`, id: encoded.id, data: encoded.data });
      else created.push(encoded.written!.path);
    }
    const durable = this.#options.durable;
    await this.#io(`write documents into ${directory}`, async () => {
      if (created.length > 0 && durable) {
        if (this.#writeBehind) {
          const names = this.#unsyncedIn(directory);
          for (const path of created) names.add(basename(path));
        } else await this.#syncFiles(created, [directory]); // group commit turned off since: flushed now
      }
      if (!this.#writeBehind || !durable) return await writeFilesAtomic(directory, files, durable);
      const replacing: typeof files = [];
      const names = this.#unsyncedIn(directory);
      Deno.mkdirSync(directory, { recursive: true });
      for (const file of files) {
        if (writeNewDocumentFile(this.#documentFile(collection, file.id), file.data)) names.add(file.name);
        else replacing.push(file);
      }
      await writeFilesAtomic(directory, replacing, true);
    });
  }

  /**
   * fsyncs the documents written without it (write-behind), {@link SYNC_CONCURRENCY} at a time, and then their
   * directories. A failed fsync may have lost data that a later fsync would not report, so it fails every later
   * commit of this backend: nothing written since is ever listed, and the next invocation rewrites those runs.
   */
  async #syncWritten(): Promise<void> {
    if (this.#syncFailure) throw this.#syncFailure;
    const written = [...this.#unsynced];
    this.#unsynced.clear();
    const files = written.flatMap(([directory, names]) => [...names].map((name) => join(directory, name)));
    try {
      await this.#syncFiles(files, written.map(([directory]) => directory));
    } catch (error) {
      this.#syncFailure = this.#error("flush written documents to disk (fsync)", error);
      throw this.#syncFailure;
    }
  }

  /** fsyncs `files`, {@link SYNC_CONCURRENCY} at a time, then `directories`. */
  async #syncFiles(files: readonly string[], directories: readonly string[]): Promise<void> {
    await runPool(files, SYNC_CONCURRENCY, async (path) => {
      using file = await Deno.open(path, { read: true });
      await file.syncData();
    }, () => false);
    await Promise.all(directories.map((directory) => syncDirectory(directory)));
  }

  /** The names written into `directory` under group commit and not fsynced yet. */
  #unsyncedIn(directory: string): Set<string> {
    let names = this.#unsynced.get(directory);
    if (!names) this.#unsynced.set(directory, names = new Set());
    return names;
  }

  /**
   * Under group commit, the file a converting thread may create for a document under a new id (see
   * `Backend.newDocumentFile`); its collection's directory is made here. Outside group commit, null: the documents
   * come with their bytes and are written atomically with their fsyncs by `upsertEncoded`.
   */
  newDocumentFile(collection: string, id: string): DocumentFile | null {
    if (!this.#writeBehind) return null;
    const directory = this.#directory(collection);
    try {
      Deno.mkdirSync(directory, { recursive: true });
    } catch (error) {
      throw this.#error(`create ${directory}`, error);
    }
    return this.#documentFile(collection, id);
  }

  /** Makes written documents findable: their `index.json` entries, now or (write-behind) at the next commit. */
  async #publish(collection: string, documents: readonly EncodedDocument[]): Promise<void> {
    // Facts only (small), so that a deferred change does not keep whole documents alive until the commit.
    const facts = documents.map((encoded) => encoded.facts);
    if (!this.#writeBehind) return await this.#updateIndex(collection, { add: facts });
    while (this.#exclusive) await this.#exclusive.catch(() => {});
    // The documents and the index entry become durable with the next commit().
    let pending = this.#pending.get(collection);
    if (!pending) this.#pending.set(collection, pending = new IndexAdditions());
    for (const fact of facts) pending.add(fact);
  }

  async remove(collection: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    // Index first: a crash afterwards leaves unlisted files, which no reader ever opens. Deferred changes are
    // committed before, so the removal is never written ahead of them.
    const change: IndexChange = { remove: ids };
    if (this.#writeBehind || this.#pending.size > 0) {
      await this.#exclusively(async () => {
        await this.#commitPending([]);
        await this.#updateIndex(collection, change);
      });
    } else await this.#updateIndex(collection, change);
    const directory = this.#directory(collection);
    await Promise.all(ids.map((id) => Deno.remove(join(directory, `${id}.json`)).catch(() => {})));
  }

  async ensureDatabase(): Promise<void> {
    const directory = this.#directory(SYSTEM_METADATA);
    if (await pathExists(directory)) return;
    const id = randomOid();
    const text = systemMetadataFileText(systemMetadataDocument(this.#options.uri, this.#options.clock()), id);
    const encoder = new TextEncoder();
    await this.#io(`create ${directory}`, () =>
      writeFilesAtomic(directory, [
        { name: `${id}.json`, data: encoder.encode(text) },
        { name: INDEX_FILE, data: encoder.encode(EMPTY_INDEX_TEXT) },
      ], this.#options.durable));
  }

  /**
   * Group commit: with `enabled`, later `upsert` calls write their documents (fsynced by the commit, see
   * `#writeDocuments`) but leave the `index.json` change in memory (visible to every query of this backend at once)
   * until `commit()`, which flushes the documents, then writes each changed index once, under its lock, atomically
   * and fsynced. Turning it off commits what is pending.
   */
  async deferIndexWrites(enabled: boolean): Promise<void> {
    this.#writeBehind = enabled;
    if (!enabled) await this.commit();
  }

  /**
   * Writes every deferred index change. Collections named in `last` are written after all others (the store's
   * commit-marker collection), so a crash mid-commit can leave a run incomplete-and-unlisted, never listed with
   * missing entries. On failure the changes stay pending for the next commit.
   */
  commit(last: readonly string[] = []): Promise<void> {
    if (this.#pending.size === 0 && this.#unsynced.size === 0 && !this.#exclusive) return Promise.resolve();
    return this.#exclusively(() => this.#commitPending(last));
  }

  async close(): Promise<void> {
    try {
      await this.commit();
    } finally {
      for (const collection of [...this.#cache.keys()]) this.#forget(collection);
    }
  }

  /** Runs `action` with deferrals held back and one exclusive section at a time. */
  #exclusively(action: () => Promise<void>): Promise<void> {
    const previous = this.#exclusive ?? Promise.resolve();
    const run = previous.catch(() => {}).then(action);
    const gate: Promise<void> = run.finally(() => {
      if (this.#exclusive === gate) this.#exclusive = null;
    });
    this.#exclusive = gate;
    gate.catch(() => {});
    return run;
  }

  async #commitPending(last: readonly string[]): Promise<void> {
    // Every pending index change's documents were recorded before the change was published, and no change is
    // published while this runs: they are all flushed before any index lists them.
    await this.#syncWritten();
    const collections = [...this.#pending.keys()];
    const early = collections.filter((name) => !last.includes(name));
    const late = collections.filter((name) => last.includes(name));
    await Promise.all(early.map((name) => this.#commitCollection(name)));
    for (const name of late) await this.#commitCollection(name);
  }

  async #commitCollection(collection: string): Promise<void> {
    const added = this.#pending.get(collection);
    if (!added) return;
    this.#pending.delete(collection);
    try {
      await this.#updateIndex(collection, { add: added.facts });
    } catch (error) {
      for (const fact of this.#pending.get(collection)?.facts ?? []) added.add(fact);
      this.#pending.set(collection, added);
      throw error;
    }
  }

  #directory(collection: string): string {
    return join(this.#options.path, collection);
  }

  #collections(): string[] {
    const names: string[] = [];
    try {
      for (const entry of Deno.readDirSync(this.#options.path)) {
        if (entry.isDirectory && !entry.name.startsWith(".") && entry.name !== SYSTEM_METADATA) names.push(entry.name);
      }
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return [];
      throw this.#error(`list collections in ${this.#options.path}`, error);
    }
    return names.sort();
  }

  /** Queries of a collection's index: the committed index with this backend's pending additions on top. */
  #view(collection: string): IndexQueries {
    const base = this.#base(collection);
    const added = this.#pending.get(collection);
    if (!added) return base;
    const cached = this.#cache.get(collection)!;
    if (cached.view?.added !== added) cached.view = { added, view: new PendingView(base, added) };
    return cached.view.view;
  }

  /**
   * The committed index of a collection, from the cache while the file is unchanged: its catalogue (one streaming
   * pass over the file), or the full model when the file is not in the streamed layout. A missing index is empty.
   */
  #base(collection: string): IndexCatalog | CollectionIndex {
    const path = join(this.#directory(collection), INDEX_FILE);
    const stamp = fileStamp(path) ?? ABSENT;
    const cached = this.#cache.get(collection);
    if (cached?.stamp === stamp) return cached.base;
    const base = stamp === ABSENT
      ? CollectionIndex.empty()
      : (this.#ioSync(`read ${path}`, () => IndexCatalog.open(path)) ??
        this.#parse(path));
    this.#forget(collection);
    this.#cache.set(collection, { stamp, base });
    return base;
  }

  /** Drops a collection's cached index (closing its file). */
  #forget(collection: string): void {
    const cached = this.#cache.get(collection);
    if (cached?.base instanceof IndexCatalog) cached.base.close();
    this.#cache.delete(collection);
  }

  /** The full model of the index at `path`. */
  #parse(path: string): CollectionIndex {
    return parseIndexText(this.#ioSync(`read ${path}`, () => Deno.readTextFileSync(path)), path);
  }

  /**
   * Read-modify-write of a collection's index under its lock, written atomically. Group commit: changes that
   * arrive while an update of the same collection waits for the lock join it, so parallel workers share one
   * rewrite of `index.json` instead of queueing one each (the rewrite costs time in proportion to the index).
   * Every caller's promise settles once the write holding its change is done.
   */
  #updateIndex(collection: string, change: IndexChange): Promise<void> {
    let batch = this.#batches.get(collection);
    if (!batch) {
      const created: IndexBatch = { changes: [], done: Promise.resolve() };
      created.done = this.#commit(collection, created);
      this.#batches.set(collection, created);
      batch = created;
    }
    batch.changes.push(change);
    return batch.done;
  }

  async #commit(collection: string, batch: IndexBatch): Promise<void> {
    const directory = this.#directory(collection);
    try {
      await this.#commitLocked(collection, batch, directory);
    } catch (error) {
      // A full or read-only filesystem fails the mkdir or the lock file's open: a StoreError naming the database
      // and the cause, like every other I/O failure here (a raw OS error ended the archiver as "unexpected").
      throw error instanceof ArchiverError ? error : this.#error(`update the index of ${directory}`, error);
    }
  }

  async #commitLocked(collection: string, batch: IndexBatch, directory: string): Promise<void> {
    Deno.mkdirSync(directory, { recursive: true });
    await withFileLock(join(directory, LOCK_FILE), this.#options.lockTimeoutMs, async () => {
      // From here on, new changes form the next batch.
      if (this.#batches.get(collection) === batch) this.#batches.delete(collection);
      const base = this.#base(collection);
      const path = join(directory, INDEX_FILE);
      try {
        if (base instanceof IndexCatalog && await this.#stream(collection, directory, base, batch.changes)) return;
        // An index not in the streamed layout: the full model (the next read catalogues the result).
        const index = base instanceof CollectionIndex ? base : this.#parse(path);
        for (const change of batch.changes) {
          if ("add" in change) { for (const fact of change.add) index.add(fact); }
          else for (const id of change.remove) index.remove(id);
        }
        this.#forget(collection);
        await writeFilesAtomic(
          directory,
          [{ name: INDEX_FILE, data: (write) => index.writeTo(write) }],
          this.#options.durable,
        );
      } catch (error) {
        this.#forget(collection);
        throw this.#error(`write ${path}`, error);
      }
    });
  }

  /**
   * A commit, streamed: the old file is rewritten into the new one with the changes applied, and the new file's
   * catalogue comes out of the same pass. Consecutive additions go in one pass and consecutive removals in one, so a
   * batch that mixes them (parallel workers' changes meeting at the lock) takes one pass per stretch of one kind, in
   * order. False when part of the file turns out not to be in the streamed layout (nothing of that pass written): the
   * caller then applies the whole batch through the full model, where re-applying a pass already written changes
   * nothing (adding and removing are idempotent).
   */
  async #stream(collection: string, directory: string, base: IndexCatalog, changes: IndexChange[]): Promise<boolean> {
    const path = join(directory, INDEX_FILE);
    let catalog = base;
    for (let at = 0; at < changes.length;) {
      const adding = "add" in changes[at];
      let end = at;
      while (end < changes.length && ("add" in changes[end]) === adding) end++;
      const stretch = changes.slice(at, end);
      at = end;
      let rewrite: (write: (chunk: Uint8Array) => void) => (file: Deno.FsFile) => IndexCatalog;
      if (adding) {
        const added = new IndexAdditions();
        for (const change of stretch) if ("add" in change) { for (const fact of change.add) added.add(fact); }
        rewrite = (write) => catalog.merge(added, write);
      } else {
        const removed = new Set(stretch.flatMap((change) => "remove" in change ? change.remove : []));
        rewrite = (write) => catalog.prune(removed, write);
      }
      let finish: ((file: Deno.FsFile) => IndexCatalog) | undefined;
      try {
        await writeFilesAtomic(
          directory,
          [{
            name: INDEX_FILE,
            data: (write) => {
              // The merge is synchronous: the heap governor's timer cannot run during it (core/heap.ts).
              let sinceCheck = 0;
              finish = rewrite((chunk) => {
                write(chunk);
                sinceCheck += chunk.length;
                if (sinceCheck >= HEAP_CHECK_BYTES) {
                  sinceCheck = 0;
                  heapCheckpoint();
                }
              });
            },
          }],
          this.#options.durable,
        );
      } catch (error) {
        if (error instanceof NotStreamable) return false;
        throw error;
      }
      const stamp = fileStamp(path);
      this.#forget(collection);
      catalog = finish!(Deno.openSync(path, { read: true }));
      this.#cache.set(collection, { stamp: stamp ?? ABSENT, base: catalog });
    }
    return true;
  }

  #readDocument(collection: string, id: string): StoredDocument {
    const file = this.#documentFile(collection, id);
    let text: string;
    try {
      text = Deno.readTextFileSync(file.path);
    } catch (error) {
      throw documentFileError(file, error);
    }
    return parseStoredDocument(text, { collection, id, source: file.path });
  }

  #documentFile(collection: string, id: string): DocumentFile {
    return { collection, id, path: this.#documentPath(collection, id), store: this.#options.uri };
  }

  #documentPath(collection: string, id: string): string {
    return join(this.#directory(collection), `${id}.json`);
  }

  #ioSync<T>(what: string, action: () => T): T {
    try {
      return action();
    } catch (error) {
      throw this.#error(what, error);
    }
  }

  async #io<T>(what: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      throw this.#error(what, error);
    }
  }

  #error(what: string, error: unknown): StoreError {
    if (error instanceof StoreError) return error;
    return new StoreError(`artdaqDB ${this.#options.uri}: cannot ${what}: ${describeError(error)}`, { cause: error });
  }
}

/**
 * Runs synchronous work behind the async `Backend` contract: a throw becomes a rejection. The filesystem work
 * here is a few small reads, which synchronous calls do far faster than round trips through the thread pool.
 */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Identity of a file's current content: inode, size and nanosecond mtime; null when absent. */
function fileStamp(path: string): string | null {
  try {
    const info = statSync(path, { bigint: true });
    return `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
  } catch {
    return null;
  }
}
