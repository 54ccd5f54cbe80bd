/**
 * DB-JSON → FHiCL exactly as artdaq_database exports it (`FhiclWriter::write_data`, artdaq-database.md §5.4):
 * a comment line before every key, `" " + annotation + "\n"` after scalars and sequences, `{\n…\n}` tables,
 * `", "`-joined sequences, `#include "x" ` lines and `BEGIN_PROLOG`/`END_PROLOG` around the prolog.
 *
 * @module
 */

import { RunInputError } from "../errors.ts";
import { JsonNumber, JsonObject, type JsonValue } from "../json/model.ts";
import { detached, JsonReader, MAX_JSON_DEPTH } from "../json/parse.ts";
import { ownModelStrings, readReusing, RecentTexts } from "../json/recent_texts.ts";
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
 * One node of DB-JSON metadata as the writer reads it: of each field, the first entry with its key (the one `get`
 * finds); a missing field, or one that is not a string, reads as "".
 */
class MetaNode {
  /** The first `type` entry's value as stored, kept for {@link metaFor}'s comparison (undefined when missing). */
  typeValue: JsonValue | undefined = undefined;
  type = "";
  comment = "";
  annotation = "";
  protection = "";
  /** The first `children` entry when it is an object, else empty. */
  children: FhiclMetadata = NO_METADATA;
  /**
   * False when this node or one below holds a container as a value the writer does not read as a node (its nesting,
   * which the limit counts, is not known): such a node is never taken for another place with the same text
   * (`readNode`). Every other node is: two nodes of the same text render the same, also where `metaFor` compares
   * their types by identity (it then picks between equal nodes).
   */
  shareable = true;
  /** Levels of JSON nesting of its text, itself included (when shareable). */
  height = 1;
  /** True once its strings and those below it are copies, not slices of a document's text (`SEEN.keep`). */
  ownStrings = false;
}

/**
 * The entries of a DB-JSON metadata object (`document.metadata`, or a node's `children`) in order, duplicate keys
 * kept: the key of entry `i` at `2 * i`, its node at `2 * i + 1` (null for a value that is not an object). Built
 * from the ordered model ({@link dbJsonToFhicl}) or read straight from a stored document's text
 * ({@link readFhiclMetadata}), so that the export does not build the model of the metadata, four fifths of a
 * stored document.
 */
export class FhiclMetadata {
  readonly flat: Array<string | MetaNode | null>;
  /** False when a node in it is not shareable (see `MetaNode.shareable`). */
  readonly shareable: boolean;
  /** Levels of JSON nesting of its text, itself included (when shareable). */
  readonly height: number;
  constructor(flat: Array<string | MetaNode | null>, shareable = true, height = 1) {
    this.flat = flat;
    this.shareable = shareable;
    this.height = height;
  }
  get size(): number {
    return this.flat.length >> 1;
  }
  /** The node of the first entry with `key` (undefined when there is none). */
  get(key: string): MetaNode | null | undefined {
    const flat = this.flat;
    for (let j = 0; j < flat.length; j += 2) if (flat[j] === key) return flat[j + 1] as MetaNode | null;
    return undefined;
  }
}

const NO_METADATA = new FhiclMetadata([]);
Object.freeze(NO_METADATA.flat);

/** Bits of the fields a {@link MetaNode} has taken (each from its first entry). */
const TYPE = 1, CHILDREN = 2;
const TEXT_FIELD = { comment: 4, annotation: 8, protection: 16 } as const;

/** The metadata of the ordered model's object `metadata`, as the writer reads it. */
function metadataOf(metadata: JsonObject): FhiclMetadata {
  const source = metadata.flat;
  const flat: Array<string | MetaNode | null> = new Array(source.length);
  for (let j = 0; j < source.length; j += 2) {
    const node = source[j + 1];
    flat[j] = source[j] as string;
    flat[j + 1] = node instanceof JsonObject ? metaNodeOf(node) : null;
  }
  return new FhiclMetadata(flat);
}

function metaNodeOf(object: JsonObject): MetaNode {
  const node = new MetaNode();
  const flat = object.flat;
  let taken = 0;
  for (let j = 0; j < flat.length; j += 2) {
    const key = flat[j] as string;
    const value = flat[j + 1];
    switch (key) {
      case "type":
        if (taken & TYPE) break;
        taken |= TYPE;
        node.typeValue = value;
        node.type = text(value);
        break;
      case "comment":
      case "annotation":
      case "protection":
        if (!(taken & TEXT_FIELD[key])) node[key] = text(value);
        taken |= TEXT_FIELD[key];
        break;
      case "children":
        if (!(taken & CHILDREN) && value instanceof JsonObject) node.children = metadataOf(value);
        taken |= CHILDREN;
        break;
    }
  }
  return node;
}

/**
 * Reads the DB-JSON metadata object at the reader's position (`document.metadata` of a stored document) straight
 * into the writer's tree: the same tree {@link dbJsonToFhicl} makes of the model, without the model. Null when the
 * value there is not an object (rendering it then fails as {@link dbJsonToFhicl} does).
 *
 * @example
 * ```ts
 * const reader = new JsonReader(text); // positioned at the value of "metadata"
 * renderFhicl(data, readFhiclMetadata(reader));
 * ```
 */
export function readFhiclMetadata(reader: JsonReader): FhiclMetadata | null {
  if (reader.peek() !== 0x7b) {
    reader.value();
    return null;
  }
  try {
    return readMetadata(reader);
  } finally {
    SEEN.keep();
  }
}

/**
 * Nodes read lately, with their exact text: most nodes of a document have one of a few texts (a leaf
 * `{"type" : "number", "comment" : "", "annotation" : ""}` in the JsonWriter layout; the metadata of each of a
 * hundred identical tables), taken after one comparison of text instead of being read key by key. A new node takes the
 * last place: the leaves used most stay first.
 */
const SEEN = new RecentTexts<MetaNode>({
  slots: 16,
  insertAt: 15,
  keptText: 4096,
  keptTotal: 64 << 10,
  keptDocuments: 1 << 20,
  ownStrings,
});

function readNode(reader: JsonReader): MetaNode {
  const start = reader.pos;
  const seen = SEEN.find(reader.text, start, MAX_JSON_DEPTH - reader.depth);
  if (seen !== undefined) {
    reader.pos = start + SEEN.length;
    return seen;
  }
  const node = readMetaNode(reader);
  if (node.shareable) SEEN.remember(reader.text, start, reader.pos, node, node.height);
  return node;
}

/** Replaces the strings of `node` and of the nodes below it by copies of their own (once per node). */
function ownStrings(node: MetaNode): void {
  if (node.ownStrings) return;
  node.ownStrings = true;
  node.type = detached(node.type);
  if (typeof node.typeValue === "string") node.typeValue = node.type;
  node.comment = detached(node.comment);
  node.annotation = detached(node.annotation);
  node.protection = detached(node.protection);
  const flat = node.children.flat;
  for (let j = 0; j < flat.length; j += 2) {
    flat[j] = detached(flat[j] as string);
    const child = flat[j + 1];
    if (child instanceof MetaNode) ownStrings(child);
  }
}

function readMetadata(reader: JsonReader): FhiclMetadata {
  const flat: Array<string | MetaNode | null> = [];
  const list = { shareable: true };
  let height = 0;
  for (let key = reader.firstKey(); key !== null; key = reader.nextKey()) {
    if (reader.peek() === 0x7b) {
      const node = readNode(reader);
      if (!node.shareable) list.shareable = false;
      if (node.height > height) height = node.height;
      flat.push(key, node);
    } else {
      skip(reader, list);
      flat.push(key, null);
    }
  }
  return new FhiclMetadata(flat, list.shareable, 1 + height);
}

function readMetaNode(reader: JsonReader): MetaNode {
  const node = new MetaNode();
  let taken = 0;
  for (let key = reader.firstKey(); key !== null; key = reader.nextKey()) {
    switch (key) {
      case "type":
        if (taken & TYPE) skip(reader, node);
        else {
          taken |= TYPE;
          if (reader.peek() === 0x22) node.typeValue = reader.string();
          else {
            node.typeValue = reader.value();
            if (node.typeValue instanceof JsonObject || Array.isArray(node.typeValue)) node.shareable = false;
          }
          node.type = text(node.typeValue);
        }
        break;
      case "comment":
      case "annotation":
      case "protection":
        if (taken & TEXT_FIELD[key]) skip(reader, node);
        else node[key] = readText(reader, node);
        taken |= TEXT_FIELD[key];
        break;
      case "children":
        if (!(taken & CHILDREN) && reader.peek() === 0x7b) {
          node.children = readMetadata(reader);
          node.height = 1 + node.children.height;
          if (!node.children.shareable) node.shareable = false;
        } else skip(reader, node);
        taken |= CHILDREN;
        break;
      default:
        skip(reader, node);
    }
  }
  return node;
}

/** Reads past a value the writer does not use; a container makes `node` unshareable (its height is not known). */
function skip(reader: JsonReader, node: { shareable: boolean }): void {
  const value = reader.value();
  if (value instanceof JsonObject || Array.isArray(value)) node.shareable = false;
}

/** The next value as the writer reads a text field: a string, or "" for any other value. */
function readText(reader: JsonReader, node: MetaNode): string {
  if (reader.peek() === 0x22) return reader.string();
  skip(reader, node);
  return "";
}

function renderTable(data: JsonObject, children: FhiclMetadata): string {
  return "{\n" + renderAtoms(data, children, false) + "\n}";
}

function renderSequence(data: JsonValue[], metas: FhiclMetadata): string {
  const flat = metas.flat;
  let out = "[";
  // Element metadata is keyed "0", "1", … in order: while every earlier entry had its own index as key, entry i
  // keyed "i" is that key's first entry, which is what `get` returns (a lookup per element made long sequences
  // quadratic). Anything else falls back to `get`.
  let aligned = true;
  for (let i = 0; i < data.length; i++) {
    const name = i < INDEX_KEYS.length ? INDEX_KEYS[i] : String(i);
    aligned &&= 2 * i < flat.length && flat[2 * i] === name;
    const meta = aligned ? flat[2 * i + 1] as MetaNode | null : metas.get(name);
    if (meta == null) break; // the C++ writer silently drops the rest
    if (i > 0) out += ", ";
    out += renderElement(data[i], meta);
  }
  return out + "]";
}

/** Sequence element keys "0", "1", ... made once instead of per element. */
const INDEX_KEYS: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));

/** A sequence element: no comment line; nested sequences keep their `" " + annotation + "\n"`. */
function renderElement(value: JsonValue, meta: MetaNode): string {
  if (value instanceof JsonObject) return renderTable(value, meta.children);
  if (Array.isArray(value)) return renderSequence(value, meta.children) + " " + meta.annotation + "\n";
  return renderScalar(value, meta.type);
}

function renderAtom(key: string, value: JsonValue, meta: MetaNode, own: MetaNode | null | undefined): string {
  if (key.startsWith(INCLUDE_KEY_PREFIX)) {
    return ' \n#include "' + scalarText(value) + '" ' + meta.annotation + "\n";
  }
  const protection = meta.protection;
  let out = meta.comment + "\n" + key;
  if (protection !== "" && protection !== "@none") out += " " + protection;
  out += ": ";
  if (value instanceof JsonObject) return out + renderTable(value, meta.children);
  if (Array.isArray(value)) return out + renderSequence(value, meta.children) + " " + meta.annotation + "\n";
  // A later duplicate of a key whose first occurrence was a table: printed as a `string`, with no annotation. A
  // quoted string keeps its own quotes (`own`): the `string` rule would unquote "x,y" into invalid FHiCL.
  if (meta.type === "table") {
    const ownType = own?.type ?? "";
    const quoted = ownType === "string_doublequoted" || ownType === "string_singlequoted";
    return out + renderScalar(value, quoted ? ownType : "string");
  }
  return out + renderScalar(value, meta.type) + " " + meta.annotation + "\n";
}

/**
 * The metadata of the `occurrence`-th data entry with `key`. The C++ writer always takes the first metadata entry
 * with the key. We follow it for scalars of the same type (duplicates print the first comment and annotation, as
 * artdaq_database does) and for the fixture-verified case "first a table, now a string". Where the C++ output loses
 * data (a string printed with a number's type; a repeated table or sequence rendered with the first one's children,
 * which drops every child the first lacked), we use the entry's own metadata, so that no value is lost.
 */
function metaFor(
  first: MetaNode | null | undefined,
  own: MetaNode | null | undefined,
  value: JsonValue,
): MetaNode | null | undefined {
  if (own === first || first == null || own == null) return first;
  if (value instanceof JsonObject || Array.isArray(value)) return own;
  const firstType = first.typeValue;
  return firstType === own.typeValue || firstType === "table" ? first : own;
}

/** Metadata entries with `key`, in order. */
function metasWithKey(metas: FhiclMetadata, key: string): Array<MetaNode | null> {
  const flat = metas.flat;
  const all: Array<MetaNode | null> = [];
  for (let j = 0; j < flat.length; j += 2) if (flat[j] === key) all.push(flat[j + 1] as MetaNode | null);
  return all;
}

function renderAtoms(data: JsonObject, metas: FhiclMetadata, topLevel: boolean): string {
  // Tables are small as a rule; a large one gets a key index so that lookups stay linear overall.
  let index: Map<string, Array<MetaNode | null>> | null = null;
  if (metas.size > 16) {
    index = new Map();
    const flat = metas.flat;
    for (let j = 0; j < flat.length; j += 2) {
      const k = flat[j] as string;
      const meta = flat[j + 1] as MetaNode | null;
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
    let meta: MetaNode | null | undefined;
    let own: MetaNode | null | undefined;
    if (occurrence === 0) {
      meta = own = index !== null ? index.get(key)?.[0] : metas.get(key);
    } else {
      const candidates = index !== null ? index.get(key) ?? [] : metasWithKey(metas, key);
      own = candidates[occurrence];
      meta = metaFor(candidates[0], own, value);
    }
    if (meta == null) {
      if (topLevel) {
        throw new RunInputError(`DB-JSON has no metadata for the top-level key "${key}"; the document is damaged`);
      }
      break; // nested: the C++ writer silently drops the rest of the table
    }
    out += renderAtom(key, value, meta, own);
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
  const metadata = field(document, "metadata");
  return renderFhicl(field(document, "data"), metadata instanceof JsonObject ? metadataOf(metadata) : null);
}

/**
 * {@link dbJsonToFhicl} of a document's `data` (in the ordered model) and `metadata` (as
 * {@link readFhiclMetadata} reads it). Throws `RunInputError` when either is missing or not an object.
 *
 * @example
 * ```ts
 * renderFhicl(data, readFhiclMetadata(reader)); // "\na: 1 # one\n"
 * ```
 */
export function renderFhicl(data: JsonValue | undefined, metadata: FhiclMetadata | null): string {
  if (!(data instanceof JsonObject) || metadata === null) {
    throw new RunInputError("not an artdaq_database FHiCL document: document.data or document.metadata is missing");
  }
  const part = (name: string): [JsonObject, FhiclMetadata] => {
    const d = data.get(name);
    return [d instanceof JsonObject ? d : EMPTY, metadata.get(name)?.children ?? NO_METADATA];
  };
  const [prologData, prologMeta] = part("prolog");
  const [mainData, mainMeta] = part("main");
  let out = "";
  if (prologData.size > 0) out += "BEGIN_PROLOG\n" + renderAtoms(prologData, prologMeta, true) + "\nEND_PROLOG\n";
  return out + renderAtoms(mainData, mainMeta, true);
}

/** What {@link readDbJsonParts} reads of a DB-JSON text. */
export interface DbJsonParts {
  /** `document.data` in the ordered model (undefined when missing). */
  data: JsonValue | undefined;
  /** `document.metadata` as the writer reads it (null when missing or not an object). */
  metadata: FhiclMetadata | null;
  /** The other top-level entries (bookkeeping of a stored document), in the ordered model. */
  others: JsonObject;
}

/**
 * `document.data` subtrees read lately (at least 1,000 characters of text), with their models. The documents of a
 * run repeat whole tables (every BoardReader of ProtoDUNE run 1001506 holds the same 40 kB destinations table: of
 * its documents' data, 94 % is in subtrees that one of the 4 documents before it holds). A new subtree enters in the
 * middle, so that a run of new ones does not push out the ones that recur; from one document to the next, up to
 * 1 MiB of their text is kept, and up to 2 MiB of documents' text stays alive for them (with the metadata's 1 MiB,
 * well under the 8 MiB of large objects past which a conversion thread collects after a call).
 */
const DATA = new RecentTexts<JsonValue>({
  slots: 16,
  insertAt: 8,
  keptText: 256 << 10,
  keptTotal: 1 << 20,
  keptDocuments: 2 << 20,
  ownStrings: ownModelStrings,
});

/** `document.data` at the reader, its repeated subtrees taken from {@link DATA} (shared: never changed). */
function readData(reader: JsonReader): JsonValue {
  try {
    return readReusing(reader, DATA, 1000);
  } finally {
    DATA.keep();
  }
}

/**
 * Reads a DB-JSON text of the usual shape, `{"document": {"data": …, "metadata": …, …}, …}` (a stored document or a
 * `fhicl_to_json` output), for its export: `document.data` into the model, `document.metadata` straight into the
 * writer's tree ({@link readFhiclMetadata}), the other top-level entries into the model; of `document` and of its
 * parts the first entry counts, as `get` finds it. Null when the text is not an object whose first `document` entry is
 * an object (parse it whole then). Throws `JsonSyntaxError` for invalid text; text after the object is not read.
 *
 * @example
 * ```ts
 * const parts = readDbJsonParts(text, "doc.json");
 * const fhicl = parts ? renderFhicl(parts.data, parts.metadata) : dbJsonToFhicl(parseOrdered(text));
 * ```
 */
export function readDbJsonParts(text: string, source = "<input>"): DbJsonParts | null {
  const reader = new JsonReader(text, source);
  if (reader.peek() !== 0x7b) return null;
  const others: JsonValue[] = [];
  let found = false;
  let data: JsonValue | undefined;
  let metadata: FhiclMetadata | null = null;
  for (let key = reader.firstKey(); key !== null; key = reader.nextKey()) {
    if (key !== "document" || found) {
      others.push(key, reader.value());
      continue;
    }
    found = true;
    if (reader.peek() !== 0x7b) return null;
    let haveData = false;
    let haveMetadata = false;
    for (let part = reader.firstKey(); part !== null; part = reader.nextKey()) {
      if (part === "data" && !haveData) {
        haveData = true;
        data = readData(reader);
      } else if (part === "metadata" && !haveMetadata) {
        haveMetadata = true;
        metadata = readFhiclMetadata(reader);
      } else reader.value();
    }
  }
  return found ? { data, metadata, others: new JsonObject({ flat: others }) } : null;
}
