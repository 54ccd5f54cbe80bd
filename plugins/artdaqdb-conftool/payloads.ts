/**
 * Reuse of converted payloads: the first two members of a stored document, `document` (DB-JSON data and metadata)
 * and `comments`, are a function of the FHiCL text alone; the rest is bookkeeping (run, configuration, entity, id,
 * timestamps). Consecutive runs of one configuration carry byte-identical FHiCL files, so the import of a file whose
 * SHA-256 equals that of a file this store wrote earlier in the process copies that document's payload bytes instead
 * of parsing, converting and encoding the text again (BENCHMARKS.md round 13: a 12 MB run of repeated files ~0.8 s of
 * CPU → ~0.1 s).
 *
 * Nothing is kept in memory but where each payload lies ({@link PayloadSource}: a file, a length, the file's inode
 * and size) and the digest of its FHiCL (which also lets the export take a rendering it made of that FHiCL,
 * rendered.ts). A payload is taken only when that file is still the one written (same inode and size) and its bytes
 * begin and end as a payload does; anything else (the file removed, replaced, cut short) falls back to the
 * conversion, so a reuse never changes what is stored, only how fast.
 *
 * @module
 */
import { matchesAt } from "../../core/blob/bytes.ts";
import type { DbJsonTrees } from "../../core/fhicl/dbjson_bytes.ts";
import type { JsonObject } from "../../core/json/mod.ts";
import type { ArtdaqBytesWriter } from "../../core/json/stringify.ts";
import type { KeptRendering } from "./backend.ts";

/** Where the payload of a document written earlier lies: the first `length` bytes of the file `path`. */
export interface PayloadSource {
  path: string;
  /** Bytes of the `document` and `comments` members, from the file's first byte. */
  length: number;
  /** The file's inode and size right after it was written: a file replaced or changed since is not used. */
  ino: number;
  size: number;
}

const utf8 = new TextEncoder();
/** How a stored document's text begins: `{`, then the `document` member. */
const HEAD = utf8.encode('{\n"document" : {');
/** What follows a payload in the JsonWriter layout: the top-level `origin` member, the first of the bookkeeping. */
export const PAYLOAD_END: Uint8Array = utf8.encode(',\n"origin" : ');

/**
 * Writes `doc` (a stored document: `document`, `comments`, then the bookkeeping) as `writer.value(doc)` does and
 * returns the writer's position at the end of its payload. With `payload` the first two members are not written:
 * the caller has written a payload already (the bytes {@link readPayload} returned).
 */
export function writeStoredDocument(writer: ArtdaqBytesWriter, doc: JsonObject, payload = false): number {
  const flat = doc.flat;
  if (flat[0] !== "document" || flat[2] !== "comments") {
    throw new TypeError("a stored document begins with its document and comments members");
  }
  if (!payload) {
    writer.raw("{\n");
    member(writer, "document", flat[1]);
    writer.raw(",\n");
    member(writer, "comments", flat[3]);
  }
  const end = writer.position();
  for (let j = 4; j < flat.length; j += 2) {
    writer.raw(",\n");
    member(writer, flat[j] as string, flat[j + 1]);
  }
  writer.raw("\n}");
  return end;
}

const DATA = utf8.encode('\n"data" : ');
const METADATA = utf8.encode(',\n"metadata" : ');
const COMMENTS = utf8.encode(',\n"search" : [\n\n]\n},\n"comments" : ');

/**
 * Writes the payload of a stored document whose FHiCL was converted straight to bytes (`encodeDbJsonTrees`): what
 * {@link writeStoredDocument} writes of `document` (`data`, `metadata`, an empty `search`) and `comments`, to be
 * followed by `writeStoredDocument(writer, doc, true)`.
 */
export function writeConvertedPayload(writer: ArtdaqBytesWriter, trees: DbJsonTrees): void {
  writer.bytes(HEAD);
  writer.bytes(DATA);
  for (const part of trees.data) writer.bytes(part);
  writer.bytes(METADATA);
  for (const part of trees.metadata) writer.bytes(part);
  writer.bytes(COMMENTS);
  writer.bytes(trees.comments);
}

function member(writer: ArtdaqBytesWriter, key: string, value: JsonObject["flat"][number]): void {
  writer.string(key);
  writer.raw(" : ");
  writer.value(value);
}

/** The {@link PayloadSource} of the document just written to `path` with a payload of `length` bytes (null: none). */
export function payloadSource(path: string, length: number): PayloadSource | null {
  try {
    const info = Deno.statSync(path);
    return info.ino === null ? null : { path, length, ino: info.ino, size: info.size };
  } catch {
    return null;
  }
}

/** Largest read buffer kept from one reuse to the next. */
const KEPT_BUFFER = 4 << 20;
let buffer = new Uint8Array(0);

/**
 * The payload bytes of `source`, or null when the file is gone, is not the one written (inode or size differ), or
 * does not begin and end as a payload does. The bytes are a view of a buffer reused by the next call: consume them
 * at once.
 */
export function readPayload(source: PayloadSource): Uint8Array | null {
  const end = source.length + PAYLOAD_END.length;
  const into = buffer.length >= end ? buffer : new Uint8Array(end);
  if (into.length <= KEPT_BUFFER) buffer = into;
  return payloadIn(readWritten(source, 0, end, into), source.length);
}

function payloadIn(bytes: Uint8Array | null, length: number): Uint8Array | null {
  if (bytes === null || !matchesAt(bytes, HEAD, 0) || !matchesAt(bytes, PAYLOAD_END, length)) return null;
  return bytes.subarray(0, length);
}

/**
 * Bytes `from` to `to` of the file `source.path` (read into the start of `into` when given), if it is still the file
 * written (same inode and size); else null.
 */
export function readWritten(source: PayloadSource, from: number, to: number, into?: Uint8Array): Uint8Array | null {
  return readRange(source.path, from, to, into, (info) => info.ino === source.ino && info.size === source.size);
}

/**
 * Bytes `from` to `to` of the file `path` (read into the start of `into` when given), when the open file's `accept`
 * (default: any) says so and it has them all; else null.
 */
export function readRange(
  path: string,
  from: number,
  to: number,
  into?: Uint8Array,
  accept: (info: Deno.FileInfo) => boolean = () => true,
): Uint8Array | null {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch {
    return null;
  }
  try {
    const info = file.statSync();
    if (!accept(info) || from > to || to > info.size) return null;
    if (from > 0) file.seekSync(from, Deno.SeekMode.Start);
    const bytes = into ? into.subarray(0, to - from) : new Uint8Array(to - from);
    let read = 0;
    while (read < bytes.length) {
      const count = file.readSync(bytes.subarray(read));
      if (count === null) return null;
      read += count;
    }
    return bytes;
  } catch {
    return null;
  } finally {
    file.close();
  }
}

/** A payload this store wrote: the SHA-256 of its FHiCL, and where it lies. */
export interface WrittenPayload {
  sha256: string;
  source: PayloadSource;
  /**
   * Whether another document noted has the same FHiCL (as told by {@link PayloadSources.written}): what is made of
   * this one (the export's rendering) is worth keeping for the others.
   */
  shared?: boolean;
  /** Where the export's rendering of this FHiCL lies, made when it was converted (see {@link PayloadSources}). */
  rendering?: KeptRendering;
}

/**
 * The payloads this store wrote (main thread): by document, with the SHA-256 of their FHiCL (for the export, which
 * then reads only a document's bookkeeping when it has rendered that FHiCL lately, rendered.ts), and the newest one
 * by digest (for the import). Bounded: the oldest documents go first. A document about to be written or removed is
 * forgotten first, so no entry ever points at a file being changed.
 *
 * @example
 * ```ts
 * const payloads = new PayloadSources();
 * payloads.record(sha256, "RunHistory", id, source);
 * payloads.find(sha256); // source
 * payloads.written("RunHistory", id); // { sha256, source }
 * payloads.forget("RunHistory", id);
 * payloads.find(sha256); // undefined
 * ```
 */
export class PayloadSources {
  readonly #limit: number;
  readonly #documents = new Map<string, WrittenPayload>();
  /** The newest document (key of `#documents`) by digest. */
  readonly #bySha = new Map<string, string>();
  /** Documents noted by digest. */
  readonly #counts = new Map<string, number>();
  /** Digests a put in flight will write a payload of, and when that put ends. */
  readonly #pending = new Map<string, Promise<void>>();
  /** Renderings made at conversion, by digest, and the bytes of all those ever noted. */
  readonly #renderings = new Map<string, KeptRendering>();
  #renderingBytes = 0;
  readonly #renderingLimit: number;

  /**
   * At most `limit` documents (default 16,384: ~3 MB; 150 runs of 110 documents), and renderings made at conversion
   * of at most `renderingLimit` bytes in all (default 256 MiB: fifty runs of 12 MB; then no more are made).
   */
  constructor(limit = 16384, renderingLimit = 256 << 20) {
    this.#limit = limit;
    this.#renderingLimit = renderingLimit;
  }

  /** Whether a rendering of FHiCL of this digest is noted, or no more can be. */
  renderingNotWanted(sha256: string | undefined): boolean {
    return sha256 === undefined || this.#renderings.has(sha256) || this.#renderingBytes >= this.#renderingLimit;
  }

  /**
   * Notes where the export's rendering of FHiCL of the digest `sha256` lies, written by the conversion of a document
   * noted with {@link record}; forgotten when no noted document has that FHiCL any more. Its bytes stay where they
   * are until the store removes its renderings at close.
   */
  recordRendering(sha256: string, rendering: KeptRendering): void {
    if (!this.#counts.has(sha256) || this.#renderings.has(sha256)) return;
    this.#renderings.set(sha256, rendering);
    this.#renderingBytes += rendering.size;
  }

  /** Number of documents noted. */
  get size(): number {
    return this.#documents.size;
  }

  /** Where the payload of FHiCL with this digest lies, if this store wrote one. */
  find(sha256: string | undefined): PayloadSource | undefined {
    if (sha256 === undefined) return undefined;
    const document = this.#bySha.get(sha256);
    return document === undefined ? undefined : this.#documents.get(document)?.source;
  }

  /** The payload this store wrote as the document `id` in `collection`, if it is noted. */
  written(collection: string, id: string): WrittenPayload | undefined {
    const entry = this.#documents.get(`${collection}\0${id}`);
    if (entry === undefined) return undefined;
    const rendering = this.#renderings.get(entry.sha256);
    return { ...entry, shared: (this.#counts.get(entry.sha256) ?? 0) > 1, ...(rendering ? { rendering } : {}) };
  }

  /** Notes the payload of the document `id` in `collection`, whose FHiCL has the digest `sha256`. */
  record(sha256: string, collection: string, id: string, source: PayloadSource): void {
    const document = `${collection}\0${id}`;
    this.#drop(document);
    this.#documents.set(document, { sha256, source });
    this.#bySha.set(sha256, document);
    this.#counts.set(sha256, (this.#counts.get(sha256) ?? 0) + 1);
    if (this.#documents.size > this.#limit) this.#drop(this.#documents.keys().next().value!);
  }

  /**
   * Waits until the puts in flight that will write payloads of these digests (those without a source yet) have
   * ended, then notes this put's own: a later put waits for this one in turn (puts only ever wait for puts that noted
   * theirs before, so none waits for another in a circle). The returned function ends this put's notes; call it
   * when the put has ended, however it ended. Two runs of one configuration in flight at once: the second takes the
   * first's payloads instead of converting the same files beside it.
   */
  async inFlight(digests: ReadonlyArray<string | undefined>): Promise<() => void> {
    const awaited = new Set<Promise<void>>();
    for (const digest of digests) {
      const pending = digest === undefined || this.#bySha.has(digest) ? undefined : this.#pending.get(digest);
      if (pending) awaited.add(pending);
    }
    if (awaited.size > 0) await Promise.all(awaited);
    let end!: () => void;
    const ended = new Promise<void>((resolve) => (end = resolve));
    const noted: string[] = [];
    for (const digest of digests) {
      if (digest === undefined || this.#bySha.has(digest) || this.#pending.has(digest)) continue;
      this.#pending.set(digest, ended);
      noted.push(digest);
    }
    return () => {
      for (const digest of noted) if (this.#pending.get(digest) === ended) this.#pending.delete(digest);
      end();
    };
  }

  /** Drops the entry of the document `id` in `collection` (it is about to be written again or removed). */
  forget(collection: string, id: string): void {
    this.#drop(`${collection}\0${id}`);
  }

  #drop(document: string): void {
    const entry = this.#documents.get(document);
    if (entry === undefined) return;
    this.#documents.delete(document);
    if (this.#bySha.get(entry.sha256) === document) this.#bySha.delete(entry.sha256);
    const count = (this.#counts.get(entry.sha256) ?? 1) - 1;
    if (count > 0) this.#counts.set(entry.sha256, count);
    else {
      this.#counts.delete(entry.sha256);
      this.#renderings.delete(entry.sha256);
    }
  }
}
