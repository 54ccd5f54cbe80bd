/**
 * The status server's model: it keeps a current picture of every run (source listings + state), refreshed in the
 * background — the state files every few seconds (two `stat` calls when nothing changed), the listings of run
 * records, artdaqDB and UconDB less often — and answers per-run questions (manifest, blob files) on demand with a
 * small cache. HTTP handlers only read from it, so a request never waits for a full listing.
 *
 * @example
 * ```ts
 * import { StatusService } from "./service.ts";
 * const service = new StatusService({ roles, state: openStateView(config), configFile: "archiver.yaml" });
 * await service.refresh();
 * service.start();           // background refresh
 * service.current().index.counts();
 * await service.close();
 * ```
 *
 * @module
 */
import type { Logger, ManifestEntry, Sink, Source, Store } from "../roles.ts";
import { type StageName, StageState } from "../state/mod.ts";
import { describeError } from "../errors.ts";
import { redact } from "../redact.ts";
import { Lru } from "../lru.ts";
import { unpackBlob } from "../blob/mod.ts";
import { querySources, SOURCE_KEYS, type SourcesSnapshot } from "../status/sources.ts";
import { buildRunIndex, type RunIndex, type RunRow } from "../status/run_index.ts";
import { retryRunCommand, STAGES, type StateView } from "../status/state_view.ts";
import { retryCommandFor } from "../notify.ts";
import { ThroughputHistory, type ThroughputSeries } from "../status/throughput.ts";
import { compareRun, decodeText, type RunComparison } from "../status/compare.ts";
import { type ArchiverProcess, archiverProcess } from "../status/archiver_process.ts";

/** The roles the server reads. */
export interface StatusRoles {
  /** Run records (listing, and `prepare` for the source manifest). */
  source: Pick<Source, "listRuns" | "describe" | "prepare">;
  /** artdaqDB (listing and configuration names). */
  store: Pick<Store, "listRuns" | "describe" | "configurationName" | "exportRun">;
  /** UconDB (listing, blobs and their metadata). */
  sink: Pick<Sink, "listRuns" | "describe" | "get" | "stat">;
}

/** Options of the service. */
export interface StatusServiceOptions {
  /** The data roles, used read-only. */
  roles: StatusRoles;
  /** The pipeline state, read-only. */
  state: StateView;
  /** Config file path as operators type it, for the retry commands shown. */
  configFile: string;
  /** Where throughput samples go (default: in memory only). */
  history?: ThroughputHistory;
  /** Where background refresh failures are logged. */
  logger?: Logger;
  /** The archiver's lock file (`app.lock_file`): tells whether an archiver is running. */
  lockFile?: string;
  /** How often the state files are checked, ms (default 2000). */
  stateIntervalMs?: number;
  /** How often the three sources are listed, ms (default 30000). */
  listingIntervalMs?: number;
}

/** Everything a page or API response is built from, replaced as a whole on refresh. */
export interface StatusPicture {
  /** Increases on every change; clients poll it to know when to reload. */
  version: number;
  /** ISO time of the last change. */
  refreshedAt: string;
  /** The last listing of the three sources. */
  sources: SourcesSnapshot;
  /** The state of both stages. */
  states: Record<StageName, StageState>;
  /** Every run, classified. */
  index: RunIndex;
  /** The archiver process according to its lock file (unknown without `lockFile`). */
  archiver: ArchiverProcess & { inFlight: Record<StageName, number> };
  /** Error reading the state (corrupt file): shown on the page, the listings still work. */
  stateError?: string;
}

/** One file of a run's blob. */
export interface BlobFileInfo {
  /** Relative path inside the blob. */
  path: string;
  /** Size, bytes. */
  size: number;
  /** Whether it is UTF-8 text (viewable). */
  text: boolean;
}

/** Everything the run page shows. */
export interface RunDetail {
  /** The run's row (state, where it is, failure). */
  run: RunRow;
  /** `<run>/<name>` in artdaqDB, or null. */
  configuration: string | null;
  /** What each stage did with the run (done, pending update, failure with reason and times). */
  history: { stage: StageName; status: string; detail?: string; at?: string; since?: string }[];
  /** Commands that retry this run in the stages where it failed. */
  retryCommands: string[];
  /** The UconDB blob: presence, size, adler32, time, files. */
  blob: {
    present: boolean;
    size?: number;
    adler32?: string;
    createdAt?: string;
    files: BlobFileInfo[];
    legacy?: boolean;
    error?: string;
  };
  /** The run record files with size and SHA-256, and the run's start/stop times. */
  manifest: { files: ManifestEntry[]; complete?: boolean; startTime?: string; stopTime?: string; error?: string };
}

const CACHE_SIZE = 16;
/** Unpacked blobs kept for the run pages: a few 12 MB runs, not sixteen of them. */
const BLOB_CACHE_BYTES = 64 * 1024 * 1024;

/** The live status model. */
export class StatusService {
  readonly #options: StatusServiceOptions;
  readonly #history: ThroughputHistory;
  #picture: StatusPicture | null = null;
  #version = 0;
  #stateKey = "";
  #timers: ReturnType<typeof setInterval>[] = [];
  #refreshing: Promise<void> | null = null;
  #closed = false;
  #listingTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #blobs = new Lru<number, Promise<BlobEntry>>(CACHE_SIZE, BLOB_CACHE_BYTES);
  readonly #manifests = new Lru<number, Promise<RunDetail["manifest"]>>(CACHE_SIZE);

  /** A service over `options`; call `refresh()` then `start()`. */
  constructor(options: StatusServiceOptions) {
    this.#options = options;
    this.#history = options.history ?? ThroughputHistory.inMemory();
  }

  /** The config file as shown in commands. */
  get configFile(): string {
    return this.#options.configFile;
  }

  /** True once the first refresh completed (before that, `current()` throws and the server answers 503). */
  get ready(): boolean {
    return this.#picture !== null;
  }

  /** The current picture; call `refresh()` once before. */
  current(): StatusPicture {
    if (!this.#picture) throw new Error("StatusService.refresh() must complete before current() is used");
    return this.#picture;
  }

  /** List the sources and read the state now (concurrent calls share one refresh). */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#refreshAll().finally(() => (this.#refreshing = null));
    return this.#refreshing;
  }

  /** Start the background refresh loops (no-op once closed). */
  start(): void {
    if (this.#closed || this.#timers.length) return;
    const stateMs = this.#options.stateIntervalMs ?? 2000;
    const listingMs = this.#options.listingIntervalMs ?? 30_000;
    const guard = (work: () => Promise<void>) => (): Promise<void> =>
      work().catch((error) => this.#options.logger?.warn(`status refresh failed: ${redact(describeError(error))}`));
    this.#timers.push(setInterval(guard(() => this.#refreshState()), stateMs));
    // Listings are spaced by at least ten times their own duration: a slow UconDB listing of 100,000 versions
    // never keeps the server (or UconDB) busy most of the time.
    const scheduleListing = () => {
      if (this.#closed) return;
      const took = Math.max(...SOURCE_KEYS.map((key) => this.#picture?.sources[key].durationMs ?? 0));
      this.#listingTimer = setTimeout(async () => {
        await guard(() => this.refresh())();
        scheduleListing();
      }, Math.max(listingMs, 10 * took));
    };
    scheduleListing();
  }

  /** Stop the loops and wait for a refresh in flight. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    clearTimeout(this.#listingTimer);
    this.#timers = [];
    await this.#refreshing?.catch(() => {});
  }

  /** The throughput chart's data. */
  throughput(now = Date.now()): ThroughputSeries {
    const picture = this.current();
    const failureTimes: number[] = [];
    for (const stage of STAGES) {
      for (const failure of picture.states[stage].failures.values()) {
        failureTimes.push(Date.parse(failure.lastFailedAt));
      }
    }
    return this.#history.series({ now, buckets: 48, failureTimes });
  }

  /** Commands that retry each stage's failures (only stages with failures). */
  retryCommands(): { stage: StageName; count: number; command: string }[] {
    const picture = this.current();
    return STAGES.filter((stage) => picture.states[stage].failures.size > 0).map((stage) => ({
      stage,
      count: picture.states[stage].failures.size,
      command: retryCommandFor(stage, this.configFile),
    }));
  }

  /** Everything known about one run, or null when the run is unknown everywhere. */
  async runDetail(run: number): Promise<RunDetail | null> {
    const picture = this.current();
    const row = picture.index.get(run);
    if (!row) return null;
    const [configuration, blob, manifest] = await Promise.all([
      row.inArtdaqdb ? this.#options.roles.store.configurationName(run).catch(() => null) : Promise.resolve(null),
      this.#blobSummary(run, row),
      row.onFilesystem ? this.#manifest(run) : Promise.resolve({ files: [], error: "not in the run records" }),
    ]);
    return {
      run: row,
      configuration: configuration === null ? null : redact(configuration),
      history: this.#stageHistory(run, picture),
      retryCommands: STAGES.filter((stage) => picture.states[stage].failures.has(run)).map((stage) =>
        retryRunCommand(stage, this.configFile, run)
      ),
      blob,
      manifest,
    };
  }

  /** The run as exported from artdaqDB against its UconDB blob, file by file (never cached: it is a check). */
  compare(run: number): Promise<RunComparison> {
    return compareRun(run, this.#options.roles);
  }

  /** One file of a run's blob as text, or null when absent or binary. */
  async blobFile(run: number, path: string): Promise<{ text: string; size: number } | null> {
    const entry = await this.#blob(run);
    const file = entry.files?.find((f) => f.path === path);
    if (!file?.text) return null;
    return { text: redact(decodeText(file.data)!), size: file.data.length };
  }

  #stageHistory(run: number, picture: StatusPicture): RunDetail["history"] {
    const out: RunDetail["history"] = [];
    for (const stage of STAGES) {
      const state = picture.states[stage];
      const failure = state.failures.get(run);
      if (state.done.has(run) && !failure) {
        out.push({ stage, status: stage === "import" ? "imported into artdaqDB" : "migrated to UconDB and verified" });
      }
      const pending = stage === "import" ? state.pendingUpdates.get(run) : undefined;
      if (pending) {
        out.push({ stage, status: "imported without stop time; stop-time update pending", at: pending.importedAt });
      }
      if (failure) {
        const attempts = failure.attempts === 1 ? "1 attempt" : `${failure.attempts} attempts`;
        out.push({
          stage,
          status: failure.permanent ? "failed (permanent)" : "failed",
          detail: `${failure.reason} (${attempts})`,
          at: failure.lastFailedAt,
          since: failure.firstFailedAt,
        });
      }
      if (!state.done.has(run) && !failure && !pending) out.push({ stage, status: "not done yet" });
    }
    return out;
  }

  async #blobSummary(run: number, row: RunRow): Promise<RunDetail["blob"]> {
    if (!row.inUcondb && !row.inArtdaqdb && row.state !== "archived") return { present: false, files: [] };
    const entry = await this.#blob(run);
    if (!entry.present) return { present: false, files: [], ...(entry.error ? { error: entry.error } : {}) };
    return {
      present: true,
      size: entry.size,
      ...(entry.adler32 ? { adler32: entry.adler32 } : {}),
      ...(entry.createdAt ? { createdAt: entry.createdAt } : {}),
      files: (entry.files ?? []).map((f) => ({ path: f.path, size: f.data.length, text: f.text })),
      ...(entry.legacy ? { legacy: true } : {}),
      ...(entry.error ? { error: entry.error } : {}),
    };
  }

  #blob(run: number): Promise<BlobEntry> {
    let entry = this.#blobs.get(run);
    if (!entry) {
      entry = loadBlob(this.#options.roles.sink, run);
      this.#blobs.set(run, entry);
      // A failed download or an absent blob is not cached: the next view asks again (the run may be migrated by
      // then). A stored blob never changes (UconDB refuses a different blob under the same key), so it is cached.
      const pending = entry;
      pending.then((e) =>
        e.error || !e.present ? this.#blobs.delete(run) : this.#blobs.weigh(run, pending, e.size ?? 0)
      );
    }
    return entry;
  }

  #manifest(run: number): Promise<RunDetail["manifest"]> {
    let entry = this.#manifests.get(run);
    if (!entry) {
      entry = this.#options.roles.source.prepare(run).then(
        (prepared) => ({
          files: prepared.manifest,
          complete: prepared.complete,
          ...(prepared.startTime ? { startTime: prepared.startTime } : {}),
          ...(prepared.stopTime ? { stopTime: prepared.stopTime } : {}),
        }),
        (error) => ({ files: [], error: redact(describeError(error)) }),
      );
      this.#manifests.set(run, entry);
    }
    return entry;
  }

  async #refreshAll(): Promise<void> {
    // A source that does not answer is shown as unreachable with its error and no runs; the run states still
    // follow the state files, so archived runs stay archived through a UconDB outage.
    await this.#rebuild(await querySources(this.#options.roles));
  }

  async #refreshState(): Promise<void> {
    if (!this.#picture || this.#refreshing) return;
    await this.#rebuild(this.#picture.sources);
  }

  async #rebuild(sources: SourcesSnapshot): Promise<void> {
    let states: Record<StageName, StageState>;
    let stateError: string | undefined;
    try {
      const [imp, mig] = await Promise.all(STAGES.map((stage) => this.#options.state.load(stage)));
      states = { import: imp, migrate: mig };
    } catch (error) {
      // A corrupt state file: keep showing the last good state (or none) and say so.
      stateError = redact(describeError(error));
      states = this.#picture?.states ?? emptyStates();
    }
    const process: ArchiverProcess = this.#options.lockFile
      ? await archiverProcess(this.#options.lockFile)
      : { pid: null, running: null };
    const stateKey = `${stateFingerprint(states)}|${process.pid}:${process.running}|${stateError ?? ""}|` +
      sourcesFingerprint(sources);
    // Unchanged: keep the picture and its version, so that pages do not reload for nothing every listing.
    if (this.#picture && stateKey === this.#stateKey) return;
    this.#stateKey = stateKey;
    const now = Date.now();
    await this.#history.record({ at: now, imported: states.import.done.size, migrated: states.migrate.done.size });
    this.#picture = {
      version: ++this.#version,
      refreshedAt: new Date(now).toISOString(),
      sources,
      states,
      index: buildRunIndex(sources, states, process.running === true),
      archiver: {
        ...process,
        inFlight: { import: states.import.inFlight.size, migrate: states.migrate.inFlight.size },
      },
      ...(stateError ? { stateError } : {}),
    };
  }
}

interface BlobEntry {
  present: boolean;
  size?: number;
  adler32?: string;
  createdAt?: string;
  /** `text`: whether the file is UTF-8 text, decided once at download rather than on every run page view. */
  files?: { path: string; data: Uint8Array; text: boolean }[];
  legacy?: boolean;
  error?: string;
}

async function loadBlob(sink: StatusRoles["sink"], run: number): Promise<BlobEntry> {
  try {
    const [stat, bytes] = await Promise.all([sink.stat(run), sink.get(run)]);
    if (!bytes) return { present: false };
    const base: BlobEntry = {
      present: true,
      size: bytes.length,
      ...(stat?.adler32 ? { adler32: stat.adler32 } : {}),
      ...(stat?.createdAt ? { createdAt: stat.createdAt } : {}),
    };
    try {
      const unpacked = unpackBlob(bytes);
      const files = unpacked.files.map((f) => ({ path: f.path, data: f.data, text: decodeText(f.data) !== null }));
      return { ...base, files, legacy: unpacked.legacy };
    } catch (error) {
      return { ...base, files: [], error: redact(`blob cannot be unpacked: ${describeError(error)}`) };
    }
  } catch (error) {
    return { present: false, error: redact(`UconDB: ${describeError(error)}`) };
  }
}

function stateFingerprint(states: Record<StageName, StageState>): string {
  // The state view returns the same object until a file changes, so identity plus update time is enough.
  return STAGES.map((stage) => `${states[stage].updatedAt}:${states[stage].done.size}:${states[stage].failures.size}`)
    .join("|") + `|${identity(states.import)}|${identity(states.migrate)}`;
}

/** What the page shows of the listings: reachability, error and the run set (hashed; 100,000 runs in ~1 ms). */
function sourcesFingerprint(sources: SourcesSnapshot): string {
  return SOURCE_KEYS.map((key) => {
    const listing = sources[key];
    let hash = 0;
    for (const run of listing.runs) hash = (Math.imul(hash, 31) + run) | 0;
    return `${listing.reachable}:${listing.error ?? ""}:${listing.runs.length}:${hash}`;
  }).join("|");
}

const ids = new WeakMap<object, number>();
let nextId = 0;
function identity(object: object): number {
  let id = ids.get(object);
  if (id === undefined) ids.set(object, id = ++nextId);
  return id;
}

/** Empty states, shown when the state files cannot be read at all (the page says why). */
function emptyStates(): Record<StageName, StageState> {
  const paths = { stateFile: "", failureLog: "" };
  return { import: new StageState("import", paths), migrate: new StageState("migrate", paths) };
}
