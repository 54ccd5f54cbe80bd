/**
 * Export of an archived run as artdaq_database's tools do it (artdaq-database.md §6.2, §8): `buildfilter` lists
 * every (collection, entity) of the configuration, `load` picks for each the document with the lexicographically
 * greatest `version` (so `…v1` update documents win over the initial ones, and `…v10` loses to `…v9`, exactly as
 * in C++), and each document is written as `<entity>.fcl` in one flat directory (the conftool export the Python
 * archiver used), FHiCL rendered by `dbJsonToFhicl`, JSON payloads in the JsonWriter layout.
 *
 * Deliberate difference: when two collections hold the same entity, conftool writes both to one file and the
 * last one wins; we keep both, as `<collection>/<entity>.fcl`.
 *
 * @module
 */

import { releaseBytes } from "../../core/blob/bytes.ts";
import { dbJsonToFhicl, readDbJsonParts, renderFhicl } from "../../core/fhicl/mod.ts";
import { encodeArtdaq, JsonObject, JsonSyntaxError, type JsonValue } from "../../core/json/mod.ts";
import type { ExportedFile } from "../../core/roles.ts";
import type { DocumentRef, StoredDocument } from "./backend.ts";
import { type DocumentFacts, documentFacts, parseStoredDocument } from "./document.ts";
import { type DocumentFile, documentFileSize, readDocumentFile } from "./fs/document_file.ts";
import { inStretches, type Offload } from "./offload.ts";
import type { WrittenPayload } from "./payloads.ts";
import { RenderedPayloads } from "./rendered.ts";
import { artdaqTimestampToIso } from "./timestamp.ts";

/** The files of an export and the time of the newest exported document. */
export interface ExportResult {
  files: ExportedFile[];
  /** UTC ISO 8601 of the newest `bookkeeping.created` among the exported documents. */
  storedAt: string;
}

/** Used when no exported document carries a readable creation time (keeps the result deterministic). */
export const UNKNOWN_TIME = "1970-01-01T00:00:00.000Z";

/** The document one (collection, entity) of a configuration exports, with the facts the export needs. */
export interface ChosenDocument {
  stored: StoredDocument;
  entity: string;
  version: string;
  /** `bookkeeping.created` as stored (artdaq timestamp text). */
  created: string;
}

/**
 * The `load` choice of artdaq_database for every (collection, entity) of a configuration: the document with the
 * lexicographically greatest `version`, ties to the first in (collection, id) order. Shared by the export and by
 * stores that export through another tool but must date the run the same way.
 *
 * @example
 * ```ts
 * const chosen = chooseDocuments(await backend.findConfiguration("12345/standard"));
 * chosen.map((c) => `${c.stored.collection}/${c.entity}`); // ["RunHistory/boot", ..., "SystemLayout/schema"]
 * ```
 */
export function chooseDocuments(documents: readonly StoredDocument[]): ChosenDocument[] {
  const choice = new LoadChoice<StoredDocument>();
  for (const stored of byCollectionAndId(documents)) {
    choice.offer(stored.collection, documentFacts(stored.doc), () => stored);
  }
  return choice.winners().map(({ value, entity, version, created }) => ({ stored: value, entity, version, created }));
}

/** One (collection, entity) winner of a {@link LoadChoice}, with what was kept of its document. */
export interface Winner<T> {
  collection: string;
  entity: string;
  version: string;
  created: string;
  value: T;
}

/**
 * artdaq_database's `load` choice made as documents arrive in (collection, id) order: per (collection, entity) the
 * greatest `version`, the first on ties. `offer` computes what to keep of a document only when it wins (at most
 * once per document), so the caller can drop the document right after.
 */
class LoadChoice<T> {
  readonly #winners = new Map<string, Winner<T>>();

  offer(collection: string, facts: DocumentFacts, keep: () => T): void {
    let kept: { value: T } | undefined;
    for (const entity of facts.entities) {
      const key = `${collection}\0${entity}`;
      const current = this.#winners.get(key);
      if (!current || current.version < facts.version) {
        kept ??= { value: keep() };
        this.#winners.set(key, {
          collection,
          entity,
          version: facts.version,
          created: facts.created,
          value: kept.value,
        });
      }
    }
  }

  /**
   * Offers the winner of an earlier choice over a later stretch of the same (collection, id) order: offering the
   * winners of consecutive stretches in order gives the choice over the whole.
   */
  offerWinner(winner: Winner<T>): void {
    const key = `${winner.collection}\0${winner.entity}`;
    const current = this.#winners.get(key);
    if (!current || current.version < winner.version) this.#winners.set(key, winner);
  }

  winners(): Winner<T>[] {
    return [...this.#winners.values()];
  }
}

/** Sorted by (collection, id) so that ties resolve the same way on every backend (C++: first maximum in id order). */
function byCollectionAndId<T extends { collection: string; id: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) =>
    a.collection < b.collection ? -1 : a.collection > b.collection ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0
  );
}

/**
 * The time an export is dated by: the newest readable `created` among the chosen documents, UTC ISO 8601, or
 * {@link UNKNOWN_TIME} when none is readable.
 *
 * @example
 * ```ts
 * exportTime(chooseDocuments(documents)); // "2024-03-04T18:05:01.337Z"
 * ```
 */
export function exportTime(chosen: ReadonlyArray<{ created: string }>): string {
  let storedAt = "";
  for (const { created } of chosen) {
    const iso = artdaqTimestampToIso(created);
    if (iso && iso > storedAt) storedAt = iso;
  }
  return storedAt || UNKNOWN_TIME;
}

/**
 * The path of each chosen document in the canonical export layout (core/roles.ts `ExportedRun`): `<entity>.fcl`,
 * or `<collection>/<entity>.fcl` for an entity chosen in more than one collection.
 *
 * @example
 * ```ts
 * exportPaths(chooseDocuments(documents)); // ["boot.fcl", ..., "schema.fcl"], parallel to the chosen documents
 * ```
 */
export function exportPaths(
  chosen: ReadonlyArray<{ entity: string; stored: { collection: string } }>,
): string[] {
  const entityCount = new Map<string, number>();
  for (const winner of chosen) entityCount.set(winner.entity, (entityCount.get(winner.entity) ?? 0) + 1);
  return chosen.map((winner) =>
    (entityCount.get(winner.entity) ?? 0) > 1
      ? `${winner.stored.collection}/${winner.entity}.fcl`
      : `${winner.entity}.fcl`
  );
}

/**
 * Chooses and renders the documents of one configuration (all its documents, any collection, any version).
 *
 * @example
 * ```ts
 * const { files, storedAt } = exportDocuments(await backend.findConfiguration("12345/standard"));
 * files.map((f) => f.path); // ["RunHistory.fcl", "boot.fcl", "schema.fcl", ...]
 * ```
 */
export function exportDocuments(documents: readonly StoredDocument[]): ExportResult {
  const choice = new LoadChoice<Uint8Array>();
  for (const stored of byCollectionAndId(documents)) {
    const read = modelRead(stored.doc);
    choice.offer(stored.collection, read.facts, read.render);
  }
  return exportResult(choice.winners());
}

/**
 * {@link exportDocuments} reading one document at a time: each is read, rendered if it wins, and dropped, so one
 * document's model is alive instead of the whole run's (a 12 MB run: ~30 MB of JSON, several hundred MB of
 * models). With `offload` and refs whose files any thread can read (the filesystem provider), a large run's
 * documents are read, parsed and rendered on the pool's threads, in stretches: this thread never holds their
 * bytes, and each pool thread one stretch's.
 *
 * @example
 * ```ts
 * const { files } = await exportDocumentRefs(await backend.locateConfiguration!("12345/standard"));
 * ```
 */
export async function exportDocumentRefs(
  refs: readonly DocumentRef[],
  offload?: Offload,
  written?: (collection: string, id: string) => WrittenPayload | undefined,
): Promise<ExportResult> {
  const sorted = byCollectionAndId(refs);
  if (offload && offload.pool.size > 0 && sorted.every((ref) => ref.file)) {
    return await exportOffloaded(sorted.map((ref) => ref.file!), offload, written);
  }
  const choice = new LoadChoice<Uint8Array>();
  for (const ref of sorted) {
    const { doc } = await ref.load();
    const read = modelRead(doc);
    choice.offer(ref.collection, read.facts, read.render);
  }
  return exportResult(choice.winners());
}

/**
 * The export of document files (in (collection, id) order): chosen and rendered in stretches of about equal size
 * ({@link renderStretch}; on the pool's threads for a large run, see `inStretches`), the winners merged in order.
 */
async function exportOffloaded(
  files: DocumentFile[],
  offload: Offload,
  written?: (collection: string, id: string) => WrittenPayload | undefined,
): Promise<ExportResult> {
  const sized = files.map((file) => {
    const payload = written?.(file.collection, file.id);
    return { file, size: payload?.source.size ?? documentFileSize(file), ...(payload ? { payload } : {}) };
  });
  const stretches = await inStretches(offload, sized, (item) => item.size, renderStretch, []);
  const choice = new LoadChoice<Uint8Array>();
  for (const winners of stretches) for (const winner of winners) choice.offerWinner(winner);
  return exportResult(choice.winners());
}

/**
 * Reads and parses document files (consecutive in (collection, id) order), makes the `load` choice among them and
 * renders the winners: the export's CPU work, run on a pool thread (plugins/artdaqdb-conftool/tasks.ts).
 */
export function renderStretch(
  items: ReadonlyArray<{ file: DocumentFile; payload?: WrittenPayload }>,
): Winner<Uint8Array>[] {
  const choice = new LoadChoice<Uint8Array>();
  for (const { file, payload } of items) {
    // The text decoded with a byte-order mark kept, as `Deno.readTextFile` (the unthreaded reader) does.
    const readWhole = (text: string) =>
      readForExport(text, { collection: file.collection, id: file.id, source: file.path });
    const read = (payload && RENDERED.readKnown(payload, readWhole)) ?? readFile(file, readWhole);
    choice.offer(file.collection, read.facts, read.render);
  }
  return choice.winners();
}

/** A document file read for the export through this thread's renderings by payload. */
function readFile(file: DocumentFile, readWhole: (text: string) => ExportRead): ExportRead {
  const bytes = readDocumentFile(file);
  const read = RENDERED.read(bytes, readWhole);
  releaseBytes(bytes); // read: freed now, not when this thread next collects its heap
  return read;
}

/** This thread's renderings of recent payloads (rendered.ts). */
const RENDERED = new RenderedPayloads();

/**
 * A stored document read for the export: its bookkeeping facts, and its rendering as UTF-8 (made only for a winner;
 * the caller owns the bytes: they may move to another thread).
 */
export interface ExportRead {
  facts: DocumentFacts;
  render(): Uint8Array;
}

/**
 * Reads a stored document's text for the export (`readDbJsonParts`): the model is built of everything but
 * `document.metadata`, four fifths of a document, which is read straight into the FHiCL writer's tree, and the
 * subtrees of `document.data` that recent documents held are taken again: the same rendering as `dbJsonToFhicl` of
 * the whole model at about a third of the cost. A document of another shape (no `document` object), or text the
 * reader refuses, is parsed whole as the provider reads it, so a damaged document fails with the provider's error.
 *
 * @example
 * ```ts
 * const read = readForExport(text, { collection: "RunHistory", id, source: path });
 * read.facts.entities; // ["boot"]
 * read.render(); // the FHiCL conftool exports, as UTF-8
 * ```
 */
export function readForExport(text: string, where: { collection: string; id: string; source: string }): ExportRead {
  try {
    const read = readWithoutMetadataModel(text, where.source);
    if (read !== null) return read;
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
  }
  return modelRead(parseStoredDocument(text, where).doc);
}

/** {@link ExportRead} of a document parsed whole (the ordered model). */
function modelRead(doc: JsonObject): ExportRead {
  const facts = documentFacts(doc);
  const payload = doc.get("document");
  const data = payload instanceof JsonObject ? payload.get("data") : undefined;
  return { facts, render: () => originText(facts.format, data, () => dbJsonToFhicl(doc)) };
}

function readWithoutMetadataModel(text: string, source: string): ExportRead | null {
  const parts = readDbJsonParts(text, source);
  if (parts === null) return null;
  const facts = documentFacts(parts.others);
  const { data, metadata } = parts;
  return { facts, render: () => originText(facts.format, data, () => renderFhicl(data, metadata)) };
}

/**
 * The rendering is made as text and encoded once: built by concatenation, a string costs less than writing each
 * of its many small pieces as bytes (BENCHMARKS.md round 14).
 */
const encoder = new TextEncoder();

/**
 * Sorts files in place by path, comparing UTF-16 code units (the canonical order of an export, core/roles.ts
 * ExportedRun), and returns them.
 *
 * @example
 * ```ts
 * sortByPath([{ path: "b.fcl", data }, { path: "RunHistory.fcl", data }]); // RunHistory.fcl, b.fcl
 * ```
 */
export function sortByPath<T extends { path: string }>(files: T[]): T[] {
  return files.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
}

function exportResult(winners: ReadonlyArray<Winner<Uint8Array>>): ExportResult {
  const paths = exportPaths(winners.map((winner) => ({ entity: winner.entity, stored: winner })));
  const files: ExportedFile[] = winners.map((winner, i) => ({ path: paths[i], data: winner.value }));
  sortByPath(files);
  return { files, storedAt: exportTime(winners) };
}

/**
 * The text `read_document` with `dataformat: "origin"` returns for a stored document, as UTF-8: a JSON payload's
 * `data` in the JsonWriter layout, anything else as FHiCL (`fhicl`).
 */
function originText(format: string, data: JsonValue | undefined, fhicl: () => string): Uint8Array {
  return format === "json" ? encodeArtdaq(data ?? new JsonObject()) : encoder.encode(fhicl());
}
