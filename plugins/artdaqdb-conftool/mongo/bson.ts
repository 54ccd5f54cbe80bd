/**
 * Raw BSON for artdaq_database documents. The MongoDB driver turns documents into JS objects, which merge
 * duplicate keys; artdaq_database's libbson keeps them (artdaq-database.md §3.4: a FHiCL file with a top-level key
 * assigned twice is stored with the key twice). So:
 *
 * - writing: the ordered model becomes {@link OrderedBsonDocument}, a `Map` whose `entries()` yields the entries
 *   as they are, duplicates included; npm:bson serialises a `Map` through exactly that iterator;
 * - reading: documents are fetched as raw bytes (`raw: true`) and decoded here into the ordered model.
 *
 * Types follow what the C++ writer produces: `_id` (any `{"$oid": …}` object) → ObjectId, integers → int32 when
 * they fit (libbson's rule, e.g. `comments[].linenum`, `database_format`) else int64, other numbers → double,
 * strings, booleans.
 *
 * @module
 */

import { Double, Int32, Long, ObjectId } from "bson";
import { JsonNumber, JsonObject, type JsonValue } from "../../../core/json/mod.ts";

/**
 * A BSON document whose entries may repeat a key. npm:bson serialises any `Map` by iterating `entries()`, so the
 * override is the whole trick; `get`/`has` of `Map` are not used by the serializer.
 */
export class OrderedBsonDocument extends Map<string, unknown> {
  readonly #pairs: Array<[string, unknown]>;
  constructor(pairs: Array<[string, unknown]>) {
    super();
    this.#pairs = pairs;
  }
  /** The entries in order, duplicates included. */
  override entries(): MapIterator<[string, unknown]> {
    return this.#pairs[Symbol.iterator]() as MapIterator<[string, unknown]>;
  }
  override [Symbol.iterator](): MapIterator<[string, unknown]> {
    return this.entries();
  }
  /** Number of entries, duplicates counted. */
  override get size(): number {
    return this.#pairs.length;
  }
}

/**
 * The ordered model as a value npm:bson serialises with duplicates kept. `_id` is moved first, where MongoDB
 * keeps it anyway.
 *
 * @example
 * ```ts
 * const doc = toBson(parseOrdered('{"a":"1","a":"2","_id":{"$oid":"65e60e7d2b3f4c0d9a1e7f42"}}'));
 * BSON.serialize(doc); // bytes with _id first and both "a" entries
 * ```
 */
export function toBson(value: JsonValue): unknown {
  if (value instanceof JsonObject) {
    const oid = objectIdOf(value);
    if (oid) return oid;
    const pairs = value.entries().map(([key, inner]) => [key, toBson(inner)] as [string, unknown]);
    const idAt = pairs.findIndex(([key]) => key === "_id");
    if (idAt > 0) pairs.unshift(...pairs.splice(idAt, 1));
    return new OrderedBsonDocument(pairs);
  }
  if (Array.isArray(value)) return value.map(toBson);
  if (value instanceof JsonNumber) return numberToBson(value.text);
  if (typeof value === "number") return numberToBson(String(value));
  return value;
}

/**
 * Decodes raw BSON bytes of one document into the ordered model (duplicates kept, order kept). ObjectId becomes
 * `{"$oid": "<hex>"}`, int32/double become numbers, int64 a `JsonNumber`, dates an ISO string.
 *
 * @example
 * ```ts
 * const doc = fromBson(BSON.serialize(toBson(parseOrdered('{"a":"1","a":"2"}')))) as JsonObject;
 * doc.getAll("a"); // ["1", "2"]
 * ```
 */
export function fromBson(bytes: Uint8Array): JsonObject {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return readDocument(bytes, view, 0, false) as JsonObject;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

function readDocument(bytes: Uint8Array, view: DataView, start: number, isArray: boolean): JsonObject | JsonValue[] {
  const length = view.getInt32(start, true);
  const end = start + length - 1;
  if (length < 5 || end >= bytes.length || bytes[end] !== 0) throw new RangeError("corrupt BSON document");
  const object = new JsonObject();
  const array: JsonValue[] = [];
  let pos = start + 4;
  while (pos < end) {
    const type = bytes[pos++];
    const nameEnd = bytes.indexOf(0, pos);
    if (nameEnd < 0 || nameEnd >= end) throw new RangeError("corrupt BSON key");
    const name = decoder.decode(bytes.subarray(pos, nameEnd));
    pos = nameEnd + 1;
    let value: JsonValue;
    switch (type) {
      case 0x01:
        value = view.getFloat64(pos, true);
        pos += 8;
        break;
      case 0x02: {
        const size = view.getInt32(pos, true);
        value = decoder.decode(bytes.subarray(pos + 4, pos + 4 + size - 1));
        pos += 4 + size;
        break;
      }
      case 0x03:
      case 0x04: {
        value = readDocument(bytes, view, pos, type === 0x04);
        pos += view.getInt32(pos, true);
        break;
      }
      case 0x07:
        value = new JsonObject([["$oid", hex(bytes.subarray(pos, pos + 12))]]);
        pos += 12;
        break;
      case 0x08:
        value = bytes[pos++] !== 0;
        break;
      case 0x09:
        value = new Date(Number(view.getBigInt64(pos, true))).toISOString();
        pos += 8;
        break;
      case 0x0a:
        value = null;
        break;
      case 0x10:
        value = view.getInt32(pos, true);
        pos += 4;
        break;
      case 0x12:
        value = new JsonNumber(view.getBigInt64(pos, true).toString());
        pos += 8;
        break;
      default:
        throw new RangeError(`BSON type 0x${type.toString(16)} of field '${name}' is not used by artdaq_database`);
    }
    if (isArray) array.push(value);
    else object.add(name, value);
  }
  return isArray ? array : object;
}

function objectIdOf(value: JsonObject): ObjectId | null {
  if (value.size !== 1 || value.keyAt(0) !== "$oid") return null;
  const hexText = value.valueAt(0);
  return typeof hexText === "string" && /^[0-9a-f]{24}$/i.test(hexText) ? new ObjectId(hexText) : null;
}

function numberToBson(text: string): Int32 | Long | Double {
  if (/^-?\d+$/.test(text)) {
    const big = BigInt(text);
    if (big >= -2147483648n && big <= 2147483647n) return new Int32(Number(big));
    if (big >= -(2n ** 63n) && big < 2n ** 63n) return Long.fromBigInt(big);
  }
  return new Double(Number(text));
}

function hex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}
