/**
 * The conftool store's CPU work as plain functions of plain data, so that it can run on a pool thread
 * (plugins/artdaqdb-conftool/offload.ts) or, for small runs, on the calling thread: the same code either way.
 *
 * @module
 */
import { utf8Text } from "../../core/blob/bytes.ts";
import { streamArtdaqWith } from "../../core/json/mod.ts";
import type { EncodedDocument, StoredDocument } from "./backend.ts";
import { buildStoredDocument, documentFacts, encodeDocument } from "./document.ts";
import { type DocumentFile, removeDocumentFile, writeNewDocumentFile } from "./fs/document_file.ts";
import { convertDocument } from "./plan.ts";

export { renderStretch } from "./export.ts";

/** One document to convert and encode: its FHiCL as text or as the text's UTF-8 bytes (decoded where it runs). */
export type EncodeItem = EncodeTarget & ({ text: string; bytes?: undefined } | { bytes: Uint8Array; text?: undefined });

/** Where one document goes, and what it is called in messages. */
export interface EncodeTarget {
  /** Source file name (for error messages). */
  name: string;
  /** The run directory's file it was read from, for messages. */
  path?: string;
  collection: string;
  entity: string;
  /** 24-hex `_id.$oid`. */
  id: string;
  /** The file to create with the document, when the backend lets the converting code write it (`newDocumentFile`). */
  file?: DocumentFile;
}

/** Bytes of an item's FHiCL, to cut a run into stretches of about equal work. */
export function encodeItemSize(item: EncodeItem): number {
  return item.bytes?.length ?? item.text!.length;
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
 * provider's file format, in order: an item with a `file` is written there as it is encoded (streamed, never held
 * whole) and comes back `written` without `data`, unless that file exists already. A syntax error is thrown (as
 * `RunInputError` naming run and file) after the files this call wrote are removed.
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
  const encoded: EncodedDocument[] = [];
  try {
    for (const item of items) encoded.push(encodeItem(item, common));
  } catch (error) {
    discardWritten(encoded);
    throw error;
  }
  return encoded;
}

function encodeItem(item: EncodeItem, common: EncodeCommon): EncodedDocument {
  const stored = storedDocument(item, common);
  const { file } = item;
  if (file && writeNewDocumentFile(file, (sink) => streamArtdaqWith((writer) => writer.value(stored.doc), sink))) {
    return { collection: stored.collection, id: stored.id, facts: documentFacts(stored.doc), written: file };
  }
  return encodeDocument(stored);
}

/** Removes the files that {@link encodeDocuments} wrote for documents whose put is abandoned. */
export function discardWritten(documents: readonly EncodedDocument[]): void {
  for (const document of documents) if (document.written) removeDocumentFile(document.written);
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
    doc: buildStoredDocument(
      convertDocument(common.run, { ...item, text: item.text ?? utf8Text(item.bytes!) }, common.timestamp),
      {
        collection: item.collection,
        configuration: common.configuration,
        version: common.version,
        entity: item.entity,
        run: String(common.run),
        id: item.id,
        timestamp: common.timestamp,
      },
    ),
  };
}
