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
  const winners = new Map<string, { stored: StoredDocument; entity: string; version: string; created: string }>();
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
  const entityCount = new Map<string, number>();
  for (const winner of winners.values()) entityCount.set(winner.entity, (entityCount.get(winner.entity) ?? 0) + 1);

  const encoder = new TextEncoder();
  const files: ExportedFile[] = [];
  let storedAt = "";
  for (const winner of winners.values()) {
    const path = (entityCount.get(winner.entity) ?? 0) > 1
      ? `${winner.stored.collection}/${winner.entity}.fcl`
      : `${winner.entity}.fcl`;
    files.push({ path, data: encoder.encode(render(winner.stored.doc)) });
    const iso = artdaqTimestampToIso(winner.created);
    if (iso && iso > storedAt) storedAt = iso;
  }
  files.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  return { files, storedAt: storedAt || UNKNOWN_TIME };
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
