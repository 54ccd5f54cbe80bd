/**
 * In-memory Source/Store/Sink fakes and a state writer for status and server tests: runs are given as sets,
 * blobs are real blobs (core/blob packBlob), state files are written with the real state module.
 *
 * @module
 */
import type {
  ExportedFile,
  ExportedRun,
  PreparedRun,
  RoleTypes,
  Sink,
  SinkEntry,
  Source,
  SourceRun,
  Store,
} from "../../core/roles.ts";
import { NotFoundError, SinkError } from "../../core/errors.ts";
import { adler32, packBlob } from "../../core/blob/mod.ts";
import { loadStageState, saveStageState, type StageName, stagePaths } from "../../core/state/mod.ts";
import { definePlugin, type Plugin } from "../../core/registry.ts";

const encoder = new TextEncoder();

/** The files a fake run exports (and its blob holds). */
export function runFiles(run: number): ExportedFile[] {
  return [
    { path: "boot.fcl", data: encoder.encode(`daq: {\n  run_number: ${run}\n  partition: 1\n}\n`) },
    { path: "metadata.fcl", data: encoder.encode(`run_number: ${run}\nconfig_name: "demo"\n`) },
    { path: "RunHistory.fcl", data: encoder.encode(`run_history: { number: ${run} }\n`) },
  ];
}

/** Options of the fakes. */
export interface FakeWorld {
  fs: number[];
  db: number[];
  ucon: number[];
  /** Make a role's listing throw (unreachable source). */
  down?: { source?: boolean; store?: boolean; sink?: boolean };
  /** Per-run overrides of the blob files (to make a run differ from artdaqDB). */
  blobFiles?: Map<number, ExportedFile[]>;
  /** Runs whose blob carries a changed boot.fcl (JSON-friendly form of `blobFiles`). */
  differ?: number[];
  /** A secret that a failing listing puts in its error message (to prove redaction). */
  secretInErrors?: string;
}

/** Fake roles over a `FakeWorld`. */
export function fakeRoles(world: FakeWorld): Pick<RoleTypes, "source" | "store" | "sink"> {
  const failure = (what: string) => new SinkError(`${what} unreachable (password=${world.secretInErrors ?? "none"})`);
  const source: Source = {
    kind: "fake-run-records",
    listRuns(): Promise<SourceRun[]> {
      if (world.down?.source) return Promise.reject(failure("run records"));
      return Promise.resolve(world.fs.map((run) => ({ run, dirName: String(run) })));
    },
    prepare(run: number): Promise<PreparedRun> {
      if (!world.fs.includes(run)) return Promise.reject(new NotFoundError(`run ${run} not in run records`));
      return Promise.resolve({
        run,
        configName: "demo",
        documents: [],
        updateDocuments: [],
        complete: true,
        startTime: "Sat Nov 29 10:00:00 UTC 2026",
        stopTime: "Sat Nov 29 10:30:00 UTC 2026",
        manifest: [
          { path: "boot.txt", size: 120, sha256: "a".repeat(64) },
          { path: "metadata.txt", size: 300, sha256: "b".repeat(64) },
        ],
      });
    },
    isComplete: () => Promise.resolve(true),
    modifiedAt: () => Promise.resolve(0),
    describe: () => "run records in /data/run_records",
    close: () => Promise.resolve(),
  };
  const store: Store = {
    kind: "fake-artdaqdb",
    listRuns() {
      if (world.down?.store) return Promise.reject(failure("artdaqDB"));
      return Promise.resolve([...world.db]);
    },
    configurationName: (run) => Promise.resolve(world.db.includes(run) ? `${run}/demo` : null),
    putRun: () => Promise.resolve(),
    hasUpdate: () => Promise.resolve(true),
    exportRun(run): Promise<ExportedRun> {
      if (!world.db.includes(run)) return Promise.reject(new NotFoundError(`run ${run} is not in artdaqDB`));
      return Promise.resolve({
        run,
        configuration: `${run}/demo`,
        files: runFiles(run),
        storedAt: "2026-11-29T10:31:00Z",
      });
    },
    describe: () => "filesystemdb:///data/artdaqdb",
    close: () => Promise.resolve(),
  };
  const blobFilesOf = (run: number) => {
    const given = world.blobFiles?.get(run);
    if (given) return given;
    const files = runFiles(run);
    if (world.differ?.includes(run)) files[0] = { path: "boot.fcl", data: encoder.encode("daq: { changed: true }\n") };
    return files;
  };
  const blob = (run: number) => packBlob(run, `${run}/demo`, "2026-11-29T10:31:00Z", blobFilesOf(run));
  const sink: Sink = {
    kind: "fake-ucondb",
    listRuns() {
      if (world.down?.sink) return Promise.reject(failure("UconDB"));
      return Promise.resolve([...world.ucon]);
    },
    put: () => Promise.resolve("created"),
    stat(run): Promise<SinkEntry | null> {
      if (!world.ucon.includes(run)) return Promise.resolve(null);
      const bytes = blob(run);
      return Promise.resolve({ run, size: bytes.length, adler32: adler32(bytes), createdAt: "2026-11-29T10:32:00Z" });
    },
    get: (run) => Promise.resolve(world.ucon.includes(run) ? blob(run) : null),
    matches: (run, packed) => Promise.resolve(world.ucon.includes(run) ? packed.equals(blob(run)) : null),
    describe: () => "https://ucondb.example/app folder demo/object run_records",
    close: () => Promise.resolve(),
  };
  return { source, store, sink };
}

/**
 * A plugin filling `role` from the fake world in the JSON file named by `STATUS_FAKE_WORLD`, for test configs'
 * `plugins` section (tests/server/fixtures), so that the real entry points run without MongoDB or UconDB.
 */
export function fakeWorldPlugin<R extends "source" | "store" | "sink">(role: R): Plugin<R, Record<string, never>> {
  return definePlugin<R, Record<string, never>>({
    role,
    name: `fake-${role}`,
    defaults: {},
    create: () => fakeRoles(JSON.parse(Deno.readTextFileSync(Deno.env.get("STATUS_FAKE_WORLD")!)))[role],
  });
}

/** The `app` keys of a config rooted at `dir`. */
export function appPaths(dir: string) {
  return {
    work_dir: dir,
    import_state_file: `${dir}/importer_state.json`,
    import_failure_log: `${dir}/import_failures.log`,
    migrate_state_file: `${dir}/migrator_state.json`,
    migrate_failure_log: `${dir}/migrate_failures.log`,
  };
}

/** What to write into a stage's state. */
export interface StageSetup {
  done?: Iterable<number>;
  failures?: { run: number; reason: string; attempts?: number; permanent?: boolean }[];
  pending?: number[];
  /** Runs of the batch in progress. */
  inFlight?: number[];
  lastContiguousRun?: number;
}

/** Write a stage's state file with the real state module. */
export async function writeState(dir: string, stage: StageName, setup: StageSetup): Promise<void> {
  const state = await loadStageState(stage, stagePaths(appPaths(dir), stage));
  for (const run of setup.done ?? []) state.markDone(run);
  for (const f of setup.failures ?? []) {
    state.recordFailure(f.run, f.reason, f.attempts ?? 3, f.permanent ?? false, new Date("2026-11-29T12:00:00Z"));
  }
  for (const run of setup.pending ?? []) state.markPendingUpdate(run, 0, new Date("2026-11-29T11:00:00Z"));
  for (const run of setup.inFlight ?? []) state.inFlight.add(run);
  state.lastContiguousRun = setup.lastContiguousRun ?? 0;
  await saveStageState(state);
}

/** `[first, …, last]`. */
export function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}
