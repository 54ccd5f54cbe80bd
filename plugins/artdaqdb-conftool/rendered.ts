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
import { matchesAt, releaseBytes, utf8Text } from "../../core/blob/bytes.ts";
import { JsonObject, parseOrdered } from "../../core/json/mod.ts";
import { type DocumentFacts, documentFacts } from "./document.ts";
import type { ExportRead } from "./export.ts";
import { PAYLOAD_END, readRange, readWritten, type WrittenPayload } from "./payloads.ts";
import { Lru } from "../../core/lru.ts";

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
  const stop = Math.max(0, bytes.length - TAIL_LIMIT);
  for (let i = bytes.length - PAYLOAD_END.length; i >= stop; i--) {
    if (bytes[i] === 0x2c && matchesAt(bytes, PAYLOAD_END, i)) return i;
  }
  return -1;
}

/**
 * FHiCL rendered lately, by the SHA-256 of the payload it was rendered from, or of the FHiCL of a document this store
 * wrote ({@link RenderedPayloads.readKnown}); bounded in bytes, the least recently used dropped first.
 */
export class RenderedPayloads {
  /** UTF-8 of each rendering: flat bytes outside the JavaScript heap (a rendered text may be a rope of many parts). */
  readonly #texts: Lru<string, Uint8Array>;

  /** At most `limit` bytes of rendered FHiCL (default 8 MiB). */
  constructor(limit = 8 << 20) {
    this.#texts = new Lru(Infinity, limit);
  }

  /** Bytes held. */
  get length(): number {
    return this.#texts.weight;
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
      if (facts?.format === "fhicl") return taken(kept, facts);
    }
    return this.#keeping(digest, readWhole(utf8Text(bytes)));
  }

  /**
   * The file of `payload` (a document this store wrote: the SHA-256 of its FHiCL and where the payload lies) read for
   * the export: with a rendering of that FHiCL kept, only the bookkeeping after the payload is read (no payload read,
   * no digest computed); else the whole file, whose rendering is then kept under the FHiCL's digest when other
   * documents have that FHiCL (`payload.shared`: a configuration's first run is kept, a unique document is not). Null
   * when the file is not the one written (another inode or size, or no bookkeeping where its payload ended) or could
   * not be read, and for a kept rendering whose document is not FHiCL: the caller reads it as any other.
   */
  readKnown(payload: WrittenPayload, readWhole: (text: string) => ExportRead): ExportRead | null {
    const { source } = payload;
    const key = "f" + payload.sha256;
    const kept = this.#texts.get(key) ?? this.#made(payload, key);
    const from = kept !== undefined ? source.length : 0;
    const bytes = readWritten(source, from, source.size);
    if (bytes === null || !matchesAt(bytes, PAYLOAD_END, source.length - from)) return null;
    if (kept !== undefined) {
      const facts = bookkeepingFacts(bytes.subarray(source.length - from + 2));
      return facts?.format === "fhicl" ? taken(kept, facts) : null;
    }
    const read = readWhole(utf8Text(bytes));
    releaseBytes(bytes); // decoded: freed now
    return payload.shared ? this.#keeping(key, read) : read;
  }

  /**
   * The rendering the conversion made of `payload`'s FHiCL (`payload.rendering`), kept here when other documents
   * share it; undefined when there is none or it cannot be read (the document is then rendered).
   */
  #made(payload: WrittenPayload, key: string): Uint8Array | undefined {
    const rendering = payload.rendering;
    if (rendering === undefined) return undefined;
    const bytes = readRange(rendering.path, rendering.offset, rendering.offset + rendering.size);
    if (bytes === null) return undefined;
    if (payload.shared) this.#keep(key, bytes);
    return bytes;
  }

  /** Keeps a rendering under `key` (one of at most a quarter of the limit). */
  #keep(key: string, bytes: Uint8Array): void {
    if (bytes.length <= this.#texts.maxWeight / 4) this.#texts.set(key, bytes, bytes.length);
  }

  /** `read`, whose FHiCL rendering is kept under `key` when it is made (one quarter of the limit at most). */
  #keeping(key: string, read: ExportRead): ExportRead {
    if (read.facts.format !== "fhicl") return read;
    return {
      facts: read.facts,
      render: () => {
        const bytes = read.render();
        this.#keep(key, bytes.slice());
        return bytes;
      },
    };
  }
}

/** A document read through a kept rendering (copied out: the caller may move its bytes to another thread). */
function taken(kept: Uint8Array, facts: DocumentFacts): ExportRead {
  return { facts, render: () => kept.slice() };
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
