/**
 * The order-preserving JSON value model used for every artdaq_database document.
 *
 * artdaq_database keeps object keys in insertion order and keeps duplicate keys (a FHiCL file with a top-level key
 * assigned twice is stored with that key twice). `JSON.parse` loses both, so stored documents use this model.
 *
 * @module
 */

/**
 * A JSON number kept as its source spelling, so that integers beyond 2^53 and spellings such as `1.0` survive a
 * parse → stringify round trip unchanged.
 *
 * @example
 * ```ts
 * const n = new JsonNumber("12345678901234567890");
 * n.toBigInt(); // 12345678901234567890n
 * ```
 */
export class JsonNumber {
  /** The exact source spelling, e.g. `-0.5`, `1e5`, `12345678901234567890`. */
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  /** True when the spelling has no fraction and no exponent. */
  get isInteger(): boolean {
    return !/[.eE]/.test(this.text);
  }
  /** The value as a JS number (may round for integers beyond 2^53). */
  toNumber(): number {
    return Number(this.text);
  }
  /** The value as a bigint; throws a RangeError when the spelling is not an integer. */
  toBigInt(): bigint {
    if (!this.isInteger) throw new RangeError(`JSON number ${this.text} is not an integer`);
    return BigInt(this.text);
  }
  /** Lets `+n` and comparisons work. */
  valueOf(): number {
    return this.toNumber();
  }
  /** The source spelling. */
  toString(): string {
    return this.text;
  }
}

/** Any value of the ordered model. Plain JS objects and numbers are accepted wherever a value is written. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonNumber
  | JsonObject
  | JsonValue[];

/**
 * A JSON object as an ordered list of entries; duplicate keys are kept in source order.
 *
 * Lookups (`get`, `has`) return the **first** entry with the key, which is how artdaq_database's FHiCL writer
 * matches data keys to metadata.
 *
 * @example
 * ```ts
 * const o = new JsonObject();
 * o.add("a", "1").add("a", "2");
 * o.get("a"); // "1"
 * o.getAll("a"); // ["1", "2"]
 * ```
 */
export class JsonObject {
  /**
   * The entries in order, flat: the key of entry `i` at `2 * i` (always a string), its value at `2 * i + 1`.
   * Read it through {@link keyAt}/{@link valueAt} and change it through the methods; the parser and converters
   * append pairs to it directly. One array per object instead of a `[key, value]` array per entry: a fraction of
   * the allocations, the memory and the collector's work for documents of millions of entries.
   */
  readonly flat: JsonValue[];
  /**
   * An object with `entries` (`[key, value]` pairs) in order, or over `{ flat }` (keys at even indexes, values at
   * odd ones; the array is adopted, not copied).
   */
  constructor(entries: ReadonlyArray<readonly [string, JsonValue]> | { flat: JsonValue[] } = []) {
    if (!Array.isArray(entries)) {
      this.flat = (entries as { flat: JsonValue[] }).flat;
      return;
    }
    const pairs = entries as ReadonlyArray<readonly [string, JsonValue]>;
    const flat: JsonValue[] = new Array(pairs.length * 2);
    for (let i = 0; i < pairs.length; i++) {
      flat[2 * i] = pairs[i][0];
      flat[2 * i + 1] = pairs[i][1];
    }
    this.flat = flat;
  }
  /** Number of entries, duplicates counted. */
  get size(): number {
    return this.flat.length >> 1;
  }
  /** The key of entry `i`. */
  keyAt(i: number): string {
    return this.flat[2 * i] as string;
  }
  /** The value of entry `i`. */
  valueAt(i: number): JsonValue {
    return this.flat[2 * i + 1];
  }
  /** Appends an entry even when the key exists (duplicate keys are legal here). Returns `this`. */
  add(key: string, value: JsonValue): this {
    this.flat.push(key, value);
    return this;
  }
  /** Replaces the value of the first entry with `key` in place, or appends one. Returns `this`. */
  set(key: string, value: JsonValue): this {
    const index = this.indexOf(key);
    if (index < 0) this.flat.push(key, value);
    else this.flat[2 * index + 1] = value;
    return this;
  }
  /** The value of the first entry with `key`, or undefined. */
  get(key: string): JsonValue | undefined {
    const flat = this.flat;
    for (let j = 0; j < flat.length; j += 2) if (flat[j] === key) return flat[j + 1];
    return undefined;
  }
  /** Every value stored under `key`, in order. */
  getAll(key: string): JsonValue[] {
    const out: JsonValue[] = [];
    const flat = this.flat;
    for (let j = 0; j < flat.length; j += 2) if (flat[j] === key) out.push(flat[j + 1]);
    return out;
  }
  /** Whether some entry has `key`. */
  has(key: string): boolean {
    return this.indexOf(key) >= 0;
  }
  /** Index of the first entry with `key`, or -1. */
  indexOf(key: string): number {
    const flat = this.flat;
    for (let j = 0; j < flat.length; j += 2) if (flat[j] === key) return j >> 1;
    return -1;
  }
  /** Removes the first entry with `key`; returns whether one was removed. */
  delete(key: string): boolean {
    const index = this.indexOf(key);
    if (index < 0) return false;
    this.flat.splice(2 * index, 2);
    return true;
  }
  /** The keys in order, duplicates included. */
  keys(): string[] {
    const out: string[] = new Array(this.size);
    for (let i = 0; i < out.length; i++) out[i] = this.flat[2 * i] as string;
    return out;
  }
  /** The entries in order as new `[key, value]` pairs (for code that is not on a hot path). */
  entries(): Array<[string, JsonValue]> {
    const out: Array<[string, JsonValue]> = new Array(this.size);
    for (let i = 0; i < out.length; i++) out[i] = [this.flat[2 * i] as string, this.flat[2 * i + 1]];
    return out;
  }
  /** Iterates `[key, value]` entries in order. */
  [Symbol.iterator](): IterableIterator<[string, JsonValue]> {
    return this.entries()[Symbol.iterator]();
  }
}

/** True for a JSON object of either form (ordered `JsonObject` or a plain JS object). */
export function isObjectLike(value: unknown): value is JsonObject | Record<string, unknown> {
  return value instanceof JsonObject ||
    (typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof JsonNumber));
}

/**
 * Converts a plain JS value (objects, arrays, strings, numbers, booleans) into the ordered model. Key order is the
 * plain object's own enumeration order. Already-ordered values are returned as they are.
 *
 * @example
 * ```ts
 * const doc = fromPlain({ a: [1, "x"] }) as JsonObject;
 * doc.get("a"); // [1, "x"]
 * ```
 */
export function fromPlain(value: unknown): JsonValue {
  if (value === null || typeof value === "string" || typeof value === "boolean" || typeof value === "number") {
    return value;
  }
  if (value instanceof JsonNumber || value instanceof JsonObject) return value;
  if (typeof value === "bigint") return new JsonNumber(value.toString());
  if (Array.isArray(value)) return value.map(fromPlain);
  if (typeof value === "object") {
    const out = new JsonObject();
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v !== undefined) out.add(k, fromPlain(v));
    }
    return out;
  }
  throw new TypeError(`cannot represent a ${typeof value} in JSON`);
}

/** How `toPlain` renders integers that a JS number cannot hold exactly. */
export type BigIntegerMode = "bigint" | "string" | "number";

/**
 * Converts an ordered value into plain JS values. For duplicate keys the **first** entry wins (artdaq_database's
 * lookup rule); later duplicates are dropped, so only use this for display or comparison, never for storing.
 * Numbers become JS numbers; integers beyond 2^53 become bigint (default), their decimal string, or a rounded
 * number, as `bigIntegers` says.
 *
 * @example
 * ```ts
 * toPlain(parseOrdered('{"a":1,"a":2,"b":[true]}')); // { a: 1, b: [true] }
 * ```
 */
export function toPlain(value: JsonValue, options: { bigIntegers?: BigIntegerMode } = {}): unknown {
  const mode = options.bigIntegers ?? "bigint";
  const convert = (v: JsonValue): unknown => {
    if (v instanceof JsonNumber) {
      const n = v.toNumber();
      if (v.isInteger && !Number.isSafeInteger(n) && mode !== "number") {
        return mode === "bigint" ? v.toBigInt() : v.text;
      }
      return n;
    }
    if (Array.isArray(v)) return v.map(convert);
    if (v instanceof JsonObject) {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < v.size; i++) {
        const k = v.keyAt(i);
        if (!Object.hasOwn(out, k)) out[k] = convert(v.valueAt(i));
      }
      return out;
    }
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) out[k] = convert(item as JsonValue);
      return out;
    }
    return v;
  };
  return convert(value);
}
