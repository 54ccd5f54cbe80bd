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
 * holds one copy each is smaller and cheaper to keep alive (and to collect). Bounded: cleared when full.
 */
const KEYS = new Map<string, string>();
const KEYS_LIMIT = 4096;

function internKey(key: string): string {
  const known = KEYS.get(key);
  if (known !== undefined) return known;
  if (key.length <= 64) {
    if (KEYS.size >= KEYS_LIMIT) KEYS.clear();
    KEYS.set(key, key);
  }
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
  const source = options.source ?? "<input>";
  let pos = 0;
  const len = text.length;

  const fail = (reason: string, at = pos): never => {
    throw new JsonSyntaxError(source, locate(text, at), reason);
  };

  const skipSpace = (): void => {
    while (pos < len) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else break;
    }
  };

  const describe = (at: number): string => at >= len ? "end of input" : JSON.stringify(text[at]);

  const parseString = (): string => {
    // pos is at the opening quote
    const start = ++pos;
    let out = "";
    let chunk = start;
    for (;;) {
      if (pos >= len) fail("unterminated string", start - 1);
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(chunk, pos);
        pos++;
        return out;
      }
      if (c === 0x5c) {
        out += text.slice(chunk, pos);
        const e = text.charCodeAt(pos + 1);
        if (e === 0x75) {
          const hex = text.slice(pos + 2, pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("bad \\u escape");
          out += String.fromCharCode(parseInt(hex, 16));
          pos += 6;
        } else {
          const decoded = ESCAPES[e];
          if (decoded === undefined) fail(`bad escape \\${text[pos + 1] ?? ""}`);
          out += decoded;
          pos += 2;
        }
        chunk = pos;
        continue;
      }
      if (c < 0x20) fail("control character in string");
      pos++;
    }
  };

  const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

  const parseNumber = (): JsonNumber => {
    const start = pos;
    if (text.charCodeAt(pos) === 0x2d) pos++;
    if (text.charCodeAt(pos) === 0x30) pos++;
    else if (isDigit(text.charCodeAt(pos))) { while (isDigit(text.charCodeAt(pos))) pos++; }
    else fail(`unexpected ${describe(pos)}`);
    if (text.charCodeAt(pos) === 0x2e) {
      pos++;
      if (!isDigit(text.charCodeAt(pos))) fail("digit expected after '.'");
      while (isDigit(text.charCodeAt(pos))) pos++;
    }
    const e = text.charCodeAt(pos);
    if (e === 0x65 || e === 0x45) {
      pos++;
      const s = text.charCodeAt(pos);
      if (s === 0x2b || s === 0x2d) pos++;
      if (!isDigit(text.charCodeAt(pos))) fail("digit expected in exponent");
      while (isDigit(text.charCodeAt(pos))) pos++;
    }
    return new JsonNumber(text.slice(start, pos));
  };

  const literal = (word: string, value: JsonValue): JsonValue => {
    if (text.startsWith(word, pos)) {
      pos += word.length;
      return value;
    }
    return fail(`unexpected ${describe(pos)}`);
  };

  // Iterative on an explicit stack so that deeply nested input cannot overflow the JS call stack.
  type Frame = { container: JsonObject | JsonValue[]; key: string | null };
  const stack: Frame[] = [];

  const parseValue = (): JsonValue => {
    for (;;) {
      skipSpace();
      const c = text.charCodeAt(pos);
      let value: JsonValue | undefined;
      if (c === 0x7b) {
        pos++;
        skipSpace();
        const obj = new JsonObject();
        if (text.charCodeAt(pos) === 0x7d) {
          pos++;
          value = obj;
        } else {
          if (text.charCodeAt(pos) !== 0x22) fail(`expected a key string, found ${describe(pos)}`);
          const key = internKey(parseString());
          skipSpace();
          if (text.charCodeAt(pos) !== 0x3a) fail(`expected ':' after key, found ${describe(pos)}`);
          pos++;
          if (stack.length >= MAX_JSON_DEPTH) fail(`nesting deeper than ${MAX_JSON_DEPTH} levels`);
          stack.push({ container: obj, key });
          continue;
        }
      } else if (c === 0x5b) {
        pos++;
        skipSpace();
        const arr: JsonValue[] = [];
        if (text.charCodeAt(pos) === 0x5d) {
          pos++;
          value = arr;
        } else {
          if (stack.length >= MAX_JSON_DEPTH) fail(`nesting deeper than ${MAX_JSON_DEPTH} levels`);
          stack.push({ container: arr, key: null });
          continue;
        }
      } else if (c === 0x22) value = parseString();
      else if (c === 0x2d || isDigit(c)) value = parseNumber();
      else if (c === 0x74) value = literal("true", true);
      else if (c === 0x66) value = literal("false", false);
      else if (c === 0x6e) value = literal("null", null);
      else fail(`unexpected ${describe(pos)}`);

      // Attach the finished value to its parent and close every container that ends here.
      for (;;) {
        const frame = stack[stack.length - 1];
        if (frame === undefined) return value as JsonValue;
        if (frame.key !== null) (frame.container as JsonObject).entries.push([frame.key, value as JsonValue]);
        else (frame.container as JsonValue[]).push(value as JsonValue);
        skipSpace();
        const next = text.charCodeAt(pos);
        if (next === 0x2c) {
          pos++;
          if (frame.key !== null) {
            skipSpace();
            if (text.charCodeAt(pos) !== 0x22) fail(`expected a key string, found ${describe(pos)}`);
            frame.key = internKey(parseString());
            skipSpace();
            if (text.charCodeAt(pos) !== 0x3a) fail(`expected ':' after key, found ${describe(pos)}`);
            pos++;
          }
          break;
        }
        const close = frame.key !== null ? 0x7d : 0x5d;
        if (next !== close) fail(`expected ',' or '${String.fromCharCode(close)}', found ${describe(pos)}`);
        pos++;
        stack.pop();
        value = frame.container as JsonValue;
      }
    }
  };

  const value = parseValue();
  if (!options.allowTrailing) {
    skipSpace();
    if (pos < len) fail(`unexpected ${describe(pos)} after the JSON value`);
  }
  return value;
}
