/**
 * Values read lately from JSON texts, each with its exact text, the most used first: where the whole text of one is
 * found again, the value there is that value (JSON text is read the same way wherever it stands), taken after one
 * string comparison instead of being read again. Used by the export, whose stored documents repeat whole subtrees
 * (the metadata of every sequence element, the destinations table of every BoardReader of a run).
 *
 * @module
 */

import { JsonNumber, JsonObject, type JsonValue } from "./model.ts";
import { detached, type JsonReader, MAX_JSON_DEPTH } from "./parse.ts";

/** One remembered value. */
interface Entry<T> {
  text: string;
  value: T;
  /** Levels of JSON nesting of the text, itself included (a value is taken only where it fits under the limit). */
  height: number;
  /** True once `text` and the value's strings are copies of their own, not slices of a document's text. */
  own: boolean;
  /** The document it was read from: its {@link RecentTexts} generation, and its text's length. */
  generation: number;
  documentLength: number;
}

/** Settings of a {@link RecentTexts}. */
export interface RecentTextsOptions<T> {
  /** How many values are remembered. */
  slots: number;
  /** Where a new value is put (0 = first, `slots - 1` = last, replacing what was there). */
  insertAt: number;
  /** Longest text kept from one document to the next ({@link keep}); longer ones are let go. */
  keptText: number;
  /** Most text kept in all from one document to the next (the most used values first). */
  keptTotal: number;
  /**
   * Most text of documents that values kept from one document to the next may keep alive in all: a value is kept as a
   * slice of its document's text until it is found again in a later one (then it gets strings of its own). Past this,
   * such values are let go (a thread that keeps large strings alive would otherwise keep collecting in vain,
   * core/offload/worker.ts).
   */
  keptDocuments: number;
  /** Makes the strings of a value kept from one document to the next copies of their own (called once a value). */
  ownStrings: (value: T) => void;
}

/**
 * The cache: {@link find} before reading a value, {@link remember} after reading one, {@link keep} when a
 * document's text has been read. Values are shared between the places they are found: they must not be changed.
 *
 * @example
 * ```ts
 * const recent = new RecentTexts<JsonValue>({
 *   slots: 16,
 *   insertAt: 8,
 *   keptText: 4096,
 *   keptTotal: 65536,
 *   keptDocuments: 1 << 20,
 *   ownStrings: ownModelStrings,
 * });
 * const value = recent.find(text, at, MAX_JSON_DEPTH) ?? readAndRemember(); // at += recent.length on a find
 * ```
 */
export class RecentTexts<T> {
  readonly #entries: Entry<T>[] = [];
  readonly #options: RecentTextsOptions<T>;
  /** Counts the documents read ({@link keep}). */
  #generation = 0;
  /** Length of the text of the value {@link find} returned last. */
  length = 0;
  /** Nesting of the value {@link find} returned last. */
  height = 0;

  constructor(options: RecentTextsOptions<T>) {
    this.#options = options;
  }

  /**
   * The value whose whole text stands at `start` of `text` and whose nesting is at most `maxHeight` levels, if one
   * is remembered (it moves up one place: the most used ones end first); {@link length} is its text's length.
   */
  find(text: string, start: number, maxHeight: number): T | undefined {
    const entries = this.#entries;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      const seen = entry.text;
      const n = seen.length;
      // Two characters first (the last, and the middle one): most texts that are not this one differ there, at no
      // cost of a call; then one native comparison of the whole.
      if (
        text.charCodeAt(start + n - 1) === seen.charCodeAt(n - 1) &&
        text.charCodeAt(start + (n >> 1)) === seen.charCodeAt(n >> 1) &&
        entry.height <= maxHeight && text.slice(start, start + n) === seen
      ) {
        if (i > 0) {
          entries[i] = entries[i - 1];
          entries[i - 1] = entry;
        }
        // Found again in a later document: worth a copy of its own, which lets the first document's text go.
        if (!entry.own && entry.generation !== this.#generation) this.#own(entry);
        this.length = n;
        this.height = entry.height;
        return entry.value;
      }
    }
    return undefined;
  }

  /** Remembers `value`, read from `text[start, end)`, with its nesting `height`. */
  remember(text: string, start: number, end: number, value: T, height: number): void {
    const entries = this.#entries;
    const entry = {
      text: text.slice(start, end),
      value,
      height,
      own: false,
      generation: this.#generation,
      documentLength: text.length,
    };
    const { slots, insertAt } = this.#options;
    if (entries.length < slots) entries.splice(Math.min(insertAt, entries.length), 0, entry);
    else {
      entries.pop();
      entries.splice(insertAt, 0, entry);
    }
  }

  /**
   * Called when a document's text has been read. Values with texts up to `keptText` long stay, the most used first,
   * up to `keptTotal` of text in all: those found again in a later document get copies of their own strings then (a
   * slice of 13 or more characters keeps the whole document's text alive, a string only a full collection frees);
   * until then a value keeps its document's text, up to `keptDocuments` of such text in all.
   */
  keep(): void {
    const entries = this.#entries;
    const { keptText, keptTotal, keptDocuments } = this.#options;
    let kept = 0;
    let total = 0;
    /** The documents the values kept so far keep alive, by generation, and their text in all. */
    const pinned = new Set<number>();
    let pinnedText = 0;
    for (const entry of entries) {
      const length = entry.text.length;
      if (length > keptText || total + length > keptTotal) continue;
      if (!entry.own && !pinned.has(entry.generation)) {
        if (pinnedText + entry.documentLength > keptDocuments) continue;
        pinned.add(entry.generation);
        pinnedText += entry.documentLength;
      }
      total += length;
      entries[kept++] = entry;
    }
    entries.length = kept;
    this.#generation++;
  }

  #own(entry: Entry<T>): void {
    entry.own = true;
    entry.text = detached(entry.text);
    this.#options.ownStrings(entry.value);
  }
}

/** Nesting of the value {@link readReusing} returned last (module state: reading is synchronous). */
let readHeight = 0;

/**
 * The next value of `reader` in the ordered model, each object or array in it taken from `recent` where its whole
 * text was read lately, and remembered there when its text is at least `minText` long. Values taken from `recent`
 * are shared: the result must not be changed.
 *
 * @example
 * ```ts
 * const data = readReusing(reader, DATA, 1000); // the same model reader.value() gives
 * ```
 */
export function readReusing(reader: JsonReader, recent: RecentTexts<JsonValue>, minText: number): JsonValue {
  const c = reader.peek();
  if (c !== 0x7b && c !== 0x5b) {
    readHeight = 0;
    return reader.value();
  }
  const text = reader.text;
  const start = reader.pos;
  const seen = recent.find(text, start, MAX_JSON_DEPTH - reader.depth);
  if (seen !== undefined) {
    reader.pos = start + recent.length;
    readHeight = recent.height;
    return seen;
  }
  let height = 0;
  let value: JsonValue;
  if (c === 0x7b) {
    const object = new JsonObject();
    for (let key = reader.firstKey(); key !== null; key = reader.nextKey()) {
      object.flat.push(key, readReusing(reader, recent, minText));
      if (readHeight > height) height = readHeight;
    }
    value = object;
  } else {
    const array: JsonValue[] = [];
    if (reader.firstItem()) {
      do {
        array.push(readReusing(reader, recent, minText));
        if (readHeight > height) height = readHeight;
      } while (reader.nextItem());
    }
    value = array;
  }
  readHeight = height + 1;
  if (reader.pos - start >= minText) recent.remember(text, start, reader.pos, value, readHeight);
  return value;
}

/**
 * Makes every string of a model value (keys, strings, number spellings) a copy of its own, in place: the
 * `ownStrings` of a {@link RecentTexts} of models.
 */
export function ownModelStrings(value: JsonValue): void {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = ownedValue(value[i]);
  } else if (value instanceof JsonObject) {
    const flat = value.flat;
    for (let j = 0; j < flat.length; j += 2) {
      flat[j] = detached(flat[j] as string);
      flat[j + 1] = ownedValue(flat[j + 1]);
    }
  }
}

function ownedValue(value: JsonValue): JsonValue {
  if (typeof value === "string") return detached(value);
  if (value instanceof JsonNumber) return new JsonNumber(detached(value.text));
  ownModelStrings(value);
  return value;
}
