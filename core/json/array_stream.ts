/**
 * A JSON array read as it arrives: the elements of a top-level array are handed over in batches, each parsed as
 * soon as its bytes are complete, so a listing of 100,000 records costs one chunk and one batch of records at a
 * time instead of the whole text and all its objects at once (UconDB's `GET /versions` answers every version of an
 * object in one array, with no paging).
 *
 * Elements are parsed with `JSON.parse` (plain values): this is for service answers, not for artdaq_database
 * documents (those keep key order and duplicate keys: core/json/parse.ts).
 *
 * @example
 * ```ts
 * const keys: string[] = [];
 * const reader = new JsonArrayReader((items) => { for (const item of items) keys.push(item.key); });
 * reader.push(new TextEncoder().encode('[{"key": "1"}, {"ke'));
 * reader.push(new TextEncoder().encode('y": "2"}]'));
 * reader.end(); // keys: ["1", "2"]
 * ```
 *
 * @module
 */

const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

/** The text is not one JSON array (or ends before the array does). */
export class JsonArrayStreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JsonArrayStreamError";
  }
}

/** Splits a streamed JSON array into its elements (see the module doc). */
export class JsonArrayReader<T = unknown> {
  readonly #onItems: (items: T[]) => void;
  /** The last chunk pushed (with the bytes of the element in progress before it). */
  #pending: Uint8Array = new Uint8Array(0);
  /** Where scanning resumes in `#pending` (its end, between pushes). */
  #scan = 0;
  /** Offset in `#pending` where the element in progress starts (after the `[` or a `,`), or -1 before the `[`. */
  #start = -1;
  #depth = 0;
  #inString = false;
  #escaped = false;
  #closed = false;
  /** The next element follows a `,` (so it must not be empty). */
  #afterComma = false;
  readonly #decoder = new TextDecoder("utf-8", { fatal: true });

  /** `onItems` gets the elements parsed so far, in order, in batches (a batch per pushed chunk at most). */
  constructor(onItems: (items: T[]) => void) {
    this.#onItems = onItems;
  }

  /** Feeds the next bytes of the text. Throws `JsonArrayStreamError` when they cannot belong to a JSON array. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.#start < 0 || this.#closed) {
      this.#pending = chunk;
      this.#scan = 0;
    } else {
      // Carry the bytes of the element in progress over.
      const carry = this.#pending.subarray(this.#start);
      const joined = new Uint8Array(carry.length + chunk.length);
      joined.set(carry);
      joined.set(chunk, carry.length);
      this.#pending = joined;
      this.#scan = carry.length;
      this.#start = 0;
    }
    const bytes = this.#pending;
    /** End of the complete elements found in this chunk (a `,` or the closing `]`), or -1. */
    let complete = -1;
    let i = this.#scan;
    for (; i < bytes.length; i++) {
      const byte = bytes[i];
      if (this.#closed) {
        if (!isSpace(byte)) throw new JsonArrayStreamError("text after the end of the JSON array");
        continue;
      }
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (byte === BACKSLASH) this.#escaped = true;
        else if (byte === QUOTE) this.#inString = false;
        continue;
      }
      if (this.#start < 0) {
        if (byte === OPEN_ARRAY) {
          this.#start = i + 1;
          this.#depth = 1;
        } else if (!isSpace(byte)) throw new JsonArrayStreamError("the answer is not a JSON array");
        continue;
      }
      if (byte === QUOTE) this.#inString = true;
      else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) this.#depth++;
      else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) {
        if (--this.#depth === 0) {
          if (byte !== CLOSE_ARRAY) throw new JsonArrayStreamError("unbalanced brackets in a JSON array");
          complete = i;
          this.#closed = true;
        }
      } else if (byte === COMMA && this.#depth === 1) complete = i;
    }
    if (complete >= 0) {
      const text = this.#decoder.decode(bytes.subarray(this.#start, complete));
      if (/^\s*$/.test(text) && (bytes[complete] === COMMA || this.#afterComma)) {
        throw new JsonArrayStreamError("an empty element in a JSON array");
      }
      let items: T[];
      try {
        items = JSON.parse(`[${text}]`);
      } catch (error) {
        throw new JsonArrayStreamError(`an element of the JSON array is not JSON (${(error as Error).message})`);
      }
      this.#afterComma = bytes[complete] === COMMA;
      this.#start = complete + 1;
      if (items.length > 0) this.#onItems(items);
    }
    this.#scan = i;
  }

  /** The text has ended: throws `JsonArrayStreamError` unless the array was complete. */
  end(): void {
    if (!this.#closed) {
      throw new JsonArrayStreamError(
        this.#start < 0 ? "the answer is empty, not a JSON array" : "the JSON array ends early",
      );
    }
  }
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}
