/**
 * Persistence of the embedded UconDB-compatible server: one directory per folder, an append-only JSON-lines
 * journal of versions (replayed into memory at start, so no request ever scans the disk) and one file per
 * de-duplicated blob.
 *
 * ```
 * <dir>/server.lock                          exclusive lock: one server per directory
 * <dir>/server.json                          {url, pid} of the listening holder (published.ts)
 * <dir>/<ns>.<folder>/journal.jsonl          {"op":"put",...} | {"op":"tag",...} | {"op":"drop"}
 * <dir>/<ns>.<folder>/blobs/<key/1000>/<key> blob bytes (data_key = key)
 * ```
 *
 * A put's blob is taken whole when small, or streamed into a file of its own under `blobs/` as the body arrives (a
 * large one: summed as it goes, never held whole). It is synced and renamed to its data key (or dropped when identical
 * bytes are stored already), then one journal line is appended and synced: a crash leaves either the whole version or
 * an unreferenced file (received files are removed when the folder is next opened, a blob file is overwritten by the
 * next put), never a version without its data. A torn last journal line (crash mid-append) is dropped at start.
 *
 * @module
 */
import { join } from "node:path";
import { Adler32 } from "../../core/blob/adler32.ts";
import { bytesEqual, concatBytes, releaseBytes } from "../../core/blob/bytes.ts";
import { StoreError } from "../../core/errors.ts";

/** One version as stored. */
export interface StoredVersion {
  /** Version id (folder-wide sequence). */
  id: number;
  /** Object name. */
  object: string;
  /** Version key, null when none or moved away. */
  key: string | null;
  /** Validity time. */
  tv: number;
  /** Record time, float seconds since the epoch. */
  tr: number;
  /** Tags. */
  tags: string[];
  /** Blob file key (`data_key`). */
  dataKey: number;
  /** Blob size in bytes. */
  size: number;
  /** Adler-32 of the blob. */
  adler32: number;
}

type JournalRecord =
  | { op: "put"; version: StoredVersion }
  | { op: "tag"; id: number; tag: string }
  | { op: "drop" };

/**
 * The records of complete journal lines (`lines[i]` is line `first + i` of `path`, for messages). One native parse
 * of the lines as a JSON array (a 100,000-run journal: ~0.1 s instead of ~1 s line by line); when that fails, line by
 * line, to name the corrupt line.
 */
function parseJournal(lines: readonly string[], path: string, first: number): JournalRecord[] {
  const present = lines.filter((line) => line !== "");
  try {
    const records = JSON.parse(`[${present.join(",")}]`);
    // A line holding two values ("{...},{...}") would parse as two records: only a count match of records that
    // are objects with an `op` is trusted; anything else is checked line by line.
    if (
      Array.isArray(records) && records.length === present.length &&
      records.every((r) => typeof r === "object" && r !== null && !Array.isArray(r) && typeof r.op === "string")
    ) return records as JournalRecord[];
  } catch {
    // fall through: find and name the bad line
  }
  const records: JournalRecord[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === "") continue;
    let record: unknown;
    try {
      record = JSON.parse(lines[i]);
    } catch { /* below */ }
    if (typeof record !== "object" || record === null || typeof (record as { op?: unknown }).op !== "string") {
      throw new StoreError(`${path}:${first + i}: corrupt journal line; restore the file from a backup`);
    }
    records.push(record as JournalRecord);
  }
  return records;
}

/**
 * A blob received, not yet a version: held in memory (a small body, `FolderStore.received`) or written into a file
 * of its folder as it arrived (`FolderStore.receive`). `FolderStore.putReceived` makes it a version,
 * `FolderStore.discard` drops it.
 */
export type ReceivedBlob =
  | { readonly bytes: Uint8Array; readonly size: number; readonly adler32: number }
  | { readonly path: string; readonly size: number; readonly adler32: number };

/** A stored blob being read: its size and a stream of its bytes ({@link FolderStore.openBlob}). */
export interface BlobFile {
  size: number;
  stream: ReadableStream<Uint8Array>;
}

/** Name prefix of received blob files under `blobs/` (removed when the folder is opened: a crash left them). */
const RECEIVED_PREFIX = "received-";

/** Largest write of a received body (its chunks are gathered up to this size). */
const RECEIVE_WRITE_BYTES = 1 << 20;

/** Size of the pieces two blob files are compared in. */
const COMPARE_PIECE_BYTES = 1 << 20;

/** Size of the pieces the journal is replayed in: the whole journal is never held (a 100,000-run one is 17 MB). */
const REPLAY_PIECE_BYTES = 1 << 20;

/** A blob's de-duplication number: its adler32 and its size (modulo 2^21) in one safe integer. */
function blobNumber(checksum: number, size: number): number {
  return checksum * 2 ** 21 + size % 2 ** 21;
}

/** The name the server uses internally for a folder: `ns.folder` (default namespace `public`). */
export function qualifiedFolderName(name: string, namespace = "public"): string {
  return name.includes(".") ? name : `${namespace}.${name}`;
}

/** Whether `name` is a valid folder name: letters, digits and `_`, with at most one `.`. */
export function isValidFolderName(name: string): boolean {
  return /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)?$/.test(name);
}

const encoder = new TextEncoder();

/** Runs async sections one after another (puts, tags and drops of one folder). */
class Mutex {
  #tail: Promise<unknown> = Promise.resolve();
  run<T>(section: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(section);
    this.#tail = result.catch(() => {});
    return result;
  }
}

/** One folder: its versions in memory, its journal and blobs on disk. */
export class FolderStore {
  /** Qualified folder name (`public.run_records`). */
  readonly name: string;
  readonly #dir: string;
  readonly #durable: boolean;
  /** Versions by id (ids are dense from 1: an array, not a map; undefined for an id not used). */
  #versions: Array<StoredVersion | undefined> = [];
  /** object → key → version id (the unique index on (object, key)). */
  readonly #keys = new Map<string, Map<string, number>>();
  /** object → its version ids, ascending (a version is never removed but by a drop, which clears everything). */
  readonly #byObject = new Map<string, number[]>();
  /**
   * Data keys by a number made of the blob's adler32 and size (equal blobs share it; a shared one is told apart by
   * comparing bytes), for de-duplication: one data key, or several when they share the number. A number and a data
   * key per blob, not a string and an array (a folder of 100,000 runs: ~2 MB instead of ~9 MB).
   */
  readonly #blobs = new Map<number, number | number[]>();
  readonly #mutex = new Mutex();
  #journal: Deno.FsFile | null = null;
  #nextId = 1;
  #nextDataKey = 1;

  private constructor(dir: string, name: string, durable: boolean) {
    this.#dir = dir;
    this.name = name;
    this.#durable = durable;
  }

  /** Open (creating when `create`) the folder stored in `dir`, replaying its journal. */
  static async open(dir: string, name: string, options: { durable: boolean }): Promise<FolderStore> {
    const store = new FolderStore(dir, name, options.durable);
    await Deno.mkdir(join(dir, "blobs"), { recursive: true });
    for await (const entry of Deno.readDir(join(dir, "blobs"))) {
      // Bodies a crashed server was receiving (no version refers to them).
      if (entry.isFile && entry.name.startsWith(RECEIVED_PREFIX)) await Deno.remove(join(dir, "blobs", entry.name));
    }
    await store.#replay();
    store.#journal = await Deno.open(join(dir, "journal.jsonl"), { append: true, create: true });
    return store;
  }

  /**
   * Replays the journal a piece at a time: the complete lines of each piece are parsed and applied, the records
   * dropped; memory holds one piece and the versions, never the journal's text. A torn last line (no newline: a
   * crash mid-append) is cut off the file.
   */
  async #replay(): Promise<void> {
    const path = join(this.#dir, "journal.jsonl");
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { read: true });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
    const decoder = new TextDecoder();
    let carry = new Uint8Array(0);
    /** Bytes of the file up to the end of the last complete line. */
    let complete = 0;
    let line = 1;
    try {
      const piece = new Uint8Array(REPLAY_PIECE_BYTES);
      for (;;) {
        const read = await file.read(piece);
        if (read === null) break;
        const bytes = carry.length === 0 ? piece.subarray(0, read) : concatBytes([carry, piece.subarray(0, read)]);
        const end = bytes.lastIndexOf(0x0a) + 1;
        if (end > 0) {
          const lines = decoder.decode(bytes.subarray(0, end - 1)).split("\n");
          for (const record of parseJournal(lines, path, line)) this.#apply(record);
          line += lines.length;
          complete += end;
        }
        carry = bytes.slice(end);
      }
    } finally {
      file.close();
    }
    // A crash during an append left a partial line: that put never finished, drop it.
    if (carry.length > 0) await Deno.truncate(path, complete);
  }

  #apply(record: JournalRecord): void {
    if (record.op === "put") {
      const version = record.version;
      if (version.key !== null) {
        const keys = this.#keysOf(version.object);
        const previous = keys.get(version.key);
        if (previous !== undefined) this.#versions[previous]!.key = null;
        keys.set(version.key, version.id);
      }
      // A tag equal to the key (every run the archiver stores) shares the key's string.
      version.tags = version.tags.map((tag) => tag === version.key ? version.key : tag);
      this.#versions[version.id] = version;
      let ids = this.#byObject.get(version.object);
      if (!ids) this.#byObject.set(version.object, ids = []);
      // Ids grow along the journal: appended in order (a line replayed twice is not added again).
      if (ids.length === 0 || ids[ids.length - 1] < version.id) ids.push(version.id);
      else if (!ids.includes(version.id)) {
        ids.push(version.id);
        ids.sort((a, b) => a - b);
      }
      this.#nextId = Math.max(this.#nextId, version.id + 1);
      this.#rememberBlob(version.adler32, version.size, version.dataKey);
    } else if (record.op === "tag") {
      const version = this.#versions[record.id];
      if (version && !version.tags.includes(record.tag)) version.tags.push(record.tag);
    } else if (record.op === "drop") {
      // Like the real server: versions and tags restart, the blob table (and de-duplication onto it) stays.
      this.#versions = [];
      this.#keys.clear();
      this.#byObject.clear();
      this.#nextId = 1;
    }
  }

  #keysOf(object: string): Map<string, number> {
    let keys = this.#keys.get(object);
    if (!keys) this.#keys.set(object, keys = new Map());
    return keys;
  }

  #rememberBlob(checksum: number, size: number, dataKey: number): void {
    const number = blobNumber(checksum, size);
    const keys = this.#blobs.get(number);
    if (keys === undefined) this.#blobs.set(number, dataKey);
    else if (typeof keys === "number") {
      if (keys !== dataKey) this.#blobs.set(number, [keys, dataKey]);
    } else if (!keys.includes(dataKey)) keys.push(dataKey);
    this.#nextDataKey = Math.max(this.#nextDataKey, dataKey + 1);
  }

  /** All versions (any order). */
  versions(): StoredVersion[] {
    return this.#versions.filter((version) => version !== undefined);
  }

  /** Versions of one object. */
  versionsOf(object: string): StoredVersion[] {
    return (this.#byObject.get(object) ?? []).map((id) => this.#versions[id]!);
  }

  /** Whether `object` has at least one version. */
  hasObject(object: string): boolean {
    return (this.#byObject.get(object)?.length ?? 0) > 0;
  }

  /** Names of the objects that have versions, sorted. */
  objects(): string[] {
    return [...this.#byObject.keys()].sort();
  }

  /** The version of `object` holding `key`, if any (index lookup). */
  byKey(object: string, key: string): StoredVersion | undefined {
    const id = this.#keys.get(object)?.get(key);
    return id === undefined ? undefined : this.#versions[id];
  }

  /** The version with `id`, if any. */
  byId(id: number): StoredVersion | undefined {
    return Number.isSafeInteger(id) && id > 0 ? this.#versions[id] : undefined;
  }

  /**
   * The blob stored under `dataKey` as a stream of its file, with its size, or null: what a download answers, so
   * that a 12 MB blob is sent as it is read rather than held (the stream closes the file at its end or cancel).
   */
  async openBlob(dataKey: number): Promise<BlobFile | null> {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(this.#blobPath(dataKey), { read: true });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    }
    try {
      return { size: (await file.stat()).size, stream: file.readable };
    } catch (error) {
      file.close();
      throw error;
    }
  }

  /** The bytes stored under `dataKey`, or null. */
  async readBlob(dataKey: number): Promise<Uint8Array<ArrayBuffer> | null> {
    try {
      return await Deno.readFile(this.#blobPath(dataKey));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    }
  }

  /**
   * Store a new version. With a `key` already held by a version of `object`: throws `KeyExists` unless
   * `override`, which moves the key to the new version.
   */
  async put(
    object: string,
    data: Uint8Array,
    options: { key: string | null; override: boolean; tags: string[]; tv: number },
  ): Promise<StoredVersion> {
    return await this.putReceived(object, this.received(data), options);
  }

  /** A blob already in memory, for {@link putReceived}. */
  received(bytes: Uint8Array): ReceivedBlob {
    return { bytes, size: bytes.length, adler32: new Adler32().update(bytes).value() };
  }

  /**
   * Writes a blob arriving in `chunks` to a new file of this folder, summing it as it comes (about a megabyte in
   * memory at a time). Hand the result to {@link putReceived} (which syncs it, when the folder is durable, only if it
   * becomes a blob of its own) or {@link discard}. A failure removes the file.
   */
  async receive(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<ReceivedBlob> {
    const path = join(this.#dir, "blobs", `${RECEIVED_PREFIX}${crypto.randomUUID()}`);
    const sum = new Adler32();
    let size = 0;
    // The network's chunks (16–64 kB) are gathered into writes of about RECEIVE_WRITE_BYTES: a write per chunk cost
    // a 1.4 MB put ~4 ms more (BENCHMARKS.md round 9). A body that arrives in one chunk is written as it is.
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    try {
      using file = await Deno.open(path, { write: true, createNew: true });
      const flush = async () => {
        if (pending.length > 0) {
          const joined = pending.length === 1 ? pending[0] : concatBytes(pending);
          await writeAll(file, joined);
          // Written: freed now. This thread's heap barely grows while it receives, so the buffers would otherwise
          // wait for a collection that V8 makes only after ~64 MB of them (BENCHMARKS.md round 10).
          releaseBytes(joined);
          for (const chunk of pending) releaseBytes(chunk);
        }
        pending = [];
        pendingBytes = 0;
      };
      for await (const chunk of chunks) {
        sum.update(chunk);
        size += chunk.length;
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= RECEIVE_WRITE_BYTES) await flush();
      }
      await flush();
    } catch (error) {
      await Deno.remove(path).catch(() => {});
      throw error;
    }
    return { path, size, adler32: sum.value() };
  }

  /** Drops a received blob that will not become a version (its file, if it has one). */
  async discard(received: ReceivedBlob): Promise<void> {
    if (!("path" in received)) return;
    await Deno.remove(received.path).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }

  /**
   * Makes a received blob a new version (see {@link put}). Identical bytes already stored are shared (a received
   * file is removed); otherwise the blob (its received file, or its bytes written to a temporary file) is synced and
   * renamed to a new data key. On `KeyExists` or another failure a received file is removed.
   */
  putReceived(
    object: string,
    received: ReceivedBlob,
    options: { key: string | null; override: boolean; tags: string[]; tv: number },
  ): Promise<StoredVersion> {
    return this.#mutex.run(async () => {
      let dataKey: number;
      try {
        if (options.key !== null && !options.override && this.byKey(object, options.key)) {
          throw new KeyExists(object, options.key);
        }
        dataKey = await this.#storeBlob(received);
      } catch (error) {
        await this.discard(received);
        throw error;
      }
      const version: StoredVersion = {
        id: this.#nextId,
        object,
        key: options.key,
        tv: options.tv,
        tr: Date.now() / 1000,
        tags: [...new Set(options.tags)],
        dataKey,
        size: received.size,
        adler32: received.adler32,
      };
      await this.#append({ op: "put", version });
      this.#apply({ op: "put", version });
      return version;
    });
  }

  /** Add `tag` to version `id`. */
  tag(id: number, tag: string): Promise<void> {
    return this.#mutex.run(async () => {
      await this.#append({ op: "tag", id, tag });
      this.#apply({ op: "tag", id, tag });
    });
  }

  /** Forget every version (`create_folder&drop=yes`). */
  drop(): Promise<void> {
    return this.#mutex.run(async () => {
      await this.#append({ op: "drop" });
      this.#apply({ op: "drop" });
    });
  }

  /**
   * The data key of identical bytes already stored (the received file is removed), or a new one that the received
   * file is renamed to.
   */
  async #storeBlob(received: ReceivedBlob): Promise<number> {
    for (const candidate of [this.#blobs.get(blobNumber(received.adler32, received.size)) ?? []].flat()) {
      let same: boolean;
      if ("bytes" in received) {
        const stored = await this.readBlob(candidate);
        same = stored !== null && bytesEqual(stored, received.bytes);
      } else same = await filesEqual(this.#blobPath(candidate), received.path);
      if (same) {
        await this.discard(received);
        return candidate;
      }
    }
    const dataKey = this.#nextDataKey++;
    const path = this.#blobPath(dataKey);
    await Deno.mkdir(join(path, ".."), { recursive: true });
    const source = "bytes" in received ? `${path}.tmp` : received.path;
    if ("bytes" in received) {
      using file = await Deno.open(source, { write: true, create: true, truncate: true });
      await writeAll(file, received.bytes);
      if (this.#durable) await file.syncData();
    } else if (this.#durable) {
      using file = await Deno.open(source, { write: true });
      await file.syncData();
    }
    await Deno.rename(source, path);
    return dataKey;
  }

  async #append(record: JournalRecord): Promise<void> {
    if (!this.#journal) throw new StoreError(`folder ${this.name} is closed`);
    await writeAll(this.#journal, encoder.encode(JSON.stringify(record) + "\n"));
    if (this.#durable) await this.#journal.syncData();
  }

  #blobPath(dataKey: number): string {
    return join(this.#dir, "blobs", String(Math.floor(dataKey / 1000)), String(dataKey));
  }

  /** Wait for pending writes and close the journal. */
  async close(): Promise<void> {
    await this.#mutex.run(() => Promise.resolve());
    this.#journal?.close();
    this.#journal = null;
  }
}

/** Whether two files hold the same bytes (false when either is missing), compared a piece at a time. */
async function filesEqual(a: string, b: string): Promise<boolean> {
  let first: Deno.FsFile, second: Deno.FsFile;
  try {
    first = await Deno.open(a, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
  try {
    second = await Deno.open(b, { read: true });
  } catch (error) {
    first.close();
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
  try {
    const size = (await first.stat()).size;
    if (size !== (await second.stat()).size) return false;
    const piece = Math.max(1, Math.min(COMPARE_PIECE_BYTES, size));
    const x = new Uint8Array(piece);
    const y = new Uint8Array(piece);
    for (;;) {
      const n = await readFull(first, x);
      const m = await readFull(second, y);
      if (n !== m) return false;
      if (n === 0) return true;
      if (!bytesEqual(x.subarray(0, n), y.subarray(0, n))) return false;
    }
  } finally {
    first.close();
    second.close();
  }
}

/** Reads until `buffer` is full or the file ends; the number of bytes read. */
async function readFull(file: Deno.FsFile, buffer: Uint8Array): Promise<number> {
  let filled = 0;
  while (filled < buffer.length) {
    const read = await file.read(buffer.subarray(filled));
    if (read === null) break;
    filled += read;
  }
  return filled;
}

/** A put with a key the object already has. */
export class KeyExists extends Error {
  /** The refused put's object and key. */
  constructor(readonly object: string, readonly key: string) {
    super(`Version of object ${object} with key ${key} already exists`);
  }
}

/** The directory's lock is held by another server (another process, or another open in this one). */
export class DirectoryLockedError extends StoreError {}

/**
 * Every folder of one server directory, with the directory's lock held. A folder is opened (its journal replayed)
 * on its first use, not when the directory is opened: an invocation that never touches the sink (an
 * `--incremental` with nothing new) does not pay for replaying a 100,000-run journal (16 MB, ~0.3 s).
 */
export class Repository {
  readonly #dir: string;
  readonly #durable: boolean;
  /** Every folder of the directory, opened or not. */
  readonly #names = new Set<string>();
  /** Folders opened (or being opened) so far. */
  readonly #open = new Map<string, Promise<FolderStore>>();
  readonly #lock: Deno.FsFile;
  readonly #creating = new Mutex();

  private constructor(dir: string, durable: boolean, lock: Deno.FsFile) {
    this.#dir = dir;
    this.#durable = durable;
    this.#lock = lock;
  }

  /** Open the server directory (created when missing); throws `DirectoryLockedError` when another server holds it. */
  static async open(dir: string, options: { durable?: boolean } = {}): Promise<Repository> {
    await Deno.mkdir(dir, { recursive: true });
    const lock = await Deno.open(join(dir, "server.lock"), { read: true, write: true, create: true });
    if (!(await lock.tryLock(true))) {
      lock.close();
      throw new DirectoryLockedError(
        `${dir} is used by another UconDB-compatible server; stop it or choose another --dir`,
      );
    }
    const repository = new Repository(dir, options.durable ?? true, lock);
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isDirectory && isValidFolderName(entry.name) && entry.name.includes(".")) {
        repository.#names.add(entry.name);
      }
    }
    return repository;
  }

  /** Qualified names of all folders. */
  folderNames(): string[] {
    return [...this.#names].sort();
  }

  /** The folder with this qualified name (opened on first use), if it exists. */
  folder(qualifiedName: string): Promise<FolderStore | undefined> {
    if (!this.#names.has(qualifiedName)) return Promise.resolve(undefined);
    return this.#openFolder(qualifiedName);
  }

  /** The folder with this qualified name, created when missing (idempotent). */
  createFolder(qualifiedName: string): Promise<FolderStore> {
    return this.#creating.run(() => {
      this.#names.add(qualifiedName);
      return this.#openFolder(qualifiedName);
    });
  }

  /**
   * Makes sure the folder exists without opening it (a server's configured folders at start): a missing one is
   * created (empty, so opening it costs nothing), an existing one is opened on first use.
   */
  async declareFolder(qualifiedName: string): Promise<void> {
    if (this.#names.has(qualifiedName)) return;
    await this.createFolder(qualifiedName);
  }

  /** The server directory. */
  get dir(): string {
    return this.#dir;
  }

  /** Close every opened folder and release the directory lock. */
  async close(): Promise<void> {
    for (const opening of this.#open.values()) {
      const folder = await opening.catch(() => null);
      await folder?.close();
    }
    this.#lock.close();
  }

  /** Opens a folder once; a failed open (e.g. a corrupt journal) is retried by the next use. */
  #openFolder(qualifiedName: string): Promise<FolderStore> {
    let opening = this.#open.get(qualifiedName);
    if (!opening) {
      opening = FolderStore.open(join(this.#dir, qualifiedName), qualifiedName, { durable: this.#durable });
      this.#open.set(qualifiedName, opening);
      opening.catch(() => {
        if (this.#open.get(qualifiedName) === opening) this.#open.delete(qualifiedName);
      });
    }
    return opening;
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await file.write(bytes.subarray(offset));
}
