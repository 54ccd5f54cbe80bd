/**
 * The `artdaqdb-conftool` store plugin: archives runs into artdaq_database's own format, natively, over
 * `filesystemdb://` or `mongodb://` — what the Python archiver did through the C++ `conftoolp` binding. What it
 * writes is readable by artdaq_database's tools (bulkdownloader, conftool) and what they wrote is readable here.
 *
 * Options are the configuration's `artdaq_db` section, keys verbatim; this plugin reads `database_uri`
 * (falling back to `ARTDAQ_DATABASE_URI`) and ignores the keys of the bulk-tools plugin.
 *
 * @example
 * ```ts
 * import { artdaqdbConftool } from "./plugins/artdaqdb-conftool/mod.ts";
 * const store = artdaqdbConftool({ database_uri: "filesystemdb:///data/artdaq_database_archive" });
 * console.log(await store.listRuns());
 * await store.close();
 * ```
 *
 * @module
 */

import { OffloadPool } from "../../core/offload/mod.ts";
import { definePlugin } from "../../core/registry.ts";
import type { Logger, Store } from "../../core/roles.ts";
import type { Backend } from "./backend.ts";
import { FilesystemBackend } from "./fs/backend.ts";
import { LazyMongoBackend } from "./mongo/lazy.ts";
import { DEFAULT_OFFLOAD_MIN_BYTES } from "./offload.ts";
import { ConftoolStore } from "./store.ts";
import { type Clock, systemClock } from "./timestamp.ts";
import { parseDatabaseUri } from "./uri.ts";

export { ConftoolStore } from "./store.ts";
export type { Backend, StoredDocument } from "./backend.ts";

/** Options: the `artdaq_db` configuration section (other keys of the section are accepted and ignored). */
export interface Options {
  /** `filesystemdb:///abs/path` or `mongodb://[user:pass@]host[:port]/db`; empty → `ARTDAQ_DATABASE_URI`. */
  database_uri?: string | null;
  /**
   * Threads that convert large runs (≥ 1 MiB of FHiCL or stored JSON) beside the main thread; 0 converts every
   * run on the main thread; null/absent: one per CPU, at most 4.
   */
  conversion_threads?: number | null;
  [key: string]: unknown;
}

/** Defaults of {@link Options}. */
export const defaults: Options = { database_uri: "", conversion_threads: null };

/** `conversion_threads: null`: one thread per CPU, at most 4 (the main thread keeps the I/O). */
export function defaultConversionThreads(): number {
  return Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));
}

/** Runtime settings that do not come from the configuration file. */
export interface Runtime {
  logger?: Logger;
  /** Directory relative filesystem paths resolve against (the configuration file's directory). */
  configDir?: string;
  /** Timestamp source (tests). */
  clock?: Clock;
  /** Environment lookup (tests); default `Deno.env.get`. */
  env?: (name: string) => string | undefined;
  /** fsync documents and indexes on the filesystem provider (default true; false only for scratch data). */
  durable?: boolean;
  /** How long to wait for another process's `index.json` lock, ms (default 60 000). */
  lockTimeoutMs?: number;
}

/**
 * Creates the store for `options.database_uri`. Credentials in a MongoDB URI are registered with the redaction
 * layer at once; `describe()` and every error show them masked. Nothing is opened until the first call.
 *
 * @example
 * ```ts
 * const store = artdaqdbConftool({ database_uri: "mongodb://daq:secret@dbhost:27017/artdaq_database_archive" });
 * store.describe(); // "artdaqdb-conftool mongodb://daq:***@dbhost:27017/artdaq_database_archive"
 * ```
 */
export function artdaqdbConftool(options: Options = defaults, runtime: Runtime = {}): Store {
  const backend = createBackend(options, runtime);
  const threads = options.conversion_threads ?? defaultConversionThreads();
  const offload = backend.provider === "filesystem" && threads > 0
    ? { pool: new OffloadPool(threads), minBytes: DEFAULT_OFFLOAD_MIN_BYTES }
    : undefined;
  return new ConftoolStore(backend, { clock: runtime.clock, logger: runtime.logger, offload });
}

/**
 * The provider behind the store for `options.database_uri`: the filesystem or the MongoDB backend. Exposed for
 * tools and tests that work below the `Store` role.
 *
 * @example
 * ```ts
 * const backend = createBackend({ database_uri: "filesystemdb:///data/db" });
 * backend.provider; // "filesystem"
 * ```
 */
export function createBackend(options: Options = defaults, runtime: Runtime = {}): Backend {
  const env = runtime.env ?? ((name: string) => Deno.env.get(name));
  const clock = runtime.clock ?? systemClock;
  const uri = parseDatabaseUri(options.database_uri ?? "", env, runtime.configDir ?? Deno.cwd());
  return uri.provider === "filesystem"
    ? new FilesystemBackend({
      path: uri.path,
      uri: uri.uri,
      durable: runtime.durable ?? true,
      lockTimeoutMs: runtime.lockTimeoutMs ?? 60_000,
      clock,
    })
    : new LazyMongoBackend({ uri, clock, env });
}

/** The plugin: role `store`, name `artdaqdb-conftool`. */
export default definePlugin<"store", Options>({
  role: "store",
  name: "artdaqdb-conftool",
  defaults,
  create: (options, context) =>
    artdaqdbConftool(options, {
      logger: context.logger.child("plugins.artdaqdb-conftool"),
      configDir: context.configDir,
    }),
});
