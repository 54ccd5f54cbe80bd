/**
 * The order-preserving JSON model for artdaq_database documents: parse with {@link parseOrdered} (key order,
 * duplicate keys and number spellings kept), write with {@link stringifyArtdaq} (the C++ JsonWriter layout), and
 * convert to plain JS values with {@link toPlain} for display.
 *
 * @example
 * ```ts
 * import { parseOrdered, stringifyArtdaq } from "./core/json/mod.ts";
 * const doc = parseOrdered('{"a":"1","a":"2"}');
 * stringifyArtdaq(doc); // '{\n"a" : "1",\n"a" : "2"\n}'
 * ```
 *
 * @module
 */

export {
  type BigIntegerMode,
  fromPlain,
  isObjectLike,
  JsonNumber,
  JsonObject,
  type JsonValue,
  toPlain,
} from "./model.ts";
export { JsonReader, JsonSyntaxError, MAX_JSON_DEPTH, parseOrdered, type ParseOrderedOptions } from "./parse.ts";
export {
  type ArtdaqBytesWriter,
  encodeArtdaq,
  encodeArtdaqWith,
  formatKarmaDouble,
  quoteJsonString,
  streamArtdaqWith,
  stringifyArtdaq,
} from "./stringify.ts";
export { caretExcerpt, locate, type SourceLocation } from "./location.ts";
