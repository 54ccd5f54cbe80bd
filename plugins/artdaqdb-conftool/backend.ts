/**
 * The seam between the store's document logic (one implementation, in `store.ts`) and the two artdaq_database
 * providers: the filesystem database (`fs/backend.ts`) and MongoDB (`mongo/backend.ts`). A backend only moves
 * whole documents in and out of collections and answers the few indexed questions the store asks; it knows
 * nothing about runs, schema rules or versions.
 *
 * @module
 */

import type { JsonObject } from "../../core/json/mod.ts";
import type { DocumentFacts } from "./document.ts";
import type { DocumentFile } from "./fs/document_file.ts";
import type { PayloadSource } from "./payloads.ts";

/** A document as stored in one collection. */
export interface StoredDocument {
  collection: string;
  /** 24-hex `_id.$oid`. */
  id: string;
  /** The whole stored document in the ordered model, keys in artdaq_database order (§3.1). */
  doc: JsonObject;
}

/** Documents to write into one collection. */
export interface DocumentBatch {
  collection: string;
  documents: readonly StoredDocument[];
}

/**
 * A document already rendered in the filesystem provider's file format (`stringifyArtdaq` of the stored document,
 * UTF-8), with the bookkeeping its index entry needs: what the store hands to {@link Backend.upsertEncoded} so
 * that no document's ordered model outlives its rendering.
 */
export interface EncodedDocument {
  collection: string;
  /** 24-hex `_id.$oid`. */
  id: string;
  /** `documentFacts` of the stored document. */
  facts: DocumentFacts;
  /** The `<oid>.json` file content; absent when the converting code wrote the file itself (`written`). */
  data?: Uint8Array;
  /**
   * The file the converting code created itself ({@link Backend.newDocumentFile}), instead of handing over `data`:
   * `upsertEncoded` makes it findable like one it wrote.
   */
  written?: DocumentFile;
  /** Where the payload of a `written` document lies, for a later document of the same FHiCL to copy. */
  payload?: PayloadSource;
  /** With `written`: where the export's rendering of its FHiCL was kept (`EncodeItem.rendering`). */
  rendered?: KeptRendering;
}

/** Where a rendering made at conversion lies: `size` bytes at `offset` of the file `path`. */
export interface KeptRendering {
  path: string;
  offset: number;
  size: number;
}

/** Encoded documents to write into one collection. */
export interface EncodedBatch {
  collection: string;
  documents: readonly EncodedDocument[];
}

/** A document found by the index but not read yet: `load` reads and parses it (each call afresh). */
export interface DocumentRef {
  collection: string;
  /** 24-hex `_id.$oid`. */
  id: string;
  load(): Promise<StoredDocument>;
  /**
   * Optional: the document's file, which any thread of this process can read (the filesystem provider), so that
   * the export reads, parses and renders it on a pool thread; `parseStoredDocument` of its bytes equals `load()`.
   */
  file?: DocumentFile;
}

/** Narrowing of `findConfiguration`, decided from the index (filesystem) or the query (MongoDB). */
export interface FindOptions {
  /** Leave out the documents whose `version` is exactly this (they are neither read nor parsed). */
  exceptVersion?: string;
}

/** A configuration name with its newest `configurations.assigned` timestamp (for "newest first" choices). */
export interface ConfigurationEntry {
  name: string;
  assigned: string;
}

/** One artdaq_database provider. */
export interface Backend {
  /** `filesystem` or `mongo`, as artdaq_database names its providers. */
  readonly provider: "filesystem" | "mongo";
  /** Human description, credentials masked. */
  describe(): string;
  /**
   * Every `<run>/<name>` configuration that has a document of `entity` in `collection`, grouped by run number:
   * one index read (filesystem) or one query (MongoDB), never a per-run scan.
   */
  configurationsByRun(collection: string, entity: string): Promise<Map<number, string[]>>;
  /** The same for one run (indexed), with each configuration's newest `assigned` time. */
  configurationsOfRun(collection: string, entity: string, run: number): Promise<ConfigurationEntry[]>;
  /**
   * Every document whose `configurations.name` includes `configuration`, in every collection or only in
   * `collection` (the `buildfilter` + `load` of artdaq_database, without the version choice).
   */
  findConfiguration(configuration: string, collection?: string, options?: FindOptions): Promise<StoredDocument[]>;
  /**
   * Optional: `findConfiguration` without reading the documents, so that a caller can read, use and drop them one
   * at a time (the export: one document's model alive instead of the whole run's).
   */
  locateConfiguration?(configuration: string, collection?: string, options?: FindOptions): Promise<DocumentRef[]>;
  /**
   * Inserts or replaces documents by id in one collection. Each document write is atomic; the collection's
   * search structures (filesystem `index.json`) are updated under a lock once for the batch, after the documents.
   */
  upsert(collection: string, documents: readonly StoredDocument[]): Promise<void>;
  /**
   * Optional: `upsert` of several collections at once, where the last batch becomes findable only after all the
   * others (the filesystem provider writes all documents in one flush, then the indexes). Without it the store
   * upserts the other collections, then the last.
   */
  upsertAll?(batches: ReadonlyArray<DocumentBatch>): Promise<void>;
  /**
   * Optional: `upsertAll` of documents already rendered (the filesystem provider, whose file is that text). The
   * store then renders one document at a time and keeps only bytes, instead of every document's model.
   */
  upsertEncoded?(batches: ReadonlyArray<EncodedBatch>): Promise<void>;
  /**
   * Optional (the filesystem provider under group commit): where the code converting a document under a new id
   * (one no listed document has) may create its file itself, on any thread (`writeNewDocumentFile`), so that its
   * bytes are written where they are made instead of crossing threads and waiting for the rest of the run. Such a
   * file is not findable until `upsertEncoded` is given the document with `written` (and, under group commit, the
   * next commit); one whose put is abandoned is removed with `removeDocumentFile`. Null: documents reach
   * `upsertEncoded` with their `data`.
   */
  newDocumentFile?(collection: string, id: string): DocumentFile | null;
  /** Removes documents by id (used only to clean up our own incomplete writes). */
  remove(collection: string, ids: readonly string[]): Promise<void>;
  /**
   * Optional group commit (the filesystem provider): with `enabled`, `upsert` writes documents durably but keeps
   * the search-structure change in memory, visible to this backend's queries, until `commit`. Off commits.
   */
  deferIndexWrites?(enabled: boolean): Promise<void>;
  /** Writes the deferred changes; collections in `last` after all others. */
  commit?(last?: readonly string[]): Promise<void>;
  /** Creates the database's `SystemMetadata` record when the database has none (artdaq_database does on connect). */
  ensureDatabase(): Promise<void>;
  close(): Promise<void>;
}
