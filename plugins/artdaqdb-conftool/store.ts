/**
 * The `Store` role over artdaq_database's own format: one implementation of the document logic (naming,
 * versions, retries, export) for both providers, which sit behind the {@link Backend} seam.
 *
 * Write protocol (what makes a run "complete or detectably incomplete", original-archiver.md §16.1-3):
 *
 * 1. Plan the documents; the `schema` document in `SystemLayout` is the commit marker and is written last.
 * 2. Compare with what the database already holds for the same configuration and version: identical documents
 *    are kept (never duplicated), differing or left-over ones of an unfinished write are replaced or removed.
 * 3. Write every other collection, then `SystemLayout`. Each document write is atomic, each index update locked.
 *
 * A run is listed (`listRuns`, `configurationName`) only when its configuration has a `schema` document in
 * `SystemLayout`, so a crash anywhere before step 3 ends leaves the run unlisted, and the next `putRun`
 * completes it. Document ids are derived from (collection, configuration, version, entity), so a retry rewrites
 * the same documents instead of adding copies.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import { releaseBytes } from "../../core/blob/bytes.ts";
import { processExists } from "../../core/process.ts";
import { ConflictError, NotFoundError, RunInputError, StoreError } from "../../core/errors.ts";
import type { ExportedRun, Logger, PreparedRun, PutKind, Store } from "../../core/roles.ts";
import type { Backend, ConfigurationEntry, StoredDocument } from "./backend.ts";
import { documentFacts, payloadKey } from "./document.ts";
import { exportDocumentRefs, exportDocuments } from "./export.ts";
import { documentId } from "./ids.ts";
import { groupBy } from "./group.ts";
import { configurationOf, updateNumber, updateVersion } from "./naming.ts";
import { inStretches, type Offload, warmOffload } from "./offload.ts";
import { PayloadSources } from "./payloads.ts";
import { planDocuments, type PlannedDocument } from "./plan.ts";
import { SCHEMA_ENTITY, SYSTEM_LAYOUT } from "./schema_rules.ts";
import type { DocumentFile } from "./fs/document_file.ts";
import {
  discardWritten,
  type EncodeCommon,
  encodeDocuments,
  type EncodeItem,
  encodeItemSize,
  type EncodeTarget,
  storedDocument,
} from "./tasks.ts";
import { artdaqTimestampToIso, type Clock, systemClock } from "./timestamp.ts";

/** Settings of {@link ConftoolStore} besides its backend. */
export interface ConftoolStoreSettings {
  /** Timestamp source for new documents (default: local time now). */
  clock?: Clock;
  /** Where warnings go (a run with several configurations, files that are not FHiCL). */
  logger?: Logger;
  /**
   * Threads for the conversion of large runs (import and export; plugins/artdaqdb-conftool/offload.ts); closed
   * with the store. Without it every run converts on the calling thread.
   */
  offload?: Offload;
}

/** What a put has to do for one version. */
interface VersionDiff {
  /** Documents to write, under an existing document's id (`replaces`) or a new one. */
  writes: Array<{ planned: PlannedDocument; id: string; replaces: boolean }>;
  /** Documents to delete: surplus copies, and entities no longer planned. */
  removals: StoredDocument[];
  /** Entities stored but not planned (a subset of the removals' entities). */
  unplanned: string[];
}

/** The artdaq_database store (filesystem or MongoDB, by backend). */
export class ConftoolStore implements Store {
  readonly kind = "artdaqdb-conftool";
  readonly #backend: Backend;
  readonly #clock: Clock;
  readonly #logger?: Logger;
  readonly #offload?: Offload;
  /** Payloads written by this store, by the SHA-256 of their FHiCL, for later documents of the same FHiCL. */
  readonly #payloads = new PayloadSources();
  /** Where the renderings made at conversion are kept (made when first needed, removed at close). */
  #renderings: Promise<string> | null = null;
  #ready: Promise<void> | null = null;

  constructor(backend: Backend, settings: ConftoolStoreSettings = {}) {
    this.#backend = backend;
    this.#clock = settings.clock ?? systemClock;
    this.#logger = settings.logger;
    this.#offload = settings.offload;
  }

  async listRuns(): Promise<number[]> {
    const byRun = await this.#backend.configurationsByRun(SYSTEM_LAYOUT, SCHEMA_ENTITY);
    return [...byRun.keys()].sort((a, b) => a - b);
  }

  async configurationName(run: number): Promise<string | null> {
    const entries = await this.#backend.configurationsOfRun(SYSTEM_LAYOUT, SCHEMA_ENTITY, run);
    if (entries.length === 0) return null;
    const chosen = newestConfiguration(entries);
    if (entries.length > 1) {
      this.#logger?.warn(
        `run ${run} has ${entries.length} configurations in artdaqDB (${entries.map((e) => e.name).join(", ")}); ` +
          `using the newest, ${chosen}`,
        { run },
      );
    }
    return chosen;
  }

  async putRun(prepared: PreparedRun, kind: PutKind): Promise<void> {
    const run = prepared.run;
    if (!Number.isSafeInteger(run) || run < 0) throw new RunInputError(`run ${run}: not a valid run number`);
    if (!prepared.configName || /[/\0]/.test(prepared.configName)) {
      throw new RunInputError(
        `run ${run}: configuration name '${prepared.configName}' is empty or contains '/'; fix 'Config name' in metadata.txt`,
        { run },
      );
    }
    const documents = kind === "initial" ? prepared.documents : prepared.updateDocuments;
    if (documents.length === 0) {
      if (kind === "initial") throw new RunInputError(`run ${run}: no documents to archive`, { run });
      return;
    }
    const configuration = configurationOf(run, prepared.configName);
    const timestamp = this.#clock();
    const { documents: planned, skipped } = planDocuments(run, documents, kind, timestamp);
    if (skipped.length > 0) {
      this.#logger?.warn(
        `run ${run}: ${skipped.join(", ")} ${skipped.length === 1 ? "is" : "are"} not FHiCL and cannot be stored ` +
          `in artdaq_database, so ${skipped.length === 1 ? "it is" : "they are"} not archived (as with the Python ` +
          `archiver); enable a converter in fhiclize_generate to keep ${skipped.length === 1 ? "it" : "them"}`,
        { run, skipped },
      );
    }
    await this.#ensureDatabase();
    if (kind === "initial") {
      const existing = await this.#backend.findConfiguration(configuration);
      await this.#putInitial(run, configuration, planned, existing, timestamp);
    } else await this.#putUpdate(run, configuration, planned, await this.#existingForUpdate(configuration), timestamp);
  }

  /**
   * What an update decides on: every document of the update versions, but of the initial version only the
   * `SystemLayout` ones (its marker is all `#putUpdate` looks at). The initial version's per-process documents —
   * nearly all of a run's bytes — are neither read nor parsed (a 12 MB run: ~29 MB of JSON per update before).
   */
  async #existingForUpdate(configuration: string): Promise<StoredDocument[]> {
    const [layout, updates] = await Promise.all([
      this.#backend.findConfiguration(configuration, SYSTEM_LAYOUT),
      this.#backend.findConfiguration(configuration, undefined, { exceptVersion: configuration }),
    ]);
    const key = (stored: StoredDocument) => `${stored.collection}\0${stored.id}`;
    const seen = new Set(updates.map(key));
    return [...updates, ...layout.filter((stored) => !seen.has(key(stored)))];
  }

  async hasUpdate(run: number): Promise<boolean> {
    const configuration = await this.configurationName(run);
    if (configuration === null) return false;
    const documents = await this.#backend.findConfiguration(configuration, SYSTEM_LAYOUT);
    return documents.some((stored) => {
      const facts = documentFacts(stored.doc);
      return facts.entities.includes(SCHEMA_ENTITY) && (updateNumber(facts.version, configuration) ?? 0) > 0;
    });
  }

  async exportRun(run: number): Promise<ExportedRun> {
    const configuration = await this.configurationName(run);
    if (configuration === null) {
      throw new NotFoundError(`run ${run} is not archived in artdaqDB ${this.#backend.describe()}`, { run });
    }
    const { files, storedAt } = this.#backend.locateConfiguration
      ? await exportDocumentRefs(
        await this.#backend.locateConfiguration(configuration),
        this.#offload,
        (collection, id) => this.#payloads.written(collection, id),
      )
      : exportDocuments(await this.#backend.findConfiguration(configuration));
    return { run, configuration, files, storedAt };
  }

  /**
   * Group commit (filesystem provider; a no-op on MongoDB, whose writes are durable as they land): see
   * `Store.deferCommits` in core/roles.ts.
   */
  async deferCommits(enabled: boolean): Promise<void> {
    if (!enabled) await this.commit();
    await this.#backend.deferIndexWrites?.(enabled);
  }

  /**
   * The directory of renderings made at conversion: this store's own, under the system's temporary directory, named
   * with this process's id; made when first needed, after removing those of processes that no longer run (a crash
   * leaves its directory behind).
   */
  #renderingDir(): Promise<string> {
    return this.#renderings ??= removeStaleRenderings().then(() =>
      Deno.makeTempDir({ prefix: `${RENDERINGS_PREFIX}${Deno.pid}-` })
    );
  }

  /** Starts the conversion threads ahead of the first put (see `Store.warm`). */
  warm(): void {
    warmOffload(this.#offload);
  }

  /** Makes every earlier `putRun` durable; `SystemLayout` (the commit marker) is written last. */
  async commit(): Promise<void> {
    await this.#backend.commit?.([SYSTEM_LAYOUT]);
  }

  describe(): string {
    return `artdaqdb-conftool ${this.#backend.describe()}`;
  }

  async close(): Promise<void> {
    try {
      const renderings = this.#renderings;
      this.#renderings = null;
      if (renderings !== null) await Deno.remove(await renderings, { recursive: true }).catch(() => {});
      await this.#backend.close();
    } finally {
      await this.#offload?.pool.close();
    }
  }

  async #putInitial(
    run: number,
    configuration: string,
    planned: PlannedDocument[],
    existing: StoredDocument[],
    timestamp: string,
  ): Promise<void> {
    const current = existing.filter((stored) => documentFacts(stored.doc).version === configuration);
    const diff = diffVersion(planned, current, configuration, configuration);
    if (hasMarker(current)) {
      // Archived already: identical content is success; surplus identical copies (another tool's) are left alone.
      if (diff.writes.length === 0 && diff.unplanned.length === 0) return;
      const entities = [...diff.writes.map((w) => w.planned.entity), ...diff.unplanned];
      throw new ConflictError(
        `run ${run}: ${configuration} is already archived in artdaqDB with different content for ` +
          `${[...new Set(entities)].sort().join(", ")}; nothing was changed`,
        { run },
      );
    }
    await this.#apply(run, configuration, configuration, diff, timestamp);
  }

  async #putUpdate(
    run: number,
    configuration: string,
    planned: PlannedDocument[],
    existing: StoredDocument[],
    timestamp: string,
  ): Promise<void> {
    const byVersion = groupBy(existing, (stored) => updateNumber(documentFacts(stored.doc).version, configuration));
    if (!hasMarker(byVersion.get(0) ?? [])) {
      throw new StoreError(
        `run ${run}: cannot store the stop-time update: the initial archive of ${configuration} is not complete; ` +
          `archive the run first`,
        { run },
      );
    }
    const latest = Math.max(0, ...byVersion.keys());
    let target = latest + 1;
    let current: StoredDocument[] = [];
    if (latest > 0) {
      const latestDocs = byVersion.get(latest)!;
      const version = updateVersion(configuration, latest);
      if (hasMarker(latestDocs)) {
        const diff = diffVersion(planned, latestDocs, configuration, version);
        if (diff.writes.length === 0 && diff.unplanned.length === 0) return; // this update is stored already
      } else {
        target = latest; // an interrupted update: complete it under its own version
        current = latestDocs;
      }
    }
    const version = updateVersion(configuration, target);
    await this.#apply(run, configuration, version, diffVersion(planned, current, configuration, version), timestamp);
  }

  /**
   * Converts every document to write (so a syntax error changes nothing), removes left-overs, then writes every
   * collection, `SystemLayout` (the marker) last. With a backend that takes encoded documents, each document's
   * model lives only while it is rendered: the run costs its bytes, not its models (~10× more).
   */
  async #apply(run: number, configuration: string, version: string, diff: VersionDiff, timestamp: string) {
    const common: EncodeCommon = { run, configuration, version, timestamp };
    const itemOf = ({ planned, id }: VersionDiff["writes"][number], file?: DocumentFile | null): EncodeItem => {
      const target: EncodeTarget = {
        name: planned.name,
        ...(planned.path !== undefined ? { path: planned.path } : {}),
        collection: planned.collection,
        entity: planned.entity,
        id,
        ...(file ? { file } : {}),
      };
      return planned.bytes !== undefined ? { ...target, bytes: planned.bytes } : { ...target, text: planned.text };
    };
    const byCollection = groupBy(diff.writes, (write) => write.planned.collection);
    const others = [...byCollection].filter(([collection]) => collection !== SYSTEM_LAYOUT);
    const layout = byCollection.get(SYSTEM_LAYOUT);
    const ordered = layout ? [...others, [SYSTEM_LAYOUT, layout] as const] : others;
    const removeStale = async () => {
      for (const [collection, stale] of groupBy(diff.removals, (stored) => stored.collection)) {
        await this.#backend.remove(collection, stale.map((stored) => stored.id));
      }
    };
    if (this.#backend.upsertEncoded) {
      const backend = this.#backend;
      // Files about to be written or removed are no payload source any more (see PayloadSources).
      const payloads = this.#payloads;
      for (const { planned, id } of diff.writes) payloads.forget(planned.collection, id);
      for (const stored of diff.removals) payloads.forget(stored.collection, stored.id);
      const writes = ordered.flatMap(([, writes]) => writes);
      const files = writes.map((write) =>
        write.replaces ? null : backend.newDocumentFile?.(write.planned.collection, write.id) ?? null
      );
      // Digests only of documents written by the converting code itself (those whose payload can be copied).
      const digests = writes.map((write, i) => files[i] ? textDigest(write.planned) : undefined);
      const ended = await payloads.inFlight(digests);
      try {
        const items: EncodeItem[] = writes.map((write, i) => {
          const item = itemOf(write, files[i]);
          const reuse = payloads.find(digests[i]);
          return reuse ? { ...item, reuse } : item;
        });
        // A large document's rendering is kept for the export, which then need not read and render it.
        const keepsRendering = (item: EncodeItem, i: number) =>
          !item.reuse && encodeItemSize(item) >= RENDERING_MIN && !payloads.renderingNotWanted(digests[i]);
        if (items.some(keepsRendering)) {
          const dir = await this.#renderingDir();
          items.forEach((item, i) => {
            if (keepsRendering(item, i)) items[i] = { ...item, rendering: dir };
          });
        }
        const encoded = (await inStretches(
          this.#offload,
          items,
          encodeItemSize,
          encodeDocuments,
          [common],
          discardWritten,
        )).flat();
        let at = 0;
        const batches = ordered.map(([collection, writes]) => ({
          collection,
          documents: encoded.slice(at, at += writes.length),
        }));
        try {
          await removeStale();
        } catch (error) {
          discardWritten(encoded);
          throw error;
        }
        await this.#backend.upsertEncoded(batches);
        encoded.forEach((document, i) => {
          if (document.data) releaseBytes(document.data); // written: freed now
          const digest = digests[i];
          if (document.payload && digest !== undefined) {
            payloads.record(digest, document.collection, document.id, document.payload);
            if (document.rendered) payloads.recordRendering(digest, document.rendered);
          }
        });
      } finally {
        ended();
      }
      return;
    }
    const batches = ordered.map(([collection, writes]) => ({
      collection,
      documents: writes.map((write) => storedDocument(itemOf(write), common)),
    }));
    await removeStale();
    if (this.#backend.upsertAll) return await this.#backend.upsertAll(batches);
    const last = layout ? batches.pop()! : undefined;
    await Promise.all(batches.map((batch) => this.#backend.upsert(batch.collection, batch.documents)));
    if (last) await this.#backend.upsert(last.collection, last.documents);
  }

  #ensureDatabase(): Promise<void> {
    this.#ready ??= this.#backend.ensureDatabase();
    this.#ready.catch(() => (this.#ready = null));
    return this.#ready;
  }
}

/**
 * What must change so that `version` of `configuration` holds exactly `planned`, given its `current` documents:
 * identical documents stay, a differing one is replaced under its id, extra copies and entities no longer planned
 * are removed, missing ones get their derived id.
 */
function diffVersion(
  planned: readonly PlannedDocument[],
  current: readonly StoredDocument[],
  configuration: string,
  version: string,
): VersionDiff {
  const byKey = groupBy(current, (stored) => `${stored.collection}\0${entityOf(stored)}`);
  const writes: VersionDiff["writes"] = [];
  const removals: StoredDocument[] = [];
  const plannedKeys = new Set<string>();
  for (const document of planned) {
    const key = `${document.collection}\0${document.entity}`;
    plannedKeys.add(key);
    const matches = byKey.get(key) ?? [];
    const same = matches.find((stored) => payloadKey(stored.doc) === document.payload);
    if (same) {
      removals.push(...matches.filter((stored) => stored !== same));
      continue;
    }
    const id = matches[0]?.id ??
      documentId({ collection: document.collection, configuration, version, entity: document.entity });
    writes.push({ planned: document, id, replaces: matches.length > 0 });
    removals.push(...matches.slice(1));
  }
  const unplanned: string[] = [];
  for (const [key, stale] of byKey) {
    if (plannedKeys.has(key)) continue;
    removals.push(...stale);
    unplanned.push(entityOf(stale[0]));
  }
  return { writes, removals, unplanned };
}

/** Prefix of the directories of renderings under the temporary directory: then the process id, `-`, a random part. */
const RENDERINGS_PREFIX = "archiver-renderings-";

/**
 * Removes the directories of renderings that processes no longer running left under the temporary directory (`TMPDIR`,
 * else `/tmp`). Whether a process runs is asked of `/proc` (`processExists`); where that cannot tell, nothing is removed.
 */
export async function removeStaleRenderings(): Promise<void> {
  const tmp = Deno.env.get("TMPDIR") || "/tmp";
  try {
    for await (const entry of Deno.readDir(tmp)) {
      if (!entry.isDirectory || !entry.name.startsWith(RENDERINGS_PREFIX)) continue;
      const pid = Number(entry.name.slice(RENDERINGS_PREFIX.length).split("-")[0]);
      if (!Number.isInteger(pid) || pid <= 0 || pid === Deno.pid || await processExists(pid) !== false) continue;
      await Deno.remove(join(tmp, entry.name), { recursive: true });
    }
  } catch {
    // the directory cannot be listed, or one went meanwhile: leave the rest as it is
  }
}

/**
 * Smallest FHiCL (bytes) whose rendering is kept at conversion: a small document renders at export in less than a
 * file written and read costs.
 */
const RENDERING_MIN = 32 << 10;

/** SHA-256 of a planned document's text: the source's, or computed here (a generated document: small). */
function textDigest(planned: PlannedDocument): string {
  return planned.sha256 ?? createHash("sha256").update(planned.text).digest("hex");
}

function hasMarker(documents: readonly StoredDocument[]): boolean {
  return documents.some((stored) => stored.collection === SYSTEM_LAYOUT && entityOf(stored) === SCHEMA_ENTITY);
}

function entityOf(stored: StoredDocument): string {
  return documentFacts(stored.doc).entities[0] ?? "notprovided";
}

/** The configuration `findconfigs` lists first: newest `assigned` (compared in UTC), ties by name. */
function newestConfiguration(entries: readonly ConfigurationEntry[]): string {
  const keyed = entries.map((entry) => ({ name: entry.name, at: artdaqTimestampToIso(entry.assigned) ?? "" }));
  keyed.sort((a, b) => a.at !== b.at ? (a.at < b.at ? 1 : -1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return keyed[0].name;
}
