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
import { utf8Text } from "../../core/blob/bytes.ts";
import { JsonObject, parseOrdered } from "../../core/json/mod.ts";
import { documentFacts } from "./document.ts";
import type { ExportRead } from "./export.ts";

/** What ends a payload in the JsonWriter layout: the top-level `origin` member, the first of the bookkeeping. */
const ORIGIN = new TextEncoder().encode(',\n"origin" : ');
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
  readonly #texts = new Map<string, string>();
  #length = 0;

  /** At most `limit` characters of rendered FHiCL (default 8 Mi). */
  constructor(limit = 8 << 20) {
    this.#limit = limit;
  }

  /** Characters held. */
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
    const digest = createHash("sha256").update(bytes.subarray(0, end)).digest("hex");
    const kept = this.#texts.get(digest);
    if (kept !== undefined) {
      const facts = bookkeepingFacts(bytes.subarray(end + 2));
      if (facts?.format === "fhicl") {
        this.#texts.delete(digest); // most recently used last
        this.#texts.set(digest, kept);
        return { facts, render: () => kept };
      }
    }
    const read = readWhole(utf8Text(bytes));
    if (read.facts.format !== "fhicl") return read;
    return {
      facts: read.facts,
      render: () => {
        const text = read.render();
        this.#keep(digest, text);
        return text;
      },
    };
  }

  #keep(digest: string, text: string): void {
    if (text.length > this.#limit / 4 || this.#texts.has(digest)) return;
    this.#texts.set(digest, text);
    this.#length += text.length;
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
