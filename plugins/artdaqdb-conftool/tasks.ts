/**
 * The conftool store's CPU work as plain functions of plain data, so that it can run on a pool thread
 * (plugins/artdaqdb-conftool/offload.ts) or, for small runs, on the calling thread: the same code either way.
 *
 * @module
 */
import type { EncodedDocument, StoredDocument } from "./backend.ts";
import { buildStoredDocument, encodeDocument } from "./document.ts";
import { convertDocument } from "./plan.ts";

export { renderStretch } from "./export.ts";

/** One document to convert and encode. */
export interface EncodeItem {
  /** Source file name (for error messages). */
  name: string;
  /** The FHiCL text. */
  text: string;
  /** The run directory's file it was read from, for messages. */
  path?: string;
  collection: string;
  entity: string;
  /** 24-hex `_id.$oid`. */
  id: string;
}

/** What the documents of one put share. */
export interface EncodeCommon {
  run: number;
  configuration: string;
  version: string;
  /** artdaq timestamp of the put. */
  timestamp: string;
}

/**
 * Converts each item's FHiCL to DB-JSON, wraps it as the stored document and encodes it in the filesystem
 * provider's file format, in order. A syntax error is thrown (as `RunInputError` naming run and file) before
 * anything is returned.
 *
 * @example
 * ```ts
 * const [encoded] = encodeDocuments(
 *   [{ name: "boot.fcl", text: "a: 1", collection: "RunHistory", entity: "boot", id: "65e60e7d2b3f4c0d9a1e7f42" }],
 *   { run: 1, configuration: "1/std", version: "1/std", timestamp: "2024-03-04T12:05:01.337-0600" },
 * );
 * encoded.facts.version; // "1/std"
 * ```
 */
export function encodeDocuments(items: readonly EncodeItem[], common: EncodeCommon): EncodedDocument[] {
  return items.map((item) => encodeDocument(storedDocument(item, common)));
}

/**
 * The stored document of one item: its FHiCL converted to DB-JSON (a syntax error is a `RunInputError` naming run
 * and file) and wrapped with the put's bookkeeping. What {@link encodeDocuments} encodes, and what the store hands a
 * backend that takes models.
 */
export function storedDocument(item: EncodeItem, common: EncodeCommon): StoredDocument {
  return {
    collection: item.collection,
    id: item.id,
    doc: buildStoredDocument(convertDocument(common.run, item, common.timestamp), {
      collection: item.collection,
      configuration: common.configuration,
      version: common.version,
      entity: item.entity,
      run: String(common.run),
      id: item.id,
      timestamp: common.timestamp,
    }),
  };
}
