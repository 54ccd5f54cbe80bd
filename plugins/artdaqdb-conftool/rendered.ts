/**
 * The export's renderings by payload: the FHiCL a stored document exports is a function of its payload alone (the
 * `document` and `comments` members, payloads.ts), and consecutive runs of one configuration store byte-identical
 * payloads. A thread keeps the FHiCL it rendered lately under the SHA-256 of the payload's bytes, and a document
 * whose payload has that digest takes it again: only its bookkeeping (after the payload, ~1.5 kB) is parsed. What is
 * kept is bounded in bytes; a document whose payload cannot be told apart (no `"origin"` member where the layout puts
 * it) or that is not FHiCL is read whole as before.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { releaseBytes, utf8Text } from "../../core/blob/bytes.ts";
import { JsonObject, parseOrdered } from "../../core/json/mod.ts";
import { type DocumentFacts, documentFacts } from "./document.ts";
import type { ExportRead } from "./export.ts";
import type { DocumentFile } from "./fs/document_file.ts";
import type { WrittenPayload } from "./payloads.ts";

/** What ends a payload in the JsonWriter layout: the top-level `origin` member, the first of the bookkeeping. */
const encoder = new TextEncoder();
const ORIGIN = encoder.encode(',\n"origin" : ');
/** The bookkeeping is searched for in the last bytes of a document only. */
const TAIL_LIMIT = 64 << 10;

/**
 * Offset of the payload's end in a stored document's bytes (where `,\n"origin" : ` begins), or -1. Searched from the
 * end: the bookkeeping holds no `origin` key, a FHiCL table in the payload may.
 *
 * @example
 * ```ts
 * payloadEnd(new TextEncoder().encode('{\n"document" : {\n\n},\n"comments" : [\n\n],\n"origin" : {\n\n}\n}')); // 36
 * ```
 */
export function payloadEnd(bytes: Uint8Array): number {
  const last = bytes.length - ORIGIN.length;
  const stop = Math.max(0, bytes.length - TAIL_LIMIT);
  outer: for (let i = last; i >= stop; i--) {
    if (bytes[i] !== 0x2c) continue;
    for (let j = 1; j < ORIGIN.length; j++) if (bytes[i + j] !== ORIGIN[j]) continue outer;
    return i;
  }
  return -1;
}

/** FHiCL rendered lately, by the SHA-256 of the payload it was rendered from; bounded by its texts' length. */
export class RenderedPayloads {
  readonly #limit: number;
  /** UTF-8 of each rendering: flat bytes outside the JavaScript heap (a rendered text may be a rope of many parts). */
  readonly #texts = new Map<string, Uint8Array>();
  #length = 0;

  /** At most `limit` bytes of rendered FHiCL (default 8 MiB). */
  constructor(limit = 8 << 20) {
    this.#limit = limit;
  }

  /** Bytes held. */
  get length(): number {
    return this.#length;
  }

  /**
   * The document `bytes` read for the export: through the rendering kept for its payload when there is one (the
   * bookkeeping parsed alone), else by `readWhole` of its text, whose FHiCL rendering is then kept.
   */
  read(bytes: Uint8Array, readWhole: (text: string) => ExportRead): ExportRead {
    const end = payloadEnd(bytes);
    if (end < 0) return readWhole(utf8Text(bytes));
    const digest = "p" + createHash("sha256").update(bytes.subarray(0, end)).digest("hex");
    const kept = this.#texts.get(digest);
    if (kept !== undefined) {
      const facts = bookkeepingFacts(bytes.subarray(end + 2));
      if (facts?.format === "fhicl") return this.#taken(digest, kept, facts);
    }
    return this.#keeping(digest, readWhole(utf8Text(bytes)));
  }

  /**
   * `file` read for the export when this store wrote it with `payload` (the SHA-256 of its FHiCL and where the payload
   * lies): with a rendering of that FHiCL kept, only the bookkeeping after the payload is read (no payload read, no
   * digest computed); else the whole file, whose rendering is then kept under the FHiCL's digest when other documents
   * have that FHiCL (`payload.shared`: a configuration's first run is kept, a unique document is not). Null when the file
   * is not the one written (another inode or size, or no bookkeeping where its payload ended) or could not be read,
   * and for a kept rendering whose document is not FHiCL: the caller reads it as any other.
   */
  readKnown(file: DocumentFile, payload: WrittenPayload, readWhole: (text: string) => ExportRead): ExportRead | null {
    const { source } = payload;
    const key = "f" + payload.sha256;
    const kept = this.#texts.get(key);
    const from = kept !== undefined ? source.length : 0;
    const bytes = readWritten(file.path, source.ino, source.size, from);
    if (bytes === null || !startsAt(bytes, source.length - from, ORIGIN)) return null;
    if (kept !== undefined) {
      const facts = bookkeepingFacts(bytes.subarray(source.length - from + 2));
      return facts?.format === "fhicl" ? this.#taken(key, kept, facts) : null;
    }
    const read = readWhole(utf8Text(bytes));
    releaseBytes(bytes); // decoded: freed now
    return payload.shared ? this.#keeping(key, read) : read;
  }

  /** A document read through the rendering kept under `key` (now the most recently used). */
  #taken(key: string, kept: Uint8Array, facts: DocumentFacts): ExportRead {
    this.#texts.delete(key);
    this.#texts.set(key, kept);
    return { facts, render: () => utf8Text(kept) };
  }

  /** `read`, whose FHiCL rendering is kept under `key` when it is made. */
  #keeping(key: string, read: ExportRead): ExportRead {
    if (read.facts.format !== "fhicl") return read;
    return {
      facts: read.facts,
      render: () => {
        const text = read.render();
        this.#keep(key, text);
        return text;
      },
    };
  }

  #keep(digest: string, text: string): void {
    if (text.length > this.#limit / 4 || this.#texts.has(digest)) return;
    const bytes = encoder.encode(text);
    this.#texts.set(digest, bytes);
    this.#length += bytes.length;
    for (const [oldest, old] of this.#texts) {
      if (this.#length <= this.#limit) break;
      this.#texts.delete(oldest);
      this.#length -= old.length;
    }
  }
}

/** Facts of a document's bookkeeping members (`"origin" : …` to the document's end), or null when unreadable. */
function bookkeepingFacts(tail: Uint8Array) {
  try {
    const doc = parseOrdered("{\n" + utf8Text(tail), { allowTrailing: true });
    return doc instanceof JsonObject ? documentFacts(doc) : null;
  } catch {
    return null;
  }
}

/** Bytes `from` to the end of the file at `path`, if it is still the file of that inode and size; else null. */
function readWritten(path: string, ino: number, size: number, from: number): Uint8Array | null {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch {
    return null;
  }
  try {
    const info = file.statSync();
    if (info.ino !== ino || info.size !== size || from > size) return null;
    if (from > 0) file.seekSync(from, Deno.SeekMode.Start);
    const bytes = new Uint8Array(size - from);
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

function startsAt(bytes: Uint8Array, at: number, expected: Uint8Array): boolean {
  if (at < 0) return false;
  for (let i = 0; i < expected.length; i++) if (bytes[at + i] !== expected[i]) return false;
  return true;
}
