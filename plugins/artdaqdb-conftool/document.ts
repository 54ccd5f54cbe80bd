/**
 * The stored artdaq_database document (artdaq-database.md §3.1–3.3): a DB-JSON payload from `fhiclToDbJson`
 * wrapped with the 14 top-level keys in the order the C++ overlays create them, and helpers that read the
 * bookkeeping back from a stored document (ours or one the C++ tools wrote).
 *
 * @module
 */

import { describeError, StoreError } from "../../core/errors.ts";
import { encodeArtdaq, JsonObject, type JsonValue, parseOrdered, stringifyArtdaq } from "../../core/json/mod.ts";
import type { EncodedDocument, StoredDocument } from "./backend.ts";

/** The top-level keys of a stored document, in creation order (§3.1). */
export const TOP_LEVEL_KEYS = [
  "document",
  "comments",
  "origin",
  "version",
  "entities",
  "configurations",
  "changelog",
  "bookkeeping",
  "_id",
  "collection",
  "aliases",
  "runs",
  "attachments",
  "configtype",
] as const;

/** The placeholder artdaq_database stores for every missing name. */
export const NOT_PROVIDED = "notprovided";

/** Where and as what a payload is stored (the `store` query's collection and filter). */
export interface StoreTarget {
  collection: string;
  /** `<run>/<configName>`. */
  configuration: string;
  /** `<run>/<configName>` for the initial archive, `<run>/<configName>v<N>` for updates. */
  version: string;
  /** The entity name (file stem or schema-rule entity). */
  entity: string;
  /** Run number as text (`runs.name`). */
  run: string;
  /** 24-hex `_id.$oid`. */
  id: string;
  /** artdaq timestamp stamped on every `assigned`/`created`/`timestamp` field. */
  timestamp: string;
}

/**
 * Builds the stored document for a FHiCL payload exactly as `store` with `dataformat: "fhicl"` and a run builds it:
 * §3.2 field by field, including the bookkeeping log `addConfiguration, setVersion, setCollection, addEntity,
 * addRun` (§3.1).
 *
 * @example
 * ```ts
 * const dbJson = fhiclToDbJson("a: 1", "boot");
 * const doc = buildStoredDocument(dbJson, { collection: "RunHistory", configuration: "1/std", version: "1/std",
 *   entity: "boot", run: "1", id: "65e60e7d2b3f4c0d9a1e7f42", timestamp: "2024-03-04T12:05:01.337-0600" });
 * doc.keys().length; // 14
 * ```
 */
export function buildStoredDocument(dbJson: JsonObject, target: StoreTarget): JsonObject {
  const ts = target.timestamp;
  const payload = asObject(dbJson.get("document"), "document");
  const document = new JsonObject([
    ["data", payload.get("data") ?? new JsonObject()],
    ["metadata", payload.get("metadata") ?? new JsonObject()],
    ["search", payload.get("search") ?? []],
  ]);
  const sourceOrigin = dbJson.get("origin");
  const origin = sourceOrigin instanceof JsonObject ? sourceOrigin : new JsonObject();
  const named = (name: string) => new JsonObject([["name", name], ["assigned", ts]]);
  const event = (name: string, value: string) =>
    new JsonObject([["event", name], ["timestamp", ts], ["value", named(value)]]);
  return new JsonObject([
    ["document", document],
    ["comments", dbJson.get("comments") ?? []],
    [
      "origin",
      new JsonObject([
        ["format", textOr(origin.get("format"), "fhicl")],
        ["name", target.entity],
        ["source", textOr(origin.get("source"), "fhicl_to_json")],
        ["timestamp", ts],
        ["created", ts],
        ["rawdata", []],
      ]),
    ],
    ["version", target.version],
    ["entities", [named(target.entity)]],
    ["configurations", [named(target.configuration)]],
    ["changelog", NOT_PROVIDED],
    [
      "bookkeeping",
      new JsonObject([
        ["isdeleted", false],
        ["isreadonly", false],
        [
          "updates",
          [
            event("addConfiguration", target.configuration),
            event("setVersion", target.version),
            event("setCollection", target.collection),
            event("addEntity", target.entity),
            event("addRun", target.run),
          ],
        ],
        ["created", ts],
      ]),
    ],
    ["_id", new JsonObject([["$oid", target.id]])],
    ["collection", target.collection],
    ["aliases", new JsonObject([["active", []], ["history", []]])],
    ["runs", [named(target.run)]],
    ["attachments", []],
    ["configtype", NOT_PROVIDED],
  ]);
}

/** The bookkeeping fields of a stored document that the store and the index need. */
export interface DocumentFacts {
  id: string;
  version: string;
  entities: string[];
  configurations: Array<{ name: string; assigned: string }>;
  runs: string[];
  aliases: string[];
  /** `bookkeeping.created`, else `origin.created`, else "". */
  created: string;
  /** `origin.format` (`fhicl`, `json`, ...). */
  format: string;
}

/**
 * Reads the bookkeeping of a stored document. Tolerates documents other writers made: missing keys read as
 * empty, `_id` may be `{"$oid": …}` or a bare string.
 *
 * @example
 * ```ts
 * documentFacts(doc).entities; // ["boot"]
 * ```
 */
export function documentFacts(doc: JsonObject): DocumentFacts {
  const idValue = doc.get("_id");
  const id = idValue instanceof JsonObject ? textOr(idValue.get("$oid"), "") : textOr(idValue, "");
  const names = (key: string) => listOf(doc.get(key)).map((item) => textOr(nameOf(item), NOT_PROVIDED));
  const configurations = listOf(doc.get("configurations")).map((item) => ({
    name: textOr(nameOf(item), NOT_PROVIDED),
    assigned: item instanceof JsonObject ? textOr(item.get("assigned"), "") : "",
  }));
  const aliases = doc.get("aliases");
  const bookkeeping = doc.get("bookkeeping");
  const origin = doc.get("origin");
  const created = (bookkeeping instanceof JsonObject ? textOr(bookkeeping.get("created"), "") : "") ||
    (origin instanceof JsonObject ? textOr(origin.get("created"), "") : "");
  return {
    id,
    version: textOr(doc.get("version"), NOT_PROVIDED),
    entities: names("entities"),
    configurations,
    runs: names("runs"),
    aliases: aliases instanceof JsonObject
      ? listOf(aliases.get("active")).map((item) => textOr(nameOf(item), NOT_PROVIDED))
      : [],
    created,
    format: origin instanceof JsonObject ? textOr(origin.get("format"), "fhicl") : "fhicl",
  };
}

/**
 * A canonical text of the payload (`document.data` and `document.metadata`): two documents with equal payload
 * keys export to the same FHiCL, whatever their timestamps or ids. Used to skip rewriting identical documents.
 */
export function payloadKey(doc: JsonObject): string {
  const payload = doc.get("document");
  if (!(payload instanceof JsonObject)) return "";
  return stringifyArtdaq(payload.get("data") ?? new JsonObject()) + "\n\0\n" +
    stringifyArtdaq(payload.get("metadata") ?? new JsonObject());
}

/**
 * A stored document as the filesystem provider's `<oid>.json` file holds it (artdaq_database's JsonWriter layout,
 * UTF-8), with its index facts.
 *
 * @example
 * ```ts
 * const encoded = encodeDocument({ collection: "RunHistory", id, doc });
 * encoded.facts.version; // "12345/standard"
 * ```
 */
export function encodeDocument(stored: StoredDocument): EncodedDocument & { data: Uint8Array } {
  return {
    collection: stored.collection,
    id: stored.id,
    facts: documentFacts(stored.doc),
    data: encodeArtdaq(stored.doc),
  };
}

/**
 * Parses a stored document's JSON text as the filesystem provider reads it (trailing text after the object is
 * tolerated, as artdaq_database's reader does); a text that is not a JSON object is a `StoreError` naming `source`.
 *
 * @example
 * ```ts
 * const stored = parseStoredDocument(text, { collection: "RunHistory", id, source: path });
 * documentFacts(stored.doc).version; // "12345/standard"
 * ```
 */
export function parseStoredDocument(
  text: string,
  where: { collection: string; id: string; source: string },
): StoredDocument {
  let doc;
  try {
    doc = parseOrdered(text, { source: where.source, allowTrailing: true });
  } catch (error) {
    throw new StoreError(`${where.source} is not a valid document: ${describeError(error)}`);
  }
  if (!(doc instanceof JsonObject)) throw new StoreError(`${where.source} is not a JSON object`);
  return { collection: where.collection, id: where.id, doc };
}

/** Returns `doc` with `_id` moved to its §3.1 place (MongoDB returns `_id` first). */
export function inArtdaqOrder(doc: JsonObject): JsonObject {
  const idIndex = doc.indexOf("_id");
  const after = doc.indexOf("bookkeeping");
  if (idIndex !== 0 || after < 0) return doc;
  const flat = doc.flat.slice(2);
  flat.splice(2 * after, 0, doc.flat[0], doc.flat[1]);
  return new JsonObject({ flat });
}

function asObject(value: JsonValue | undefined, what: string): JsonObject {
  if (value instanceof JsonObject) return value;
  throw new TypeError(`DB-JSON document has no '${what}' object`);
}

function nameOf(item: JsonValue): JsonValue | undefined {
  return item instanceof JsonObject ? item.get("name") : item;
}

function listOf(value: JsonValue | undefined): JsonValue[] {
  return Array.isArray(value) ? value : [];
}

function textOr(value: JsonValue | undefined, fallback: string): string {
  return typeof value === "string" ? value : fallback;
}
