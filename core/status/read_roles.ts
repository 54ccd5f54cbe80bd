/**
 * The three data roles (run records, artdaqDB, UconDB) for read-only tools — the comparison command and the
 * status server — made from the configuration like the archiver makes them, but without notifiers or Carbon:
 * looking at the archive must not send mail or metrics. The embedded UconDB server is opened only while it is read
 * (see lease.ts), so a long-lived reader does not lock the archiver out.
 *
 * @example
 * ```ts
 * import { openReadRoles } from "./read_roles.ts";
 * const roles = await openReadRoles(config, registry, logger);
 * try {
 *   console.log(await roles.sink.listRuns());
 * } finally {
 *   await roles.close();
 * }
 * ```
 *
 * @module
 */
import type { ArchiverConfig } from "../config/types.ts";
import type { Registry } from "../registry.ts";
import type { Logger, Sink, Source, Store } from "../roles.ts";
import { describeError } from "../errors.ts";
import { noopMetrics } from "../measure.ts";
import { createRole } from "../wiring.ts";
import { leasedSink } from "./lease.ts";

/** The data roles and one `close`. */
export interface ReadRoles {
  /** Run records. */
  source: Source;
  /** artdaqDB. */
  store: Store;
  /** UconDB. */
  sink: Sink;
  /** Close all three; never throws. */
  close(): Promise<void>;
}

/** Create source, store and sink from `config` (a failure closes what was already created). */
export async function openReadRoles(config: ArchiverConfig, registry: Registry, logger: Logger): Promise<ReadRoles> {
  const context = { logger, metrics: noopMetrics(), workDir: config.app.work_dir, configDir: config.configDir };
  const created: { close(): Promise<void> }[] = [];
  const close = async () => {
    for (const instance of created.reverse()) {
      await instance.close().catch((error) => logger.warn(`closing a data source failed: ${describeError(error)}`));
    }
  };
  try {
    const source = await createRole(config, registry, "source", context) as Source;
    created.push(source);
    const store = await createRole(config, registry, "store", context) as Store;
    created.push(store);
    const embedded = !config.plugins.sink && config.ucon_db.server_url.startsWith("embedded:");
    // Opened for every listing and blob view: its start-up lines are routine then, so they go to debug.
    const sinkContext = embedded ? { ...context, logger: infoAsDebug(logger) } : context;
    const openSink = () => createRole(config, registry, "sink", sinkContext) as Promise<Sink>;
    // The embedded UconDB server admits one process per directory: hold it only while reading, so that the
    // archiver can run beside a long-lived reader (the status server).
    const sink = embedded ? leasedSink(`ucondb ${config.ucon_db.server_url}`, openSink) : await openSink();
    created.push(sink);
    return { source, store, sink, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The logger with `info` lowered to `debug` (children too). */
function infoAsDebug(logger: Logger): Logger {
  return {
    debug: (message, fields) => logger.debug(message, fields),
    info: (message, fields) => logger.debug(message, fields),
    warn: (message, fields) => logger.warn(message, fields),
    error: (message, fields) => logger.error(message, fields),
    critical: (message, fields) => logger.critical(message, fields),
    child: (name) => infoAsDebug(logger.child(name)),
  };
}
