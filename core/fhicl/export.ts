/**
 * DB-JSON → FHiCL exactly as artdaq_database exports it (`FhiclWriter::write_data`, artdaq-database.md §5.4):
 * a comment line before every key, `" " + annotation + "\n"` after scalars and sequences, `{\n…\n}` tables,
 * `", "`-joined sequences, `#include "x" ` lines and `BEGIN_PROLOG`/`END_PROLOG` around the prolog.
 *
 * @module
 */

import { RunInputError } from "../errors.ts";
import { JsonNumber, JsonObject, type JsonValue } from "../json/model.ts";
import { formatKarmaDouble } from "../json/stringify.ts";
import { INCLUDE_KEY_PREFIX } from "./comments.ts";

const EMPTY = new JsonObject();

function field(object: JsonValue | undefined, key: string): JsonValue | undefined {
  return object instanceof JsonObject ? object.get(key) : undefined;
}

function text(value: JsonValue | undefined): string {
  return typeof value === "string" ? value : "";
}

/** Characters that make the writer quote a value of the legacy `string` type. */
function needsQuotes(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    // space . % ( ) / - \
    if (c === 0x20 || c === 0x2e || c === 0x25 || c === 0x28 || c === 0x29 || c === 0x2f || c === 0x2d || c === 0x5c) {
      return true;
    }
  }
  return false;
}

/** Scalar text: strings verbatim, real JSON numbers and booleans as Boost.Karma prints them. */
function scalarText(value: JsonValue): string {
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (value instanceof JsonNumber) return value.isInteger ? value.text : formatKarmaDouble(value.toNumber());
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : formatKarmaDouble(value);
  return "";
}

function renderScalar(value: JsonValue, type: string): string {
  const v = scalarText(value);
  switch (type) {
    case "string_doublequoted":
      return '"' + v + '"';
    case "string_singlequoted":
      return "'" + v + "'";
    case "string":
      return needsQuotes(v) ? '"' + v + '"' : v;
    default:
      return v;
  }
}

/**
 * The fields of one metadata node that the writer reads, each the first entry with its key (as `get` finds it),
 * read in one pass over the node's entries instead of one lookup per field: walking backwards, the first entry
 * of a key is the one assigned last.
 */
class Meta {
  type = "";
  comment = "";
  annotation = "";
  protection = "";
  children: JsonValue | undefined = undefined;
  constructor(meta: JsonObject) {
    const flat = meta.flat;
    for (let j = flat.length - 2; j >= 0; j -= 2) {
      const key = flat[j];
      const value = flat[j + 1];
      if (key === "type") this.type = text(value);
      else if (key === "comment") this.comment = text(value);
      else if (key === "annotation") this.annotation = text(value);
      else if (key === "protection") this.protection = text(value);
      else if (key === "children") this.children = value;
    }
  }
}

function renderTable(data: JsonObject, children: JsonValue | undefined): string {
  return "{\n" + renderAtoms(data, children instanceof JsonObject ? children : EMPTY, false) + "\n}";
}

function renderSequence(data: JsonValue[], children: JsonValue | undefined): string {
  const metas = children instanceof JsonObject ? children : EMPTY;
  const flat = metas.flat;
  let out = "[";
  // Element metadata is keyed "0", "1", … in order: while every earlier entry had its own index as key, entry i
  // keyed "i" is that key's first entry, which is what `get` returns (a lookup per element made long sequences
  // quadratic). Anything else falls back to `get`.
  let aligned = true;
  for (let i = 0; i < data.length; i++) {
    const name = i < INDEX_KEYS.length ? INDEX_KEYS[i] : String(i);
    aligned &&= 2 * i < flat.length && flat[2 * i] === name;
    const meta = aligned ? flat[2 * i + 1] : metas.get(name);
    if (!(meta instanceof JsonObject)) break; // the C++ writer silently drops the rest
    if (i > 0) out += ", ";
    out += renderElement(data[i], meta);
  }
  return out + "]";
}

/** Sequence element keys "0", "1", ... made once instead of per element. */
const INDEX_KEYS: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));

/** A sequence element: no comment line; nested sequences keep their `" " + annotation + "\n"`. */
function renderElement(value: JsonValue, meta: JsonObject): string {
  if (value instanceof JsonObject) return renderTable(value, meta.get("children"));
  if (Array.isArray(value)) {
    const fields = new Meta(meta);
    return renderSequence(value, fields.children) + " " + fields.annotation + "\n";
  }
  return renderScalar(value, text(meta.get("type")));
}

function renderAtom(key: string, value: JsonValue, meta: JsonObject, own?: JsonObject): string {
  const fields = new Meta(meta);
  if (key.startsWith(INCLUDE_KEY_PREFIX)) {
    return ' \n#include "' + scalarText(value) + '" ' + fields.annotation + "\n";
  }
  const protection = fields.protection;
  let out = fields.comment + "\n" + key;
  if (protection !== "" && protection !== "@none") out += " " + protection;
  out += ": ";
  if (value instanceof JsonObject) return out + renderTable(value, fields.children);
  if (Array.isArray(value)) return out + renderSequence(value, fields.children) + " " + fields.annotation + "\n";
  // A later duplicate of a key whose first occurrence was a table: printed as a `string`, with no annotation. A
  // quoted string keeps its own quotes (`own`): the `string` rule would unquote "x,y" into invalid FHiCL.
  if (fields.type === "table") {
    const ownType = text(own?.get("type"));
    const quoted = ownType === "string_doublequoted" || ownType === "string_singlequoted";
    return out + renderScalar(value, quoted ? ownType : "string");
  }
  return out + renderScalar(value, fields.type) + " " + fields.annotation + "\n";
}

/**
 * The metadata of the `occurrence`-th data entry with `key`. The C++ writer always takes the first metadata entry
 * with the key. We follow it for scalars of the same type (duplicates print the first comment and annotation, as
 * artdaq_database does) and for the fixture-verified case "first a table, now a string". Where the C++ output loses
 * data (a string printed with a number's type; a repeated table or sequence rendered with the first one's children,
 * which drops every child the first lacked), we use the entry's own metadata, so that no value is lost.
 */
function metaFor(first: JsonValue | undefined, own: JsonValue | undefined, value: JsonValue): JsonValue | undefined {
  if (own === first || !(first instanceof JsonObject) || !(own instanceof JsonObject)) return first;
  if (value instanceof JsonObject || Array.isArray(value)) return own;
  const firstType = first.get("type");
  return firstType === own.get("type") || firstType === "table" ? first : own;
}

/** Metadata entries with `key`, in order (small tables are scanned; large ones use the prebuilt index). */
function metasWithKey(metas: JsonObject, key: string, index: Map<string, JsonValue[]> | null): JsonValue[] {
  if (index !== null) return index.get(key) ?? [];
  return metas.getAll(key);
}

function renderAtoms(data: JsonObject, metas: JsonObject, topLevel: boolean): string {
  // Tables are small as a rule; a large one gets a key index so that lookups stay linear overall.
  let index: Map<string, JsonValue[]> | null = null;
  if (metas.size > 16) {
    index = new Map();
    const flat = metas.flat;
    for (let j = 0; j < flat.length; j += 2) {
      const k = flat[j] as string;
      const meta = flat[j + 1];
      const list = index.get(k);
      if (list === undefined) index.set(k, [meta]);
      else list.push(meta);
    }
  }
  const flat = data.flat;
  let occurrences: Map<string, number> | null = null;
  let out = "";
  for (let i = 0; 2 * i < flat.length; i++) {
    const key = flat[2 * i] as string;
    const value = flat[2 * i + 1];
    let occurrence = 0;
    if (occurrences !== null) occurrence = occurrences.get(key) ?? 0;
    else if (flat.length <= 32) { for (let j = 0; j < 2 * i; j += 2) occurrence += flat[j] === key ? 1 : 0; }
    else occurrences = new Map();
    occurrences?.set(key, occurrence + 1);
    let meta: JsonValue | undefined;
    let own: JsonValue | undefined;
    if (occurrence === 0) {
      meta = own = index !== null ? index.get(key)?.[0] : metas.get(key);
    } else {
      const candidates = metasWithKey(metas, key, index);
      own = candidates[occurrence];
      meta = metaFor(candidates[0], own, value);
    }
    if (!(meta instanceof JsonObject)) {
      if (topLevel) {
        throw new RunInputError(`DB-JSON has no metadata for the top-level key "${key}"; the document is damaged`);
      }
      break; // nested: the C++ writer silently drops the rest of the table
    }
    out += renderAtom(key, value, meta, own instanceof JsonObject ? own : undefined);
  }
  return out;
}

/**
 * Writes the FHiCL text artdaq_database exports for a DB-JSON document (the whole stored document, or the
 * `fhicl_to_json` result; only `document.data` and `document.metadata` are read). Throws `RunInputError` when the
 * document lacks them.
 *
 * @example
 * ```ts
 * dbJsonToFhicl(fhiclToDbJson("a: 1 # one\n")); // "\na: 1 # one\n"
 * ```
 */
export function dbJsonToFhicl(doc: JsonValue): string {
  const document = field(doc, "document") ?? doc;
  const data = field(document, "data");
  const metadata = field(document, "metadata");
  if (!(data instanceof JsonObject) || !(metadata instanceof JsonObject)) {
    throw new RunInputError("not an artdaq_database FHiCL document: document.data or document.metadata is missing");
  }
  const part = (name: string): [JsonObject, JsonObject] => {
    const d = data.get(name);
    const m = field(metadata.get(name), "children");
    return [d instanceof JsonObject ? d : EMPTY, m instanceof JsonObject ? m : EMPTY];
  };
  const [prologData, prologMeta] = part("prolog");
  const [mainData, mainMeta] = part("main");
  let out = "";
  if (prologData.size > 0) out += "BEGIN_PROLOG\n" + renderAtoms(prologData, prologMeta, true) + "\nEND_PROLOG\n";
  return out + renderAtoms(mainData, mainMeta, true);
}
