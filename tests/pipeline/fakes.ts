/**
 * In-memory fakes of the roles (Source, Store, Sink, Notifier) with failure injection and call logs, and a harness
 * that builds a real configuration (through `loadConfig`) in a temp work directory; metrics and log lines are
 * recorded by tests/_helpers/recorders.ts.
 *
 * @module
 */
import { adler32, PackedBlob } from "../../core/blob/mod.ts";
import type { ArchiveFlags } from "../../core/cli/flags.ts";
import { ShutdownController } from "../../core/cli/shutdown.ts";
import { loadConfig } from "../../core/config/mod.ts";
import type { ArchiverConfig } from "../../core/config/types.ts";
import { ConflictError, NotFoundError, RunInputError, SinkError, StoreError } from "../../core/errors.ts";
import { runArchiver } from "../../core/pipeline/mod.ts";
import type {
  ExportedRun,
  Notification,
  Notifier,
  PreparedRun,
  PutKind,
  PutOutcome,
  Sink,
  SinkEntry,
  Source,
  SourceRun,
  Store,
} from "../../core/roles.ts";
import { RecordingLogger, RecordingMetrics } from "../_helpers/recorders.ts";

const encoder = new TextEncoder();

/** A run record of the fake source. */
export interface FakeRun {
  complete: boolean;
  /** mtime of the run directory (ms). Default: long ago. */
  modifiedAt?: number;
  /** Start time text present (I10: an update with only a start time). */
  startTime?: string;
  configName?: string;
  /** Throws a RunInputError from prepare. */
  badInput?: string;
}

/** Fails `times` calls (Infinity = always) with `make()`. */
export class Faults {
  #left = new Map<string, number>();
  #make = new Map<string, () => Error>();
  set(key: string, times: number, make: () => Error): void {
    this.#left.set(key, times);
    this.#make.set(key, make);
  }
  clear(key: string): void {
    this.#left.delete(key);
  }
  /** Throw if a fault is armed for `key`. */
  check(key: string): void {
    const left = this.#left.get(key);
    if (!left) return;
    this.#left.set(key, left - 1);
    throw this.#make.get(key)!();
  }
}

/** The run-records source. */
export class FakeSource implements Source {
  readonly kind = "fake-source";
  runs = new Map<number, FakeRun>();
  faults = new Faults();
  prepared: number[] = [];

  constructor(runs: Record<number, FakeRun> | number[] = []) {
    if (Array.isArray(runs)) { for (const run of runs) this.runs.set(run, { complete: true }); }
    else for (const [run, info] of Object.entries(runs)) this.runs.set(Number(run), info);
  }
  listRuns(): Promise<SourceRun[]> {
    this.faults.check("list");
    return Promise.resolve(
      [...this.runs.keys()].sort((a, b) => a - b).map((run) => ({ run, dirName: String(run) })),
    );
  }
  prepare(run: number): Promise<PreparedRun> {
    this.faults.check(`prepare:${run}`);
    const info = this.runs.get(run);
    if (!info) return Promise.reject(new RunInputError(`Run directory not found: ${run}`, { run }));
    if (info.badInput) return Promise.reject(new RunInputError(info.badInput, { run }));
    this.prepared.push(run);
    const configName = info.configName ?? "demo";
    const stop = info.complete ? `DAQInterface_stop_time: "stop ${run}"` : "";
    const start = info.startTime ?? `start ${run}`;
    const update = info.complete || info.startTime
      ? [{ name: "RunHistory2.fcl", text: `DAQInterface_start_time: "${start}"${stop ? `\n${stop}` : ""}` }]
      : [];
    return Promise.resolve({
      run,
      configName,
      documents: [
        { name: "boot.fcl", text: `boot_${run}: 1\n` },
        { name: "metadata.fcl", text: `config_name: "${configName}"\ncomponents: ["tpc01"]\n` },
        { name: "schema.fcl", text: "schema: 1\n" },
      ],
      updateDocuments: update,
      complete: info.complete,
      manifest: [{ path: "boot.txt", size: 100, sha256: "0".repeat(64) }],
    });
  }
  isComplete(run: number): Promise<boolean> {
    return Promise.resolve(this.runs.get(run)?.complete ?? false);
  }
  modifiedAt(run: number): Promise<number> {
    return Promise.resolve(this.runs.get(run)?.modifiedAt ?? 0);
  }
  describe(): string {
    return "fake source";
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

interface StoredRun {
  configuration: string;
  documents: Map<string, string>;
  updated: boolean;
}

/** artdaqDB in memory; `putRun` is idempotent like the real stores. */
export class FakeStore implements Store {
  readonly kind = "fake-store";
  runs = new Map<number, StoredRun>();
  faults = new Faults();
  /** Every write that changed something: `run:kind`. */
  writes: string[] = [];
  /** Every putRun call: `run:kind`. */
  calls: string[] = [];
  /** Delay of putRun in ms (to make in-flight windows). */
  delayMs = 0;

  listRuns(): Promise<number[]> {
    this.faults.check("list");
    return Promise.resolve([...this.runs.keys()].sort((a, b) => a - b));
  }
  configurationName(run: number): Promise<string | null> {
    return Promise.resolve(this.runs.get(run)?.configuration ?? null);
  }
  async putRun(prepared: PreparedRun, kind: PutKind): Promise<void> {
    this.calls.push(`${prepared.run}:${kind}`);
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    this.faults.check(`put:${prepared.run}:${kind}`);
    this.faults.check(`put:${kind}`);
    let stored = this.runs.get(prepared.run);
    if (kind === "update" && !stored) {
      throw new NotFoundError(`run ${prepared.run} not found for update`, { run: prepared.run });
    }
    if (!stored) {
      stored = { configuration: `${prepared.run}/${prepared.configName}`, documents: new Map(), updated: false };
      for (const doc of prepared.documents) stored.documents.set(doc.name, doc.text);
      this.runs.set(prepared.run, stored);
      this.writes.push(`${prepared.run}:initial`);
      return;
    }
    if (kind === "update") {
      let changed = false;
      for (const doc of prepared.updateDocuments) {
        if (stored.documents.get(doc.name) !== doc.text) {
          stored.documents.set(doc.name, doc.text);
          changed = true;
        }
      }
      if (changed) this.writes.push(`${prepared.run}:update`);
      stored.updated = true;
    }
  }
  hasUpdate(run: number): Promise<boolean> {
    return Promise.resolve(this.runs.get(run)?.updated ?? false);
  }
  exportRun(run: number): Promise<ExportedRun> {
    this.faults.check(`export:${run}`);
    const stored = this.runs.get(run);
    if (!stored) return Promise.reject(new NotFoundError(`run ${run} not in artdaqDB`, { run }));
    return Promise.resolve({
      run,
      configuration: stored.configuration,
      storedAt: "2026-11-29T14:00:00.000Z",
      files: [...stored.documents].map(([path, text]) => ({ path, data: encoder.encode(text) })),
    });
  }
  /** Put a run straight in (as if imported earlier, e.g. by the Python archiver). */
  seed(run: number, configName = "demo", updated = true): void {
    this.runs.set(run, {
      configuration: `${run}/${configName}`,
      documents: new Map([["boot.fcl", `boot_${run}: 1\n`], ["schema.fcl", "schema: 1\n"]]),
      updated,
    });
  }
  describe(): string {
    return "fake store";
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** UconDB in memory: key = run, no override. */
export class FakeSink implements Sink {
  readonly kind = "fake-sink";
  blobs = new Map<number, Uint8Array>();
  faults = new Faults();
  /** Successful POSTs that created a version. */
  creates: number[] = [];
  puts: number[] = [];
  /** M2: the server answers reads with the stored bytes plus this suffix. */
  readSuffix = "";
  /** Keys in the listing that are not runs (M3). */
  extraKeys: (string | null)[] = [];

  listRuns(): Promise<number[]> {
    this.faults.check("list");
    return Promise.resolve([...this.blobs.keys()].sort((a, b) => a - b));
  }
  put(run: number, packed: Uint8Array | PackedBlob): Promise<PutOutcome> {
    const blob = PackedBlob.of(packed).bytes();
    this.puts.push(run);
    this.faults.check(`put:${run}`);
    this.faults.check("put");
    const existing = this.blobs.get(run);
    if (existing) {
      if (existing.length === blob.length && adler32(existing) === adler32(blob)) return Promise.resolve("identical");
      return Promise.reject(new ConflictError(`run ${run} already in the sink with different content`, { run }));
    }
    this.blobs.set(run, blob.slice());
    this.creates.push(run);
    return Promise.resolve("created");
  }
  #served(run: number): Uint8Array | null {
    const blob = this.blobs.get(run);
    if (!blob) return null;
    if (!this.readSuffix) return blob;
    const out = new Uint8Array(blob.length + this.readSuffix.length);
    out.set(blob);
    out.set(encoder.encode(this.readSuffix), blob.length);
    return out;
  }
  stat(run: number): Promise<SinkEntry | null> {
    this.faults.check(`stat:${run}`);
    const served = this.#served(run);
    return Promise.resolve(served ? { run, size: served.length, adler32: adler32(served) } : null);
  }
  get(run: number): Promise<Uint8Array | null> {
    return Promise.resolve(this.#served(run));
  }
  matches(run: number, blob: PackedBlob): Promise<boolean | null> {
    const served = this.#served(run);
    return Promise.resolve(served === null ? null : blob.equals(served));
  }
  describe(): string {
    return "fake sink";
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Records notifications; `fail` makes it throw (an unreachable SMTP server). */
export class FakeNotifier implements Notifier {
  readonly kind = "fake-notifier";
  received: Notification[] = [];
  fail = false;
  notify(notification: Notification): Promise<void> {
    if (this.fail) return Promise.reject(new SinkError("SMTP server smtp.invalid: getaddrinfo ENOTFOUND"));
    this.received.push(notification);
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Flags with every field at its default. */
export function makeFlags(overrides: Partial<ArchiveFlags> = {}): ArchiveFlags {
  return {
    configFile: "config.yaml",
    usedDefaultConfig: false,
    mode: "full",
    verbose: false,
    quiet: true,
    incremental: false,
    compareState: false,
    validate: false,
    dryRun: false,
    watch: null,
    json: false,
    ...overrides,
  };
}

/** A configuration loaded through the real loader from YAML written into `dir`. */
export async function makeConfig(dir: string, app: Record<string, unknown> = {}, extra = ""): Promise<ArchiverConfig> {
  await Deno.mkdir(`${dir}/conf`, { recursive: true });
  await Deno.mkdir(`${dir}/records`, { recursive: true });
  const appLines = Object.entries({
    work_dir: `${dir}/work`,
    retry_delay_seconds: 0,
    run_process_retries: 1,
    log_file: null,
    ...app,
  }).map(([key, value]) => `  ${key}: ${JSON.stringify(value)}`).join("\n");
  const yaml = `app:\n${appLines}
source_files:
  run_records_dir: ${dir}/records
  incomplete_run_grace_seconds: 3600
artdaq_db:
  fcl_conf_dir: ${dir}/conf
  database_uri: filesystemdb://${dir}/db
ucon_db:
  server_url: http://127.0.0.1:1/app
  folder_name: test01
  object_name: configuration
  writer_user: writer
  writer_password: secretpass
${extra}`;
  await Deno.writeTextFile(`${dir}/config.yaml`, yaml);
  return await loadConfig(`${dir}/config.yaml`, { env: {}, loadEnvFile: false, onWarning: () => {} });
}

/** A pipeline harness over the fakes. */
export class Harness {
  source: FakeSource;
  store = new FakeStore();
  sink = new FakeSink();
  metrics = new RecordingMetrics();
  notifier = new FakeNotifier();
  logger = new RecordingLogger();
  shutdown = new ShutdownController();
  config: ArchiverConfig;
  random: () => number = Math.random;

  constructor(config: ArchiverConfig, source: FakeSource) {
    this.config = config;
    this.source = source;
  }

  /** Run the archiver once with these flags; returns the exit code. */
  run(flags: Partial<ArchiveFlags> = {}, out?: (text: string) => void): Promise<number> {
    this.logger.lines.length = 0;
    return runArchiver({
      config: this.config,
      flags: makeFlags({ configFile: this.config.configFile, ...flags }),
      roles: {
        source: this.source,
        store: this.store,
        sink: this.sink,
        metrics: this.metrics,
        notifiers: [this.notifier],
      },
      logger: this.logger,
      shutdown: this.shutdown,
      random: this.random,
      progressOut: null,
      out: out ?? (() => {}),
    });
  }

  /** Parsed state file of a stage. */
  async state(stage: "import" | "migrate"): Promise<Record<string, unknown>> {
    const file = stage === "import" ? this.config.app.import_state_file : this.config.app.migrate_state_file;
    return JSON.parse(await Deno.readTextFile(file));
  }

  /** Text of a stage's failure log, or null when absent. */
  async failureLog(stage: "import" | "migrate"): Promise<string | null> {
    const file = stage === "import" ? this.config.app.import_failure_log : this.config.app.migrate_failure_log;
    return await Deno.readTextFile(file).catch(() => null);
  }
}

/** A harness on a fresh temp dir. */
export async function harness(
  dir: string,
  runs: Record<number, FakeRun> | number[],
  app: Record<string, unknown> = {},
  extra = "",
): Promise<Harness> {
  return new Harness(await makeConfig(dir, app, extra), new FakeSource(runs));
}

/** A StoreError for fault injection. */
export const storeDown = (): Error => new StoreError("bulkloader exited with status 1");
