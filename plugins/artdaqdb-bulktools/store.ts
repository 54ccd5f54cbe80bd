/**
 * The `Store` role through artdaq_database's `bulkloader` and `bulkdownloader` (the Python archiver's
 * `use_tools: true` mode): the tools move the data, locally or on `remote_host`; the questions the tools cannot
 * answer (which runs are archived, under which configuration, whether the stop-time update is in, when the run was
 * stored) are read from the same database through the conftool plugin's backend, as the Python archiver read them
 * through `conftoolp` (original-archiver.md §6.5, §6.6).
 *
 * Write protocol, so that a run is listed only once complete even with the real tools (which store files in any
 * order, on several threads, and never replace a document):
 *
 * 1. Pre-check: initial — a configuration that already has its `schema` document is archived: nothing is loaded
 *    again; update — refused until the initial archive is complete, skipped when a second `schema` document (the
 *    update's) is already there.
 * 2. First bulkloader call: every document except `schema.fcl`, minus those already stored with identical content
 *    (a retry after an interrupted first call completes it instead of adding copies).
 * 3. Second bulkloader call: `schema.fcl` alone, the commit marker `listRuns` looks for.
 *
 * Export: bulkdownloader's files, normalised to the canonical export layout of core/roles.ts `ExportedRun` (its
 * `<config prefix>/` directory removed, see `layout.ts`), checked against and dated by the documents the database
 * holds, so the same stored run gives the same blob as through the native store.
 *
 * @module
 */

import { ConfigurationError, NotFoundError, RunInputError, StoreError } from "../../core/errors.ts";
import { fhiclToDbJson } from "../../core/fhicl/mod.ts";
import type {
  ExportedFile,
  ExportedRun,
  Logger,
  PreparedDocument,
  PreparedRun,
  PutKind,
  Store,
} from "../../core/roles.ts";
import type { Backend, StoredDocument } from "../artdaqdb-conftool/backend.ts";
import { documentFacts, payloadKey } from "../artdaqdb-conftool/document.ts";
import { chooseDocuments, exportPaths, exportTime } from "../artdaqdb-conftool/export.ts";
import { configurationOf } from "../artdaqdb-conftool/naming.ts";
import { fileStem, SCHEMA_ENTITY, SYSTEM_LAYOUT } from "../artdaqdb-conftool/schema_rules.ts";
import { ConftoolStore } from "../artdaqdb-conftool/store.ts";
import type { ToolRunner } from "./runner.ts";
import { canonicalFiles } from "./layout.ts";
import { isSafeRelativePath } from "./tar.ts";

/** What the store is made of. */
export interface BulktoolsStoreParts {
  /** The tools, local or remote. */
  runner: ToolRunner;
  /** The same database, read directly for listings and pre-checks. */
  backend: Backend;
  /**
   * A local directory that must exist before the database is read: the filesystem database in remote mode (if it
   * is not visible here, an empty listing would look like "nothing archived").
   */
  requiredDirectory?: string | null;
  /** Where pre-check notes go. */
  logger?: Logger;
}

/** The bulk-tools store. */
export class BulktoolsStore implements Store {
  /** The plugin name. */
  readonly kind = "artdaqdb-bulktools";
  readonly #runner: ToolRunner;
  readonly #backend: Backend;
  readonly #catalog: ConftoolStore;
  readonly #logger?: Logger;
  readonly #requiredDirectory: string | null;
  #checked: Promise<void> | null = null;

  /** A store from its runner and the database backend (see `artdaqdbBulktools`). */
  constructor(parts: BulktoolsStoreParts) {
    this.#runner = parts.runner;
    this.#backend = parts.backend;
    this.#catalog = new ConftoolStore(parts.backend, { logger: parts.logger });
    this.#logger = parts.logger;
    this.#requiredDirectory = parts.requiredDirectory ?? null;
  }

  /** Runs whose `schema` document is stored (one indexed read of the database). */
  async listRuns(): Promise<number[]> {
    await this.#readable();
    return await this.#catalog.listRuns();
  }

  /** `<run>/<name>` of an archived run (the newest when several), or null. */
  async configurationName(run: number): Promise<string | null> {
    await this.#readable();
    return await this.#catalog.configurationName(run);
  }

  /** Whether the stop-time update is stored (a second `schema` document). */
  async hasUpdate(run: number): Promise<boolean> {
    const configuration = await this.configurationName(run);
    if (configuration === null) return false;
    // Every put ends with a schema document; the initial one is the first, so a second one means the update is in
    // (bulkloader keeps the version; the conftool store's `…v1` schema counts the same way).
    return (await this.#schemaDocuments(configuration)).length >= 2;
  }

  /** Loads the documents with bulkloader: pre-check, body, then `schema.fcl` (see the module doc). */
  async putRun(prepared: PreparedRun, kind: PutKind): Promise<void> {
    const run = prepared.run;
    const documents = kind === "initial" ? prepared.documents : prepared.updateDocuments;
    checkRun(prepared, documents, kind);
    if (documents.length === 0) return;
    const configuration = configurationOf(run, prepared.configName);
    await this.#readable();
    const existing = await this.#backend.findConfiguration(configuration);
    const schemaCount = existing.filter(isSchema).length;
    if (kind === "initial" && schemaCount > 0) {
      this.#logger?.info(`Run ${run}: ${configuration} is already archived; nothing loaded`, { run });
      return;
    }
    if (kind === "update") {
      if (schemaCount === 0) {
        throw new StoreError(
          `run ${run}: cannot store the stop-time update: the initial archive of ${configuration} is not complete; ` +
            `archive the run first`,
          { run },
        );
      }
      if (schemaCount >= 2) {
        this.#logger?.info(`Run ${run}: the stop-time update of ${configuration} is already stored`, { run });
        return;
      }
    }
    const schema = documents.filter((document) => fileStem(document.name) === SCHEMA_ENTITY);
    const body = notYetStored(
      documents.filter((document) => fileStem(document.name) !== SCHEMA_ENTITY),
      existing,
    );
    const call = { run, configName: prepared.configName };
    if (body.length > 0) await this.#runner.load(call, body);
    await this.#runner.load(call, schema);
  }

  /**
   * Downloads the run with bulkdownloader and returns it in the canonical export layout (core/roles.ts
   * `ExportedRun`): the tool's `<config prefix>/` directory removed, checked against the documents the database
   * holds, dated as the native store dates it. So the same stored run gives the same files, `storedAt` and blob
   * under both stores.
   */
  async exportRun(run: number): Promise<ExportedRun> {
    const configuration = await this.configurationName(run);
    if (configuration === null) {
      throw new NotFoundError(`run ${run} is not archived in artdaqDB ${this.#backend.describe()}`, { run });
    }
    const configName = configuration.slice(configuration.indexOf("/") + 1);
    const [downloaded, documents] = await Promise.all([
      this.#runner.download({ run, configName }),
      this.#backend.findConfiguration(configuration),
    ]);
    if (downloaded.length === 0) {
      throw new StoreError(`run ${run}: bulkdownloader exported no files for ${configuration}`, { run });
    }
    // The documents `load` picks (greatest version per collection and entity), as the native export picks them:
    // they say which files the export must hold and date it (their newest creation time).
    const chosen = chooseDocuments(documents);
    const expected = exportPaths(chosen);
    const shared = chosen.filter((_, i) => expected[i].includes("/"));
    if (shared.length > 0) {
      const entity = shared[0].entity;
      const collections = shared.filter((c) => c.entity === entity).map((c) => c.stored.collection);
      throw new StoreError(
        `run ${run}: ${configuration} stores entity '${entity}' in ${collections.join(" and ")}, which ` +
          `bulkdownloader writes to one file; export this run with the native store (artdaq_db.use_tools: false)`,
        { run },
      );
    }
    const files = canonicalFiles(run, configName, downloaded);
    checkComplete(run, configuration, files, expected);
    return { run, configuration, files, storedAt: exportTime(chosen) };
  }

  /** Database (credentials masked) and where the tools run. */
  describe(): string {
    return `artdaqdb-bulktools ${this.#backend.describe()} (tools on ${this.#runner.describe()})`;
  }

  /** Closes the SSH connection and the database. */
  async close(): Promise<void> {
    try {
      await this.#runner.close();
    } finally {
      await this.#backend.close();
    }
  }

  async #schemaDocuments(configuration: string): Promise<StoredDocument[]> {
    return (await this.#backend.findConfiguration(configuration, SYSTEM_LAYOUT)).filter(isSchema);
  }

  /** Refuses to read a filesystem database that is not visible on this host (once checked, remembered). */
  #readable(): Promise<void> {
    const directory = this.#requiredDirectory;
    if (!directory) return Promise.resolve();
    this.#checked ??= Deno.stat(directory).then(
      (info) => {
        if (!info.isDirectory) throw new Error("not a directory");
      },
    ).catch((error) => {
      this.#checked = null;
      throw new ConfigurationError(
        `the filesystem database ${directory} is not readable on this host (${describe(error)}); with remote_host ` +
          `the archiver still reads listings from the database directly: mount it here (create it first for a new ` +
          `database), or use mongodb://`,
      );
    });
    return this.#checked;
  }
}

function isSchema(stored: StoredDocument): boolean {
  return stored.collection === SYSTEM_LAYOUT && documentFacts(stored.doc).entities.includes(SCHEMA_ENTITY);
}

/** The documents whose identical copy (same entity, same payload) is not in `existing` yet. */
function notYetStored(documents: readonly PreparedDocument[], existing: readonly StoredDocument[]): PreparedDocument[] {
  if (existing.length === 0) return [...documents];
  const stored = new Map<string, Set<string>>();
  for (const document of existing) {
    for (const entity of documentFacts(document.doc).entities) {
      const payloads = stored.get(entity) ?? new Set<string>();
      payloads.add(payloadKey(document.doc));
      stored.set(entity, payloads);
    }
  }
  return documents.filter((document) => {
    const entity = fileStem(document.name);
    const payloads = stored.get(entity);
    return !payloads || !payloads.has(payloadKey(fhiclToDbJson(document.text, entity)));
  });
}

/**
 * Refuses what the tools would silently mishandle: a configuration name with `/` or a leading `-` (parsed as an
 * option), non-FHiCL files (bulkloader skips anything without `.fcl`), unsafe paths, two files with one stem
 * (duplicate entities), and a put without `schema.fcl` (no commit marker).
 */
function checkRun(prepared: PreparedRun, documents: readonly PreparedDocument[], kind: PutKind): void {
  const run = prepared.run;
  if (!Number.isSafeInteger(run) || run < 0) throw new RunInputError(`run ${run}: not a valid run number`);
  if (!prepared.configName || /[/\0\n]|^-/.test(prepared.configName)) {
    throw new RunInputError(
      `run ${run}: configuration name '${prepared.configName}' is empty, starts with '-' or contains '/'; ` +
        `fix 'Config name' in metadata.txt`,
      { run },
    );
  }
  if (documents.length === 0) {
    if (kind === "initial") throw new RunInputError(`run ${run}: no documents to archive`, { run });
    return;
  }
  const stems = new Map<string, string>();
  for (const document of documents) {
    if (!isSafeRelativePath(document.name) || !document.name.endsWith(".fcl")) {
      throw new RunInputError(
        `run ${run}: '${document.name}' is not a relative .fcl file name; bulkloader loads only FHiCL files ` +
          `(enable its converter in fhiclize_generate)`,
        { run },
      );
    }
    const stem = fileStem(document.name);
    const other = stems.get(stem);
    if (other !== undefined) {
      throw new RunInputError(
        `run ${run}: ${other} and ${document.name} would both be loaded as entity '${stem}'; rename one of them`,
        { run },
      );
    }
    stems.set(stem, document.name);
  }
  if (!stems.has(SCHEMA_ENTITY)) {
    throw new RunInputError(
      `run ${run}: the ${kind} documents have no schema.fcl; artdaq_database needs it in SystemLayout ` +
        `(check artdaq_db.fcl_conf_dir)`,
      { run },
    );
  }
}

/**
 * Refuses an export whose files are not exactly the documents the database holds for the configuration (a file
 * bulkdownloader failed to write without saying so, or a put that landed between the download and the read).
 */
function checkComplete(run: number, configuration: string, files: readonly ExportedFile[], expected: string[]): void {
  const got = new Set(files.map((file) => file.path));
  const want = new Set(expected);
  const missing = expected.filter((path) => !got.has(path));
  const extra = [...got].filter((path) => !want.has(path));
  if (missing.length === 0 && extra.length === 0) return;
  const parts = [
    missing.length > 0 ? `missing ${missing.sort().join(", ")}` : "",
    extra.length > 0 ? `not in the database ${extra.sort().join(", ")}` : "",
  ].filter(Boolean);
  throw new StoreError(
    `run ${run}: bulkdownloader's export of ${configuration} does not match the documents the database holds ` +
      `(${parts.join("; ")}); retry the run, and check the tool's stderr if it persists`,
    { run },
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.split("\n")[0] : String(error);
}
