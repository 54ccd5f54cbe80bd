/**
 * The artdaq_database JsonWriter text layout (artdaq-database.md Appendix A): no indentation, `"key" : value`,
 * items joined by `,\n`, empty containers as `{\n\n}` / `[\n\n]`, no final newline.
 *
 * @module
 */

import { isObjectLike, JsonNumber, JsonObject, type JsonValue } from "./model.ts";

/**
 * Encodes a string as a JSON string literal the way artdaq_database's `to_json_string` does: `"`, `\`, backspace,
 * form feed, newline, carriage return and tab get their short escapes; other control characters get `\u00XX`
 * (artdaq_database would mangle them, so callers should avoid them); `/` and non-ASCII stay as they are.
 *
 * @example
 * ```ts
 * quoteJsonString('a"b\tc'); // "\"a\\\"b\\tc\""
 * ```
 */
export function quoteJsonString(value: string): string {
  // The native encoder writes exactly these escapes (lower-case `\u00XX`, `/` and non-ASCII as they are) several
  // times faster, except for a lone surrogate, which it writes as `\udXXX` where artdaq_database keeps the code
  // unit. Such a result (or one with a literal `\ud`, escaped as `\\ud`: harmless) takes the exact path below.
  const quoted = JSON.stringify(value);
  return quoted.includes("\\ud") ? quoteExactly(value) : quoted;
}

/** {@link quoteJsonString} written out, for strings the native encoder would write differently. */
function quoteExactly(value: string): string {
  const len = value.length;
  let i = 0;
  for (; i < len; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c) break;
  }
  if (i === len) return '"' + value + '"';
  let out = '"' + value.slice(0, i);
  let chunk = i;
  for (; i < len; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c) continue;
    out += value.slice(chunk, i);
    chunk = i + 1;
    switch (c) {
      case 0x22:
        out += '\\"';
        break;
      case 0x5c:
        out += "\\\\";
        break;
      case 0x08:
        out += "\\b";
        break;
      case 0x0c:
        out += "\\f";
        break;
      case 0x0a:
        out += "\\n";
        break;
      case 0x0d:
        out += "\\r";
        break;
      case 0x09:
        out += "\\t";
        break;
      default:
        out += "\\u" + c.toString(16).padStart(4, "0");
    }
  }
  return out + value.slice(chunk) + '"';
}

/**
 * Formats a non-integer JS number as Boost.Karma's default double generator does (artdaq_database's writer): at
 * most 3 fractional digits, trailing zeros dropped, scientific notation when |x| ≥ 1e5 or |x| < 1e-3.
 *
 * @example
 * ```ts
 * formatKarmaDouble(2.5); // "2.5"
 * formatKarmaDouble(0.12345); // "0.123"
 * formatKarmaDouble(123456.7); // "1.235e5"
 * ```
 */
export function formatKarmaDouble(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value < 0 ? "-inf" : "inf";
  const abs = Math.abs(value);
  const sign = value < 0 ? "-" : "";
  const trim = (s: string): string => s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, ".0") : s;
  if (abs !== 0 && (abs >= 1e5 || abs < 1e-3)) {
    const [mantissa, exponent] = abs.toExponential(3).split("e");
    return `${sign}${trim(mantissa)}e${Number(exponent)}`;
  }
  return sign + trim(abs.toFixed(3));
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
  return formatKarmaDouble(value);
}

/**
 * Writes a value in artdaq_database's JsonWriter layout. Accepts the ordered model as well as plain JS objects and
 * arrays. Numbers parsed from text (`JsonNumber`) keep their spelling; JS numbers print as integers or, when not
 * integral, in the Karma double format. `null` and `undefined` are refused because the C++ reader rejects `null`.
 *
 * @example
 * ```ts
 * stringifyArtdaq({ a: "1", b: [], c: { d: true } });
 * // '{\n"a" : "1",\n"b" : [\n\n],\n"c" : {\n"d" : true\n}\n}'
 * ```
 */
export function stringifyArtdaq(value: JsonValue | Record<string, unknown> | unknown[]): string {
  return write(value as JsonValue);
}

/**
 * Text of frozen objects, computed once. Frozen objects cannot change, and producers share them widely (the FHiCL
 * converter shares one frozen metadata leaf per type), so caching their text saves most of the writing work.
 */
const FROZEN_TEXT = new WeakMap<JsonObject, string>();

function write(value: JsonValue): string {
  if (typeof value === "string") return quoteJsonString(value);
  if (value instanceof JsonObject) {
    if (Object.isFrozen(value)) {
      let text = FROZEN_TEXT.get(value);
      if (text === undefined) {
        text = writeObject(value);
        FROZEN_TEXT.set(value, text);
      }
      return text;
    }
    return writeObject(value);
  }
  return writeOther(value);
}

/**
 * Quoted keys with their `" : "`: documents repeat a few keys (`comment`, `type`, `annotation`, …) hundreds of
 * thousands of times, so one shared string per key spares quoting and allocating each. Bounded: cleared when full.
 */
const KEY_TEXT = new Map<string, string>();
const KEY_TEXT_LIMIT = 4096;

function keyText(key: string): string {
  let text = KEY_TEXT.get(key);
  if (text === undefined) {
    text = quoteJsonString(key) + " : ";
    if (key.length <= 64) {
      if (KEY_TEXT.size >= KEY_TEXT_LIMIT) KEY_TEXT.clear();
      KEY_TEXT.set(key, text);
    }
  }
  return text;
}

function writeObject(value: JsonObject): string {
  const flat = value.flat;
  if (flat.length === 0) return "{\n\n}";
  let out = "{\n" + keyText(flat[0] as string) + write(flat[1]);
  for (let j = 2; j < flat.length; j += 2) {
    out += ",\n" + keyText(flat[j] as string) + write(flat[j + 1]);
  }
  return out + "\n}";
}

function writeOther(value: JsonValue): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return "[\n\n]";
    let out = "[\n" + write(value[0]);
    for (let i = 1; i < value.length; i++) out += ",\n" + write(value[i]);
    return out + "\n]";
  }
  if (value instanceof JsonNumber) return value.text;
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (isObjectLike(value)) {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) parts.push(quoteJsonString(k) + " : " + write(v as JsonValue));
    }
    return parts.length === 0 ? "{\n\n}" : "{\n" + parts.join(",\n") + "\n}";
  }
  throw new TypeError(`artdaq_database JSON cannot hold ${value === null ? "null" : typeof value}`);
}

/**
 * {@link stringifyArtdaq} as UTF-8 bytes, exactly `new TextEncoder().encode(stringifyArtdaq(value))`, written
 * straight into a byte buffer: no text is built, so there is no rope of millions of small strings for the
 * encoder to flatten and for the collector to trace (a stored document's bytes cost ~15 % less CPU this way).
 * Lone surrogates come out as U+FFFD, as the encoder writes them.
 *
 * @example
 * ```ts
 * new TextDecoder().decode(encodeArtdaq({ a: "é" })); // '{\n"a" : "é"\n}'
 * ```
 */
export function encodeArtdaq(value: JsonValue | Record<string, unknown> | unknown[]): Uint8Array {
  return encodeArtdaqWith((writer) => writer.value(value as JsonValue));
}

/**
 * The bytes `write` writes (synchronously) with the writer of {@link encodeArtdaq}: a JsonWriter layout assembled by
 * hand, in one piece (see {@link streamArtdaqWith} to stream it instead).
 *
 * @example
 * ```ts
 * new TextDecoder().decode(encodeArtdaqWith((w) => { w.raw("["); w.string("a"); w.raw("]"); })); // '["a"]'
 * ```
 */
export function encodeArtdaqWith(write: (writer: ArtdaqBytesWriter) => void): Uint8Array {
  out = BUFFER.length > 0 ? BUFFER : new Uint8Array(1 << 16);
  at = 0;
  flushed = 0;
  try {
    write(WRITER);
    return out.slice(0, at);
  } finally {
    // Keep a moderate buffer for the next document; let a huge one go.
    BUFFER = out.length <= KEPT_BUFFER ? out : new Uint8Array(0);
    out = BUFFER;
  }
}

/** The writer of {@link encodeArtdaq}, for a JsonWriter layout assembled by hand (the filesystem `index.json`). */
export interface ArtdaqBytesWriter {
  /** Text written as it is (UTF-8): the layout's punctuation. */
  raw(text: string): void;
  /** A JSON string, quoted and escaped as {@link stringifyArtdaq} writes it. */
  string(value: string): void;
  /** A value in the JsonWriter layout. */
  value(value: JsonValue): void;
  /** Bytes copied as they are (a stretch of an earlier text in this layout). */
  bytes(bytes: Uint8Array): void;
  /** Number of bytes written so far (flushed or not): the offset the next byte will have. */
  position(): number;
}

const WRITER: ArtdaqBytesWriter = {
  raw: putText,
  string: (value) => putQuoted(value, 0),
  value: put,
  bytes: putBytes,
  position: () => flushed + at,
};

/**
 * Runs `write` (synchronously) with the writer of {@link encodeArtdaq}, without holding the whole text: the bytes
 * go to `sink` in chunks of about `chunkBytes` (the last one smaller) as they are written. A chunk is a view of a
 * buffer that is reused as soon as `sink` returns, so `sink` must consume it at once (a synchronous file write). A
 * large text written often (the `index.json` of a big collection at every group commit) costs one chunk of memory
 * instead of its whole size.
 *
 * @example
 * ```ts
 * const file = Deno.openSync("/tmp/x.json", { write: true, create: true });
 * streamArtdaqWith((w) => w.value(doc), (chunk) => file.writeSync(chunk)); // (write until done in real code)
 * ```
 */
export function streamArtdaqWith(
  write: (writer: ArtdaqBytesWriter) => void,
  sink: (chunk: Uint8Array) => void,
  chunkBytes = 1 << 20,
): void {
  const base = BUFFER.length >= chunkBytes ? BUFFER : new Uint8Array(chunkBytes);
  out = base.subarray(0, chunkBytes);
  at = 0;
  flushed = 0;
  flush = sink;
  try {
    write(WRITER);
    if (at > 0) sink(out.subarray(0, at));
  } finally {
    flush = null;
    if (base.length <= KEPT_BUFFER) BUFFER = base;
    out = BUFFER;
  }
}

const utf8 = new TextEncoder();
/** Largest buffer kept between calls (bigger documents get a buffer of their own). */
const KEPT_BUFFER = 4 << 20;
let BUFFER = new Uint8Array(0);
/** The buffer being written and the write position (module state: writing is synchronous, never re-entered). */
let out = BUFFER;
let at = 0;
/** Where full buffers go while streaming ({@link streamArtdaqWith}); null: the buffer grows instead. */
let flush: ((chunk: Uint8Array) => void) | null = null;
/** Number of flushes so far (a frozen object's bytes are cached only when it was written in one piece). */
let flushes = 0;
/** Bytes handed to `flush` so far by the current {@link streamArtdaqWith}. */
let flushed = 0;

/** Bytes of frozen objects, computed once (see `FROZEN_TEXT`). */
const FROZEN_BYTES = new WeakMap<JsonObject, Uint8Array>();

function reserve(bytes: number): void {
  if (at + bytes <= out.length) return;
  if (flush !== null && at > 0) {
    flush(out.subarray(0, at));
    flushes++;
    flushed += at;
    at = 0;
    if (bytes <= out.length) return;
  }
  let size = out.length * 2;
  while (size < at + bytes) size *= 2;
  const grown = new Uint8Array(size);
  grown.set(out.subarray(0, at));
  out = grown;
}

function putBytes(bytes: Uint8Array): void {
  reserve(bytes.length);
  out.set(bytes, at);
  at += bytes.length;
}

/**
 * Text whose UTF-16 units are written as they are when all ASCII, else UTF-8 encoded. A long text goes to the native
 * encoder at once (a copy for ASCII); short ones are copied here, cheaper than a call into the encoder.
 */
function putText(text: string): void {
  const length = text.length;
  if (at + length * 3 > out.length) reserve(length * 3);
  if (length > 64) {
    at += utf8.encodeInto(text, out.subarray(at)).written;
    return;
  }
  const buffer = out;
  let p = at;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) {
      at = p + utf8.encodeInto(text.slice(i), buffer.subarray(p)).written;
      return;
    }
    buffer[p++] = c;
  }
  at = p;
}

/** Two ASCII characters (the layout's `,\n`, `{\n`, `\n}`, …). */
function putPair(first: number, second: number): void {
  reserve(2);
  out[at++] = first;
  out[at++] = second;
}

/**
 * `value` as a JSON string, then `" : "` when `after` is 3 (an object key): ASCII without escapes is copied as it
 * is, anything else takes {@link putEscaped}. The hot call of the writer (every key and string value): kept small,
 * with the buffer and position in locals, so that the loop keeps them in registers.
 */
function putQuoted(value: string, after: 0 | 3): void {
  const length = value.length;
  if (at + length + 5 > out.length) reserve(length + 5);
  const buffer = out;
  let p = at;
  buffer[p++] = 0x22;
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c >= 0x80 || c === 0x22 || c === 0x5c) return putEscaped(value, after);
    buffer[p++] = c;
  }
  buffer[p++] = 0x22;
  if (after !== 0) {
    buffer[p++] = 0x20;
    buffer[p++] = 0x3a;
    buffer[p++] = 0x20;
  }
  at = p;
}

/** {@link putQuoted} of a string that needs escapes or holds non-ASCII: the exact quoting, then UTF-8. */
function putEscaped(value: string, after: 0 | 3): void {
  putText(after === 0 ? quoteJsonString(value) : keyText(value));
}

function put(value: JsonValue): void {
  if (typeof value === "string") putQuoted(value, 0);
  else if (value instanceof JsonObject) {
    if (Object.isFrozen(value)) {
      const bytes = FROZEN_BYTES.get(value);
      if (bytes !== undefined) putBytes(bytes);
      else {
        const start = at;
        const before = flushes;
        putObject(value);
        if (flushes === before) FROZEN_BYTES.set(value, out.slice(start, at));
      }
    } else putObject(value);
  } else if (Array.isArray(value)) {
    if (value.length === 0) {
      putText("[\n\n]");
      return;
    }
    putPair(0x5b, 0x0a);
    put(value[0]);
    for (let i = 1; i < value.length; i++) {
      putPair(0x2c, 0x0a);
      put(value[i]);
    }
    putPair(0x0a, 0x5d);
  } else if (isObjectLike(value) && !(value instanceof JsonNumber)) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) {
      putText("{\n\n}");
      return;
    }
    for (let i = 0; i < entries.length; i++) {
      putPair(i === 0 ? 0x7b : 0x2c, 0x0a);
      putText(quoteJsonString(entries[i][0]) + " : ");
      put(entries[i][1] as JsonValue);
    }
    putPair(0x0a, 0x7d);
  } else putText(writeOther(value));
}

function putObject(value: JsonObject): void {
  const flat = value.flat;
  if (flat.length === 0) {
    putText("{\n\n}");
    return;
  }
  putPair(0x7b, 0x0a);
  putQuoted(flat[0] as string, 3);
  put(flat[1]);
  for (let j = 2; j < flat.length; j += 2) {
    putPair(0x2c, 0x0a);
    putQuoted(flat[j] as string, 3);
    put(flat[j + 1]);
  }
  putPair(0x0a, 0x7d);
}
