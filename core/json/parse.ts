/**
 * A hand-written JSON parser into the ordered model: key order and duplicate keys are kept and numbers keep their
 * exact source spelling (`JsonNumber`). Runs in one pass over char codes without regular expressions.
 *
 * @module
 */

import { ArchiverError } from "../errors.ts";
import { caretExcerpt, locate, type SourceLocation } from "./location.ts";
import { JsonNumber, JsonObject, type JsonValue } from "./model.ts";

/** Invalid JSON text; the message names the source, line and column, and `excerpt` shows the line with a caret. */
export class JsonSyntaxError extends ArchiverError {
  /** Where the error is (1-based). */
  readonly location: SourceLocation;
  /** The source name given to the parser (file name or `<input>`). */
  readonly source: string;
  constructor(source: string, location: SourceLocation, reason: string) {
    super(`${source}:${location.line}:${location.column}: invalid JSON: ${reason}`);
    this.source = source;
    this.location = location;
  }
  /** The offending line followed by a caret line. */
  get excerpt(): string {
    return caretExcerpt(this.location);
  }
}

/** Options of {@link parseOrdered}. */
export interface ParseOrderedOptions {
  /** Name used in error messages (a file name); default `<input>`. */
  source?: string;
  /**
   * Ignore text after the first complete value, as the artdaq_database C++ reader does. Default false: trailing
   * text is an error.
   */
  allowTrailing?: boolean;
}

/**
 * Deepest nesting accepted. Real documents nest a few dozen levels. The limit keeps the recursive writers and
 * converters that walk a parsed value far from the JS stack limit, while leaving room for the DB-JSON of the
 * deepest FHiCL the parser accepts (500 levels: metadata nests two levels per FHiCL level).
 */
export const MAX_JSON_DEPTH = 1100;

const ESCAPES: Record<number, string> = {
  0x22: '"',
  0x5c: "\\",
  0x2f: "/",
  0x62: "\b",
  0x66: "\f",
  0x6e: "\n",
  0x72: "\r",
  0x74: "\t",
};

/**
 * One shared string per object key: documents repeat a few keys hundreds of thousands of times, and a model that
 * holds one copy each is smaller and cheaper to keep alive (and to collect). A
 * two-way cache indexed by the key's length and first, middle and last characters: a hit costs a search for the
 * closing quote and one comparison in place in the text, no slice and no hashing of a new string (a `Map` of keys
 * took a fifth of the parse). Keys of up to 64 characters are cached.
 */
const KEY_SLOTS = 8192;
const KEY_CACHE: Array<string | undefined> = new Array(KEY_SLOTS).fill(undefined);

/**
 * A key to cache: a copy that does not keep the parsed text alive (V8 slices of 13+ characters point into the whole
 * text; the slice of a fresh concatenation points into that small string only). Internalizing it instead (engine
 * property names) made every cache miss ~10× dearer: an index file of 200,000 distinct keys parsed 2–3× slower.
 */
export function detached(slice: string): string {
  return slice.length < 13 ? slice : (" " + slice).slice(1);
}

/** Cache slot of the key text `text[start, end)`: from its length and its first, middle and last characters. */
function keySlot(text: string, start: number, end: number): number {
  const n = end - start;
  const h = Math.imul(text.charCodeAt(start) + (n << 16), 0x9e3779b1) ^
    Math.imul(text.charCodeAt(start + (n >> 1)), 0x85ebca6b) ^ Math.imul(text.charCodeAt(end - 1), 0xc2b2ae35);
  return (h ^ (h >>> 15)) & (KEY_SLOTS - 1);
}

/** The cached key equal to `text[start, end)`, if any (two ways: the key's slot and its neighbour). */
function cachedKey(text: string, start: number, end: number): string | undefined {
  const slot = keySlot(text, start, end);
  const n = end - start;
  const first = KEY_CACHE[slot];
  if (first !== undefined && first.length === n && text.startsWith(first, start)) return first;
  const second = KEY_CACHE[slot ^ 1];
  if (second !== undefined && second.length === n && text.startsWith(second, start)) return second;
  return undefined;
}

/** Caches `key` (the text `text[start, end)`) in its slot; the slot's previous key moves to the neighbour. */
function cacheKey(text: string, start: number, end: number, key: string): void {
  const slot = keySlot(text, start, end);
  KEY_CACHE[slot ^ 1] = KEY_CACHE[slot];
  KEY_CACHE[slot] = key;
}

/**
 * The end (closing quote) of a string whose opening quote is at `start - 1`, or `-1` when it holds an escape or a
 * control character or is unterminated (the exact scan, {@link escapedStringAt}, then decodes it or
 * names the error).
 */
function plainStringEnd(text: string, start: number): number {
  const len = text.length;
  for (let i = start; i < len; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i;
    if (c === 0x5c || c < 0x20) return -1;
  }
  return -1;
}

/** Throws the {@link JsonSyntaxError} for `reason` at offset `at` of `text`. */
function failAt(text: string, source: string, reason: string, at: number): never {
  throw new JsonSyntaxError(source, locate(text, at), reason);
}

function describeAt(text: string, at: number): string {
  return at >= text.length ? "end of input" : JSON.stringify(text[at]);
}

/** Where the last {@link readKeyAt} or {@link parseValueAt} stopped (module state: parsing is synchronous). */
let endedAt = 0;

/**
 * The string whose opening quote is at `at`, escapes decoded; {@link endedAt} is left after its closing quote.
 */
function escapedStringAt(text: string, source: string, at: number): string {
  const len = text.length;
  let p = at + 1;
  let out = "";
  let chunk = p;
  for (;;) {
    if (p >= len) failAt(text, source, "unterminated string", at);
    const c = text.charCodeAt(p);
    if (c === 0x22) {
      endedAt = p + 1;
      return out + text.slice(chunk, p);
    }
    if (c === 0x5c) {
      out += text.slice(chunk, p);
      const e = text.charCodeAt(p + 1);
      if (e === 0x75) {
        const hex = text.slice(p + 2, p + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) failAt(text, source, "bad \\u escape", p);
        out += String.fromCharCode(parseInt(hex, 16));
        p += 6;
      } else {
        const decoded = ESCAPES[e];
        if (decoded === undefined) failAt(text, source, `bad escape \\${text[p + 1] ?? ""}`, p);
        out += decoded;
        p += 2;
      }
      chunk = p;
      continue;
    }
    if (c < 0x20) failAt(text, source, "control character in string", p);
    p++;
  }
}

/** The string value whose opening quote is at `at`; {@link endedAt} is left after it. */
function stringAt(text: string, source: string, at: number): string {
  const end = plainStringEnd(text, at + 1);
  if (end < 0) return escapedStringAt(text, source, at);
  endedAt = end + 1;
  return text.slice(at + 1, end);
}

/**
 * The object key whose opening quote is at `at` (from the key cache when it is there); {@link endedAt} is left
 * after the `:` that follows it.
 */
function readKeyAt(text: string, source: string, at: number): string {
  if (text.charCodeAt(at) !== 0x22) failAt(text, source, `expected a key string, found ${describeAt(text, at)}`, at);
  const start = at + 1;
  // A cached key equal to the text up to the next quote is the key (it holds no backslash, so that quote ends it).
  let end = text.indexOf('"', start);
  let key: string | undefined;
  if (end > start) {
    key = cachedKey(text, start, end);
    if (key === undefined) {
      end = plainStringEnd(text, start);
      if (end >= 0) {
        key = text.slice(start, end);
        if (end - start <= 64) cacheKey(text, start, end, key = detached(key));
      }
    }
  }
  let pos: number;
  if (key === undefined) {
    key = escapedStringAt(text, source, at);
    pos = endedAt;
  } else pos = end + 1;
  let c = text.charCodeAt(pos);
  while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(++pos);
  if (c !== 0x3a) failAt(text, source, `expected ':' after key, found ${describeAt(text, pos)}`, pos);
  endedAt = pos + 1;
  return key;
}

/**
 * Parses JSON text into the ordered model.
 *
 * @example
 * ```ts
 * const doc = parseOrdered('{"b":1,"a":2,"b":12345678901234567890}') as JsonObject;
 * doc.keys(); // ["b", "a", "b"]
 * (doc.getAll("b")[1] as JsonNumber).text; // "12345678901234567890"
 * ```
 */
export function parseOrdered(text: string, options: ParseOrderedOptions = {}): JsonValue {
  return parseValueAt(text, 0, options.source ?? "<input>", options.allowTrailing ?? false, 0);
}

/**
 * The JSON value that starts at offset `start` of `text` (after optional whitespace), inside `depth` open
 * containers; {@link endedAt} is left after it. Unless `allowTrailing`, only whitespace may follow it.
 */
function parseValueAt(text: string, start: number, source: string, allowTrailing: boolean, depth: number): JsonValue {
  const limit = MAX_JSON_DEPTH - depth;
  const len = text.length;
  // One loop with the position in a local variable (helpers that shared it through a closure cost a context slot
  // access per character). Nesting is kept on an explicit stack so that deep input cannot overflow the JS stack:
  // the open containers, and for objects the key of the entry being read (null for arrays).
  const containers: Array<JsonObject | JsonValue[]> = [];
  const keys: Array<string | null> = [];
  let pos = start;

  const fail = (reason: string, at: number): never => failAt(text, source, reason, at);
  const describe = (at: number): string => describeAt(text, at);
  const parseNumber = (): JsonNumber => {
    const start = pos;
    let c = text.charCodeAt(pos);
    if (c === 0x2d) c = text.charCodeAt(++pos);
    if (c === 0x30) c = text.charCodeAt(++pos);
    else if (c >= 0x31 && c <= 0x39) { do c = text.charCodeAt(++pos); while (c >= 0x30 && c <= 0x39); }
    else fail(`unexpected ${describe(pos)}`, pos);
    if (c === 0x2e) {
      c = text.charCodeAt(++pos);
      if (!(c >= 0x30 && c <= 0x39)) fail("digit expected after '.'", pos);
      do c = text.charCodeAt(++pos); while (c >= 0x30 && c <= 0x39);
    }
    if (c === 0x65 || c === 0x45) {
      c = text.charCodeAt(++pos);
      if (c === 0x2b || c === 0x2d) c = text.charCodeAt(++pos);
      if (!(c >= 0x30 && c <= 0x39)) fail("digit expected in exponent", pos);
      do c = text.charCodeAt(++pos); while (c >= 0x30 && c <= 0x39);
    }
    return new JsonNumber(text.slice(start, pos));
  };

  const literal = (word: string, value: JsonValue): JsonValue => {
    if (!text.startsWith(word, pos)) fail(`unexpected ${describe(pos)}`, pos);
    pos += word.length;
    return value;
  };

  for (;;) {
    let c = text.charCodeAt(pos);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(++pos);
    let value: JsonValue;
    if (c === 0x22) {
      value = stringAt(text, source, pos);
      pos = endedAt;
    } else if (c === 0x7b || c === 0x5b) {
      pos++;
      let next = text.charCodeAt(pos);
      while (next === 0x20 || next === 0x0a || next === 0x0d || next === 0x09) next = text.charCodeAt(++pos);
      if (c === 0x7b) {
        if (next === 0x7d) {
          pos++;
          value = new JsonObject();
        } else {
          const key = readKeyAt(text, source, pos);
          pos = endedAt;
          if (containers.length >= limit) fail(`nesting deeper than ${MAX_JSON_DEPTH} levels`, pos);
          containers.push(new JsonObject());
          keys.push(key);
          continue;
        }
      } else if (next === 0x5d) {
        pos++;
        value = [];
      } else {
        if (containers.length >= limit) fail(`nesting deeper than ${MAX_JSON_DEPTH} levels`, pos);
        containers.push([]);
        keys.push(null);
        continue;
      }
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) value = parseNumber();
    else if (c === 0x74) value = literal("true", true);
    else if (c === 0x66) value = literal("false", false);
    else if (c === 0x6e) value = literal("null", null);
    else value = fail(`unexpected ${describe(pos)}`, pos);

    // Attach the finished value to its parent and close every container that ends here.
    for (;;) {
      const depth = containers.length - 1;
      if (depth < 0) {
        if (!allowTrailing) {
          let t = text.charCodeAt(pos);
          while (t === 0x20 || t === 0x0a || t === 0x0d || t === 0x09) t = text.charCodeAt(++pos);
          if (pos < len) fail(`unexpected ${describe(pos)} after the JSON value`, pos);
        }
        endedAt = pos;
        return value;
      }
      const container = containers[depth];
      const key = keys[depth];
      if (key !== null) (container as JsonObject).flat.push(key, value);
      else (container as JsonValue[]).push(value);
      let next = text.charCodeAt(pos);
      while (next === 0x20 || next === 0x0a || next === 0x0d || next === 0x09) next = text.charCodeAt(++pos);
      if (next === 0x2c) {
        pos++;
        if (key !== null) {
          next = text.charCodeAt(pos);
          while (next === 0x20 || next === 0x0a || next === 0x0d || next === 0x09) next = text.charCodeAt(++pos);
          keys[depth] = readKeyAt(text, source, pos);
          pos = endedAt;
        }
        break;
      }
      const close = key !== null ? 0x7d : 0x5d;
      if (next !== close) fail(`expected ',' or '${String.fromCharCode(close)}', found ${describe(pos)}`, pos);
      pos++;
      containers.pop();
      keys.pop();
      value = container as JsonValue;
    }
  }
}

/**
 * A pull reader over JSON text, for a caller that reads part of a document into a structure of its own instead of
 * the ordered model: objects are entered key by key (keys come from the parser's key cache), any other value is
 * parsed into the model. Errors are the parser's {@link JsonSyntaxError}s, nesting is limited as in
 * {@link parseOrdered}, and text after the last value is not looked at.
 *
 * @example
 * ```ts
 * const reader = new JsonReader('{"a": "x", "b": [1]}');
 * for (let key = reader.firstKey(); key !== null; key = reader.nextKey()) {
 *   if (key === "a") reader.string(); // "x"
 *   else reader.value(); // [JsonNumber("1")]
 * }
 * ```
 */
export class JsonReader {
  /** Offset of the next character to read. */
  pos = 0;
  /** The text read. */
  readonly text: string;
  /** Name used in error messages (a file name). */
  readonly source: string;
  /** Objects entered and not yet left. */
  #depth = 0;
  constructor(text: string, source = "<input>") {
    this.text = text;
    this.source = source;
  }
  /** Number of objects entered and not yet left. */
  get depth(): number {
    return this.#depth;
  }
  /** The code of the next character that is not whitespace (NaN at the end); {@link pos} is moved to it. */
  peek(): number {
    const text = this.text;
    let pos = this.pos;
    let c = text.charCodeAt(pos);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(++pos);
    this.pos = pos;
    return c;
  }
  /** The next value, in the ordered model. */
  value(): JsonValue {
    const value = parseValueAt(this.text, this.pos, this.source, true, this.#depth);
    this.pos = endedAt;
    return value;
  }
  /** The next value, which must be a string. */
  string(): string {
    if (this.peek() !== 0x22) this.fail(`expected a string, found ${describeAt(this.text, this.pos)}`);
    const value = stringAt(this.text, this.source, this.pos);
    this.pos = endedAt;
    return value;
  }
  /** Enters the next value, which must be an object: its first key (the reader is then at its value), or null. */
  firstKey(): string | null {
    return this.#enter(0x7b, 0x7d) ? this.#key() : null;
  }
  /** After the value of an entry: the next key of the object, or null when the object ends (it is then left). */
  nextKey(): string | null {
    if (!this.#next(0x7d)) return null;
    this.peek();
    return this.#key();
  }
  /** Enters the next value, which must be an array: true when it has an item (the reader is then at it). */
  firstItem(): boolean {
    return this.#enter(0x5b, 0x5d);
  }
  /** After an item: true when another follows (the reader is then at it), false when the array ends (it is left). */
  nextItem(): boolean {
    return this.#next(0x5d);
  }
  /** Enters the container `open` … `close` at the reader: false when it is empty (it is then left). */
  #enter(open: number, close: number): boolean {
    if (this.peek() !== open) {
      this.fail(`expected ${open === 0x7b ? "an object" : "an array"}, found ${describeAt(this.text, this.pos)}`);
    }
    if (this.#depth >= MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH} levels`);
    this.pos++;
    this.#depth++;
    if (this.peek() !== close) return true;
    this.pos++;
    this.#depth--;
    return false;
  }
  /** After an element of the container that `close` ends: true at a `,` (passed), false at `close` (the container left). */
  #next(close: number): boolean {
    const c = this.peek();
    if (c === 0x2c) {
      this.pos++;
      return true;
    }
    if (c !== close) {
      this.fail(`expected ',' or '${String.fromCharCode(close)}', found ${describeAt(this.text, this.pos)}`);
    }
    this.pos++;
    this.#depth--;
    return false;
  }
  /** Throws the {@link JsonSyntaxError} for `reason` at {@link pos}. */
  fail(reason: string): never {
    return failAt(this.text, this.source, reason, this.pos);
  }
  #key(): string {
    const key = readKeyAt(this.text, this.source, this.pos);
    this.pos = endedAt;
    return key;
  }
}
