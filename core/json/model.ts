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
  /** The entries in order; mutate through the methods unless building in bulk. */
  readonly entries: Array<[string, JsonValue]>;
  constructor(entries: Array<[string, JsonValue]> = []) {
    this.entries = entries;
  }
  /** Number of entries, duplicates counted. */
  get size(): number {
    return this.entries.length;
  }
  /** Appends an entry even when the key exists (duplicate keys are legal here). Returns `this`. */
  add(key: string, value: JsonValue): this {
    this.entries.push([key, value]);
    return this;
  }
  /** Replaces the value of the first entry with `key` in place, or appends one. Returns `this`. */
  set(key: string, value: JsonValue): this {
    const index = this.indexOf(key);
    if (index < 0) this.entries.push([key, value]);
    else this.entries[index][1] = value;
    return this;
  }
  /** The value of the first entry with `key`, or undefined. */
  get(key: string): JsonValue | undefined {
    const index = this.indexOf(key);
    return index < 0 ? undefined : this.entries[index][1];
  }
  /** Every value stored under `key`, in order. */
  getAll(key: string): JsonValue[] {
    const out: JsonValue[] = [];
    for (const [k, v] of this.entries) if (k === key) out.push(v);
    return out;
  }
  /** Whether some entry has `key`. */
  has(key: string): boolean {
    return this.indexOf(key) >= 0;
  }
  /** Index of the first entry with `key`, or -1. */
  indexOf(key: string): number {
    const entries = this.entries;
    for (let i = 0; i < entries.length; i++) if (entries[i][0] === key) return i;
    return -1;
  }
  /** Removes the first entry with `key`; returns whether one was removed. */
  delete(key: string): boolean {
    const index = this.indexOf(key);
    if (index < 0) return false;
    this.entries.splice(index, 1);
    return true;
  }
  /** The keys in order, duplicates included. */
  keys(): string[] {
    return this.entries.map((e) => e[0]);
  }
  /** Iterates `[key, value]` entries in order. */
  [Symbol.iterator](): IterableIterator<[string, JsonValue]> {
    return this.entries[Symbol.iterator]();
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
      for (const [k, item] of v.entries) {
        if (!Object.hasOwn(out, k)) out[k] = convert(item);
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
