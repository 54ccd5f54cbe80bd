/**
 * Turns a prepared run into the documents to store: each FHiCL file converted to DB-JSON (by the FHiCL engine),
 * placed in its collection and entity by the `schema.fcl` rules, plus the `hashes` entity of an initial archive,
 * ordered so that the `schema` document in `SystemLayout` comes last. That document is the run's commit marker:
 * a run is listed only once it is stored, so a run whose write was interrupted is never mistaken for archived
 * (original-archiver.md §16.1-3).
 *
 * @module
 */

import { RunInputError } from "../../core/errors.ts";
import { FhiclSyntaxError } from "../../core/fhicl/errors.ts";
import { fhiclToDbJson } from "../../core/fhicl/mod.ts";
import type { JsonObject } from "../../core/json/mod.ts";
import type { PreparedDocument, PutKind } from "../../core/roles.ts";
import { payloadKey } from "./document.ts";
import { HASHES_ENTITY, hashesText } from "./hashes.ts";
import { fileStem, placeDocument, RUN_HISTORY, SCHEMA_ENTITY, schemaRules, SYSTEM_LAYOUT } from "./schema_rules.ts";

/** One document ready to be stored. */
export interface PlannedDocument {
  /** Source file name (`boot.fcl`), or `hashes.fcl` for the generated hashes. */
  name: string;
  /** The FHiCL text as prepared (decoded from `bytes` at each read when the prepared document has them). */
  readonly text: string;
  /** The text's UTF-8 bytes, when the prepared document holds them (`PreparedDocument.bytes`). */
  bytes?: Uint8Array;
  /** The run directory's file it was read from (`PreparedDocument.path`), for messages. */
  path?: string;
  /** SHA-256 of `bytes` (`PreparedDocument.sha256`), when the source gave it. */
  sha256?: string;
  collection: string;
  entity: string;
  /**
   * `fhiclToDbJson` of the text, converted afresh at each call and never kept: the ordered model is ~10× the
   * text, so a plan that held every document's model made a 12 MB run cost over 500 MB (BENCHMARKS.md). The
   * store converts one document at a time and keeps only its bytes.
   */
  dbJson(): JsonObject;
  /** {@link payloadKey} of `dbJson()`, to recognise an identical stored document (computed on first use). */
  readonly payload: string;
}

/** The plan of one put. */
export interface Plan {
  /** Documents to store, the marker last. */
  documents: PlannedDocument[];
  /** Names of prepared files that are not FHiCL (`config.txt`, an unconverted `boot.txt`): not storable. */
  skipped: string[];
}

/**
 * Plans the documents of one put. Files that are not `.fcl` cannot be stored in artdaq_database and are returned
 * in `skipped` (the Python archiver never stored them either: bulkloader loads only `.fcl` files, conftool only
 * files its schema rules match). Throws `RunInputError` (naming run and file) for a missing `schema.fcl`, an
 * unparsable one, or two files that would be stored (and exported) under one entity; the other documents are
 * converted (and a syntax error in one thrown) when the store calls `dbJson()`, before it changes anything.
 *
 * @example
 * ```ts
 * const plan = planDocuments(12345, prepared.documents, "initial", "2024-03-04T12:05:01.337-0600");
 * plan.documents.at(-1)?.entity; // "schema"
 * ```
 */
export function planDocuments(
  run: number,
  prepared: readonly PreparedDocument[],
  kind: PutKind,
  timestamp: string,
): Plan {
  const skipped = prepared.filter((document) => !/\.fcl$/.test(document.name)).map((document) => document.name);
  const documents = prepared.filter((document) => /\.fcl$/.test(document.name));
  const convert = (name: string, text: string, entity: string, path?: string): JsonObject =>
    convertDocument(run, { name, text, entity, path }, timestamp);

  const schemaDocument = documents.find((document) => fileStem(document.name) === SCHEMA_ENTITY);
  if (!schemaDocument) {
    throw new RunInputError(
      `run ${run}: the ${kind} documents have no schema.fcl; artdaq_database needs it in SystemLayout ` +
        `(check artdaq_db.fcl_conf_dir)`,
      { run },
    );
  }
  const rules = schemaRules(convert(schemaDocument.name, schemaDocument.text, SCHEMA_ENTITY), run);

  const planned: PlannedDocument[] = [];
  const byEntity = new Map<string, string>();
  const add = (content: PreparedDocument, collection: string, entity: string) => {
    const { name, path, bytes, sha256 } = content;
    checkEntity(run, name, entity);
    const other = byEntity.get(entity);
    if (other !== undefined) {
      throw new RunInputError(
        `run ${run}: ${other} and ${name} would both be stored as entity '${entity}' (and exported as ` +
          `${entity}.fcl); rename one of them`,
        { run },
      );
    }
    byEntity.set(entity, name);
    const dbJson = () => convert(name, content.text, entity, path);
    let payload: string | undefined;
    planned.push({
      name,
      get text() {
        return content.text;
      },
      ...(bytes !== undefined ? { bytes } : {}),
      ...(path !== undefined ? { path } : {}),
      ...(sha256 !== undefined ? { sha256 } : {}),
      collection,
      entity,
      dbJson,
      get payload() {
        return payload ??= payloadKey(dbJson());
      },
    });
  };
  for (const document of documents) {
    const placement = placeDocument(document.name, rules);
    add(document, placement.collection, placement.entity);
  }
  if (kind === "initial" && !byEntity.has(HASHES_ENTITY)) {
    add({ name: `${HASHES_ENTITY}.fcl`, text: hashesText(planned) }, RUN_HISTORY, HASHES_ENTITY);
  }
  // The marker last; otherwise keep the prepared order.
  const isMarker = (p: PlannedDocument) => p.collection === SYSTEM_LAYOUT && p.entity === SCHEMA_ENTITY;
  return { documents: [...planned.filter((p) => !isMarker(p)), ...planned.filter(isMarker)], skipped };
}

/** One document to convert: its file name, text and entity, and the run directory's file it came from. */
export interface ConvertInput {
  name: string;
  text: string;
  entity: string;
  path?: string;
}

/**
 * The DB-JSON of one prepared FHiCL file (`fhiclToDbJson`): what `PlannedDocument.dbJson` returns, and what the
 * offloaded import converts on a pool thread. A syntax error is a `RunInputError` naming the run and the file:
 * for a file of the run directory (`path`) the same one-line message the source's own check gives
 * (`run 12001: /daq/run_records/12001/EventBuilder1.fcl is not valid FHiCL (EventBuilder1.fcl:3:7: …); fix or
 * remove the file in the run directory`), so that with the native store the source need not parse the files too.
 *
 * @example
 * ```ts
 * convertDocument(12345, { name: "boot.fcl", text: "a: 1", entity: "boot" }, "2024-03-04T12:05:01.337-0600");
 * ```
 */
export function convertDocument(run: number, input: ConvertInput, timestamp: string): JsonObject {
  if (input.path === undefined) {
    return fhiclToDbJson(input.text, input.entity, { timestamp, sourceName: `run ${run}: ${input.name}` });
  }
  try {
    return fhiclToDbJson(input.text, input.entity, { timestamp, sourceName: input.name });
  } catch (error) {
    if (!(error instanceof FhiclSyntaxError)) throw error;
    throw new RunInputError(
      `run ${run}: ${input.path} is not valid FHiCL (${error.message}); fix or remove the file in the run directory`,
      { run, cause: error },
    );
  }
}

function checkEntity(run: number, name: string, entity: string): void {
  if (!entity || entity === "." || entity === ".." || /[/\\\0]/.test(entity)) {
    throw new RunInputError(
      `run ${run}: ${name} maps to entity '${entity}', which cannot be a file name; fix the schema.fcl rule`,
      { run },
    );
  }
}
