/**
 * The run-record `Source`: discovery, safe reading and preparation of DAQInterface run-record directories.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { ConfigurationError, describeError, RunInputError } from "../../core/errors.ts";
import type { Logger, PreparedRun, Source, SourceRun } from "../../core/roles.ts";
import { listRunDirectories } from "./discovery.ts";
import { readMetadataInfo } from "./metadata_info.ts";
import { type FhiclValidator, prepareRun } from "./prepare.ts";
import { readRunFile, readRunFiles } from "./reader.ts";

/** Resolved settings of one source instance (see `Options` in mod.ts for the meaning of each). */
export interface SourceSettings {
  runRecordsDir: string;
  fclConfDir: string;
  enabled: ReadonlySet<string>;
  maxFileBytes: number;
  maxRunBytes: number;
  validateSourceFhicl: boolean;
  validate: FhiclValidator;
  logger?: Logger;
}

/** A DAQInterface run-record directory as a `Source`. */
export class RunRecordsSource implements Source {
  readonly kind = "run-records";
  #settings: SourceSettings;
  /** The runs of the last listing, ascending (4 bytes a run: a listing of 100,000 runs is kept in 400 kB). */
  #listed = new Uint32Array(0);
  /** The directory names of listed runs not named by their plain number (zero-padded: `0123`). */
  #oddNames = new Map<number, string>();
  #ambiguous = new Map<number, string[]>();
  #schema: { key: string; text: string } | null = null;

  constructor(settings: SourceSettings) {
    this.#settings = settings;
  }

  /**
   * All runs, ascending, from directory names only (with `after`, only the runs above it). Digit-named directories
   * that cannot be runs are logged.
   */
  async listRuns(after?: number): Promise<SourceRun[]> {
    const listing = await listRunDirectories(this.#settings.runRecordsDir, after);
    this.#listed = Uint32Array.from(listing.runs, ({ run }) => run);
    this.#oddNames = new Map();
    for (const { run, dirName } of listing.runs) if (dirName !== String(run)) this.#oddNames.set(run, dirName);
    this.#ambiguous = listing.ambiguous;
    for (const { dirName, reason } of listing.rejected) {
      this.#settings.logger?.warn(`run directory ${join(this.#settings.runRecordsDir, dirName)} skipped: ${reason}`);
    }
    return listing.runs;
  }

  /** Read and prepare one run; bad input throws a one-line `RunInputError` naming the run and the file. */
  async prepare(run: number): Promise<PreparedRun> {
    const runDir = await this.#runDir(run);
    const schema = await this.#loadSchema();
    const files = await readRunFiles(runDir, run, this.#limits());
    const prepared = prepareRun(files, {
      run,
      enabled: this.#settings.enabled,
      schema,
      validate: this.#settings.validate,
      validateSourceFhicl: this.#settings.validateSourceFhicl,
      runDir,
    });
    if (!files.some((file) => file.path === "metadata.txt")) {
      this.#settings.logger?.warn(
        `run ${run}: no metadata.txt in ${runDir}; configuration name 'standard', no RunHistory.fcl, never complete`,
        { run },
      );
    }
    return prepared;
  }

  /** True when the run's metadata.txt carries a stop time (`DAQInterface stop time:` or the older `Stop time:`). */
  async isComplete(run: number): Promise<boolean> {
    const text = await this.#readMetadata(run);
    return text !== null && readMetadataInfo(text).stopTime !== undefined;
  }

  /**
   * Newest mtime (ms) of the run directory and its metadata.txt (DAQInterface appends to metadata.txt at start and
   * stop without touching the directory). The import stage compares it with `source_files.incomplete_run_grace_seconds`
   * to decide when a run without stop time is imported flagged incomplete.
   */
  async modifiedAt(run: number): Promise<number> {
    const runDir = await this.#runDir(run);
    const times = await Promise.all([runDir, join(runDir, "metadata.txt")].map(async (path) => {
      try {
        return (await Deno.stat(path)).mtime?.getTime() ?? 0;
      } catch (error) {
        if (error instanceof Deno.errors.NotFound && path !== runDir) return 0;
        throw new RunInputError(`run ${run}: cannot stat ${path}: ${describeError(error)}`, {
          run,
        });
      }
    }));
    return Math.max(...times);
  }

  /** Where the runs come from, for reports (paths only: nothing secret). */
  describe(): string {
    return `run records in ${this.#settings.runRecordsDir} (schema ${join(this.#settings.fclConfDir, "schema.fcl")})`;
  }

  /** Nothing to release: the source holds no open files between calls. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  #limits() {
    return { maxFileBytes: this.#settings.maxFileBytes, maxRunBytes: this.#settings.maxRunBytes };
  }

  async #runDir(run: number): Promise<string> {
    if (!this.#wasListed(run)) await this.listRuns();
    const names = this.#ambiguous.get(run);
    if (names) {
      throw new RunInputError(
        `run ${run}: several directories name this run (${names.join(", ")} in ${this.#settings.runRecordsDir}); ` +
          `keep one and remove or rename the others`,
        { run },
      );
    }
    const dirName = this.#oddNames.get(run) ?? (this.#wasListed(run) ? String(run) : undefined);
    if (dirName === undefined) {
      throw new RunInputError(`run ${run}: no directory for this run in ${this.#settings.runRecordsDir}`, { run });
    }
    return join(this.#settings.runRecordsDir, dirName);
  }

  /** Whether the last listing found `run` (binary search). */
  #wasListed(run: number): boolean {
    const listed = this.#listed;
    let low = 0;
    let high = listed.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (listed[middle] < run) low = middle + 1;
      else high = middle;
    }
    return low < listed.length && listed[low] === run;
  }

  async #readMetadata(run: number): Promise<string | null> {
    const file = await readRunFile(await this.#runDir(run), "metadata.txt", run, this.#settings.maxFileBytes);
    return file?.text ?? null;
  }

  /** schema.fcl from fcl_conf_dir, re-read when it changes, parsed once per version. */
  async #loadSchema(): Promise<string> {
    const path = resolve(this.#settings.fclConfDir, "schema.fcl");
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(path);
    } catch {
      throw new ConfigurationError(
        `schema not found at ${path}; set artdaq_db.fcl_conf_dir to a directory holding schema.fcl`,
      );
    }
    const key = `${info.size}:${info.mtime?.getTime()}`;
    if (this.#schema?.key === key) return this.#schema.text;
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(await Deno.readFile(path));
      this.#settings.validate(text, path);
    } catch (error) {
      throw new ConfigurationError(`schema ${path} is unusable: ${describeError(error)}`);
    }
    this.#schema = { key, text };
    return text;
  }
}
