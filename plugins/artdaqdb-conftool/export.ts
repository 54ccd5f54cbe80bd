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

import { dbJsonToFhicl } from "../../core/fhicl/mod.ts";
import { JsonObject, stringifyArtdaq } from "../../core/json/mod.ts";
import type { ExportedFile } from "../../core/roles.ts";
import type { StoredDocument } from "./backend.ts";
import { documentFacts } from "./document.ts";
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
  const winners = new Map<string, ChosenDocument>();
  // Sorted by id so that ties resolve the same way on every backend (C++: first maximum in sorted-id order).
  const ordered = [...documents].sort((a, b) =>
    a.collection < b.collection ? -1 : a.collection > b.collection ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0
  );
  for (const stored of ordered) {
    const facts = documentFacts(stored.doc);
    for (const entity of facts.entities) {
      const key = `${stored.collection}\0${entity}`;
      const current = winners.get(key);
      if (!current || current.version < facts.version) {
        winners.set(key, { stored, entity, version: facts.version, created: facts.created });
      }
    }
  }
  return [...winners.values()];
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
export function exportTime(chosen: readonly ChosenDocument[]): string {
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
export function exportPaths(chosen: readonly ChosenDocument[]): string[] {
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
  const chosen = chooseDocuments(documents);
  const paths = exportPaths(chosen);
  const encoder = new TextEncoder();
  const files: ExportedFile[] = chosen.map((winner, i) => ({
    path: paths[i],
    data: encoder.encode(render(winner.stored.doc)),
  }));
  files.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  return { files, storedAt: exportTime(chosen) };
}

/** The text `read_document` with `dataformat: "origin"` returns for a stored document. */
function render(doc: JsonObject): string {
  if (documentFacts(doc).format === "json") {
    const payload = doc.get("document");
    const data = payload instanceof JsonObject ? payload.get("data") : undefined;
    return stringifyArtdaq(data ?? new JsonObject());
  }
  return dbJsonToFhicl(doc);
}
