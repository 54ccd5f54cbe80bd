/**
 * The conftool store's CPU work as plain functions of plain data, so that it can run on a pool thread
 * (plugins/artdaqdb-conftool/offload.ts) or, for small runs, on the calling thread: the same code either way.
 *
 * @module
 */
import { utf8Text } from "../../core/blob/bytes.ts";
import { encodeDbJsonTrees } from "../../core/fhicl/dbjson_bytes.ts";
import { type ArtdaqBytesWriter, encodeArtdaqWith, JsonObject, streamArtdaqWith } from "../../core/json/mod.ts";
import { join } from "node:path";
import type { EncodedDocument, KeptRendering, StoredDocument } from "./backend.ts";
import { buildStoredDocument, documentFacts } from "./document.ts";
import { type DocumentFile, removeDocumentFile, writeNewDocumentFile } from "./fs/document_file.ts";
import {
  type PayloadSource,
  payloadSource,
  readPayload,
  writeConvertedPayload,
  writeStoredDocument,
} from "./payloads.ts";
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
  /**
   * With `file`: where the payload of a document of the same FHiCL lies (plugins/artdaqdb-conftool/payloads.ts), to
   * copy instead of converting (the FHiCL is still given: converted when the payload cannot be read).
   */
  reuse?: PayloadSource;
  /**
   * With `file`: the directory where to keep the export's rendering of this FHiCL when the conversion makes it in
   * the same pass (core/fhicl/dbjson_bytes.ts; read by the export: rendered.ts).
   */
  rendering?: string;
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
  const { file } = item;
  // The payload (`document` and `comments`): copied from a document of the same FHiCL written earlier, else
  // converted straight to bytes; text the direct conversion leaves to the reference (a syntax error included, thrown
  // there) is converted through the model, the whole document with it.
  const payload = file && item.reuse ? readPayload(item.reuse) : null;
  const trees = payload
    ? null
    : encodeDbJsonTrees(item.text ?? utf8Text(item.bytes!), item.bytes, item.rendering !== undefined);
  const stored = payload || trees ? storedWith(item, common, PAYLOAD_ONLY) : storedDocument(item, common);
  const write = (writer: ArtdaqBytesWriter): number => {
    if (payload) writer.bytes(payload);
    else if (trees) writeConvertedPayload(writer, trees);
    return writeStoredDocument(writer, stored.doc, payload !== null || trees !== null);
  };
  const facts = { collection: stored.collection, id: stored.id, facts: documentFacts(stored.doc) };
  if (!file) return { ...facts, data: encodeArtdaqWith(write) };
  let end = 0;
  const written = writeNewDocumentFile(file, (sink) => streamArtdaqWith((writer) => end = write(writer), sink));
  // The file exists already (a crash's leftover): the whole document as bytes, for the backend to replace it.
  if (!written) return { ...facts, data: encodeArtdaqWith(write) };
  const source = payloadSource(file.path, end);
  const rendered = trees?.fhicl && item.rendering ? keepRendering(item.rendering, trees.fhicl) : null;
  return { ...facts, written: file, ...(source ? { payload: source } : {}), ...(rendered ? { rendered } : {}) };
}

/** This thread's file of renderings (appended to; a new one in another directory or past 16 MiB). */
let log: { dir: string; path: string; file: Deno.FsFile; size: number } | null = null;
const LOG_BYTES = 16 << 20;

/**
 * Appends a rendering to this thread's file of renderings in `dir` (one file per thread: creating a file per
 * rendering cost ~0.5 ms each on ext4, as much as the rendering saves the export). Null when it could not be
 * written: the export then renders the document.
 */
function keepRendering(dir: string, parts: Uint8Array[]): KeptRendering | null {
  try {
    if (log === null || log.dir !== dir || log.size >= LOG_BYTES) {
      log?.file.close();
      log = null;
      const path = join(dir, `${crypto.randomUUID()}.fcl`);
      log = { dir, path, file: Deno.openSync(path, { write: true, createNew: true, mode: 0o600 }), size: 0 };
    }
    const offset = log.size;
    let size = 0;
    for (const part of parts) {
      for (let written = 0; written < part.length;) written += log.file.writeSync(part.subarray(written));
      size += part.length;
    }
    log.size += size;
    return { path: log.path, offset, size };
  } catch {
    try {
      log?.file.close();
    } catch {
      // closed already
    }
    log = null; // a half-written rendering is never referred to; the next starts a new file
    return null;
  }
}

/** The DB-JSON whose stored document is the bookkeeping only: what follows a copied payload. */
const PAYLOAD_ONLY = new JsonObject([["document", new JsonObject()]]);

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
  return storedWith(
    item,
    common,
    convertDocument(common.run, { ...item, text: item.text ?? utf8Text(item.bytes!) }, common.timestamp),
  );
}

/** The stored document of one item whose FHiCL converted to `dbJson`. */
function storedWith(item: EncodeItem, common: EncodeCommon, dbJson: JsonObject): StoredDocument {
  return {
    collection: item.collection,
    id: item.id,
    doc: buildStoredDocument(
      dbJson,
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
