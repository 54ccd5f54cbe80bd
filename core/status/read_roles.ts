/**
 * The three data roles (run records, artdaqDB, UconDB) for read-only tools — the comparison command and the
 * status server — made from the configuration like the archiver makes them, but without notifiers or Carbon:
 * looking at the archive must not send mail or metrics. They can stay open beside a running archiver: with the
 * embedded UconDB (`ucon_db.server_url: embedded:<dir>`) whichever process holds the directory serves it and the
 * others attach to it (plugins/ucondb/embedded.ts).
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
    const sink = await createRole(config, registry, "sink", context) as Sink;
    created.push(sink);
    return { source, store, sink, close };
  } catch (error) {
    await close();
    throw error;
  }
}
