/**
 * The `artdaqdb-bulktools` store plugin: archives and exports runs through artdaq_database's `bulkloader` and
 * `bulkdownloader` (the Python archiver's `use_tools: true`), on this host or on `remote_host` over SSH
 * (npm:ssh2; host key checked against known_hosts or a pinned fingerprint; key or agent authentication; files as
 * tar both ways; the remote exit status decides). Listings and pre-checks read the same database directly
 * through the conftool plugin's backend, as the Python archiver read them through `conftoolp`.
 *
 * Options are the configuration's `artdaq_db` section, keys verbatim (see {@link Options}).
 *
 * @example
 * ```ts
 * import { artdaqdbBulktools } from "./plugins/artdaqdb-bulktools/mod.ts";
 * const store = artdaqdbBulktools({
 *   database_uri: "mongodb://daq:secret@dbhost:27017/artdaq_database_archive",
 *   remote_host: "daq@daqgw01",
 *   ssh_key_file: "/etc/archiver/id_ed25519",
 *   ssh_known_hosts: "/etc/archiver/known_hosts",
 * });
 * console.log(await store.listRuns());
 * await store.close();
 * ```
 *
 * @module
 */

import { definePlugin, type Plugin } from "../../core/registry.ts";
import type { Logger, Store } from "../../core/roles.ts";
import { createBackend } from "../artdaqdb-conftool/mod.ts";
import { parseDatabaseUri } from "../artdaqdb-conftool/uri.ts";
import { LocalRunner } from "./local.ts";
import { defaults, type Options, resolveSettings } from "./options.ts";
import { RemoteRunner } from "./remote.ts";
import type { ToolRunner } from "./runner.ts";
import { BulktoolsStore } from "./store.ts";

export { BulktoolsStore } from "./store.ts";
export { defaults, type Options, REMOTE_HOST_ENV } from "./options.ts";

/** Runtime settings that do not come from the configuration file. */
export interface Runtime {
  /** Where the plugin logs (child `plugins.artdaqdb-bulktools`). */
  logger?: Logger;
  /** Directory relative paths resolve against (the configuration file's directory). */
  configDir?: string;
  /** Environment lookup (tests); default `Deno.env.get`. */
  env?: (name: string) => string | undefined;
  /** Parent of local temp dirs (default: the system temp dir). */
  tmpDir?: string;
}

/**
 * Creates the store. Nothing is started or connected until the first call; invalid options throw
 * `ConfigurationError` at once. Credentials in a MongoDB URI are registered with the redaction layer.
 *
 * @example
 * ```ts
 * const store = artdaqdbBulktools({ database_uri: "filesystemdb:///data/artdaq_database_archive",
 *   tools_dir: "/opt/artdaq_database/bin" });
 * store.describe(); // "artdaqdb-bulktools filesystemdb:///data/artdaq_database_archive (tools on local)"
 * ```
 */
export function artdaqdbBulktools(options: Options = defaults, runtime: Runtime = {}): Store {
  const env = runtime.env ?? ((name: string) => Deno.env.get(name));
  const configDir = runtime.configDir ?? Deno.cwd();
  const uri = parseDatabaseUri(options.database_uri ?? "", env, configDir);
  const settings = resolveSettings(options, uri.provider, { env, configDir });
  const databaseUri = uri.provider === "filesystem" ? uri.uri : uri.connectionString;
  const common = {
    bulkloader: settings.bulkloader,
    bulkdownloader: settings.bulkdownloader,
    threads: settings.threads,
    timeoutMs: settings.timeoutMs,
    databaseUri,
  };
  const runner: ToolRunner = settings.ssh
    ? new RemoteRunner(
      { ...common, ssh: settings.ssh, remoteTmpDir: settings.remoteTmpDir, remoteSetup: settings.remoteSetup },
      runtime.logger,
    )
    : new LocalRunner({ ...common, tmpDir: runtime.tmpDir });
  const backend = createBackend({ database_uri: databaseUri }, { logger: runtime.logger, configDir, env });
  return new BulktoolsStore({
    runner,
    backend,
    requiredDirectory: settings.ssh && uri.provider === "filesystem" ? uri.path : null,
    logger: runtime.logger,
  });
}

/** The plugin: role `store`, name `artdaqdb-bulktools`. */
const plugin: Plugin<"store", Options> = definePlugin<"store", Options>({
  role: "store",
  name: "artdaqdb-bulktools",
  defaults,
  create: (options, context) =>
    artdaqdbBulktools(options, {
      logger: context.logger.child("plugins.artdaqdb-bulktools"),
      configDir: context.configDir,
    }),
});
export default plugin;
