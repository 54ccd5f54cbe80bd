/**
 * The `carbon` metrics plugin: Graphite's plaintext protocol over one persistent TCP connection. Takes the
 * `carbon` section of the configuration verbatim; the keys of the Python archiver keep their meaning, the rest are
 * additions with defaults that need no tuning.
 *
 * ```yaml
 * carbon:
 *   enabled: true
 *   host: graphite.example.com
 *   port: 2003
 *   metric_prefix: sbnd.run_archiver.prod
 *   # new (defaults shown)
 *   batch_size: 500              # lines per TCP write
 *   queue_size: 10000            # lines held while Carbon is away; beyond it the oldest are dropped (counted)
 *   flush_interval_seconds: 1    # queued lines are written at least this often
 *   timeout_seconds: 2           # connect and write timeout
 *   reconnect_max_seconds: 30    # reconnect backoff doubles from 0.25 s up to this
 *   close_timeout_seconds: 2     # longest wait at shutdown for queued lines
 * ```
 *
 * @example
 * ```ts
 * import { carbon } from "./plugins/carbon/mod.ts";
 * const metrics = carbon({ enabled: true, host: "127.0.0.1", port: 2003, metric_prefix: "exp.run_archiver.prod" });
 * metrics.send("import.runs_processed", 42); // "exp.run_archiver.prod.import.runs_processed 42 <ts>\n"
 * await metrics.close();
 * ```
 *
 * @module
 */
import { definePlugin, type Plugin } from "../../core/registry.ts";
import { noopMetrics } from "../../core/measure.ts";
import type { Logger, Metrics } from "../../core/roles.ts";
import type { CarbonConfig } from "../../core/config/types.ts";
import { sectionDefaults, SECTIONS } from "../../core/config/schema.ts";
import { CarbonClient } from "./client.ts";

export { CarbonClient, DROPPED_METRIC } from "./client.ts";
export type { CarbonClientSettings, CarbonStats } from "./client.ts";

/** The `carbon` configuration section, keys verbatim. */
export type Options = CarbonConfig;

/** Defaults of every key (the Python archiver's for its keys), from the configuration schema. */
export const defaults: Options = sectionDefaults<Options>(SECTIONS.carbon);

/**
 * A `Metrics` posting to Carbon, or a no-op one when disabled. Enabled without host or prefix logs a warning and
 * disables metrics, as the Python client did (the configuration loader reports the same case as an error first).
 */
export function carbon(options: Partial<Options> = {}, context: { logger?: Logger } = {}): Metrics {
  const o: Options = { ...defaults, ...options };
  if (!o.enabled) return noopMetrics();
  if (!o.host || !o.metric_prefix || !o.port) {
    context.logger?.warn("Carbon metrics enabled but 'host', 'port' or 'metric_prefix' is missing; metrics disabled");
    return noopMetrics();
  }
  return new CarbonClient({
    host: o.host,
    port: o.port,
    prefix: o.metric_prefix,
    batchSize: o.batch_size,
    queueSize: o.queue_size,
    flushIntervalMs: o.flush_interval_seconds * 1000,
    timeoutMs: o.timeout_seconds * 1000,
    reconnectMinMs: o.reconnect_min_seconds * 1000,
    reconnectMaxMs: o.reconnect_max_seconds * 1000,
    closeTimeoutMs: o.close_timeout_seconds * 1000,
    logger: context.logger,
  });
}

/** The plugin: role `metrics`, name `carbon`. */
const plugin: Plugin<"metrics", Options> = definePlugin<"metrics", Options>({
  role: "metrics",
  name: "carbon",
  defaults,
  create: (options, context) => carbon(options, { logger: context.logger.child("plugins.carbon") }),
});
export default plugin;
