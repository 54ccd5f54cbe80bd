/**
 * Configuration → role instances. Picks the plugin of each role from the configuration (as the Python archiver
 * did: `artdaq_db.use_tools` chooses the bulk tools or the native store; `carbon.enabled` the metrics;
 * `reporting.email/slack.enabled` the notifiers), lets the `plugins` section override any choice with a built-in
 * name or a module path, and hands each plugin its configuration section verbatim.
 *
 * The core imports no plugin: the registry with the built-in plugins is passed in (see plugins/mod.ts).
 *
 * @example
 * ```ts
 * import { createRoles } from "./core/wiring.ts";
 * import { builtinRegistry } from "./plugins/mod.ts";
 * const roles = await createRoles(config, builtinRegistry(), { logger, workDir: config.app.work_dir, configDir });
 * try {
 *   console.log(await roles.store.listRuns());
 * } finally {
 *   await roles.close();
 * }
 * ```
 *
 * @module
 */
import type { ArchiverConfig } from "./config/types.ts";
import type { Registry } from "./registry.ts";
import type { PluginContext } from "./registry.ts";
import type { Metrics, Notifier, RoleName, RoleTypes, Sink, Source, Store } from "./roles.ts";
import { describeError } from "./errors.ts";
import { measuringWrapper, noopMetrics } from "./measure.ts";

/** The role instances the pipeline and the status server work through. */
export interface Roles {
  /** Where run records come from. */
  source: Source;
  /** artdaqDB. */
  store: Store;
  /** UconDB. */
  sink: Sink;
  /** Where measurements go (a no-op when none is configured). */
  metrics: Metrics;
  /** Who is told about failures. */
  notifiers: Notifier[];
  /** Close every instance (notifiers, sink, store, source, then metrics after a last flush). Never throws. */
  close(): Promise<void>;
}

/**
 * The context `createRoles` needs: `metrics` is created here unless given; `wrap` defaults to the measuring
 * wrapper of core/measure.ts (every plugin call timed into the metrics), pass `wrap: (_, __, i) => i` to opt out.
 */
export type WiringContext = Omit<PluginContext, "metrics"> & { metrics?: Metrics };

/** Which plugin fills a role and with which options. */
export interface RoleChoice {
  /** Built-in plugin name or module specifier. */
  ref: string;
  /** The plugin's options (its configuration section). */
  options: Record<string, unknown>;
}

/**
 * The plugin and options of each single-instance role, from the configuration. Exported so that server.ts and
 * scripts can make one role alone (the status server needs no source, for instance).
 */
export function roleChoice(config: ArchiverConfig, role: "source" | "store" | "sink" | "metrics"): RoleChoice {
  const override = config.plugins[role];
  switch (role) {
    case "source":
      return {
        ref: override ?? "run-records",
        options: {
          ...config.source_files,
          // The native store converts every document (a syntax error names the file and changes nothing) before
          // it writes, so by default the run's files are not parsed twice; the bulk tools and other stores get
          // the source's check.
          validate_fhicl: config.source_files.validate_fhicl ?? roleChoice(config, "store").ref !== "artdaqdb-conftool",
          fcl_conf_dir: config.artdaq_db.fcl_conf_dir,
          fhiclize_generate: config.fhiclize_generate,
        },
      };
    case "store":
      return {
        ref: override ?? (config.artdaq_db.use_tools ? "artdaqdb-bulktools" : "artdaqdb-conftool"),
        options: { ...config.artdaq_db },
      };
    case "sink":
      return { ref: override ?? "ucondb", options: { ...config.ucon_db } };
    case "metrics":
      return { ref: override ?? "carbon", options: { ...config.carbon } };
  }
}

/** The notifiers to create: email and slack when enabled, plus `plugins.notifiers`. */
export function notifierChoices(config: ArchiverConfig): RoleChoice[] {
  const choices: RoleChoice[] = [];
  if (config.reporting.email.enabled) choices.push({ ref: "email", options: { ...config.reporting.email } });
  if (config.reporting.slack.enabled) choices.push({ ref: "slack", options: { ...config.reporting.slack } });
  for (const ref of config.plugins.notifiers ?? []) choices.push({ ref, options: { ...config.reporting } });
  return choices;
}

/** Create one role's instance from the configuration. */
export function createRole<R extends "source" | "store" | "sink">(
  config: ArchiverConfig,
  registry: Registry,
  role: R,
  context: PluginContext,
): Promise<RoleTypes[R]> {
  const choice = roleChoice(config, role);
  return registry.create(role, choice.ref, choice.options, context);
}

/**
 * Create every role. Metrics first (carbon only when enabled and no override, else the no-op), so that every
 * other instance is measured through `context.wrap`. On failure, what was already created is closed.
 */
export async function createRoles(
  config: ArchiverConfig,
  registry: Registry,
  context: WiringContext,
): Promise<Roles> {
  const created: { role: RoleName; instance: { close(): Promise<void> } }[] = [];
  const metricsChoice = roleChoice(config, "metrics");
  const metrics = context.metrics ??
    (config.plugins.metrics || config.carbon.enabled
      ? await registry.create("metrics", metricsChoice.ref, metricsChoice.options, {
        ...context,
        metrics: noopMetrics(),
      })
      : noopMetrics());
  const full: PluginContext = {
    ...context,
    metrics,
    wrap: context.wrap ?? measuringWrapper(metrics, context.logger.child("measure")),
  };
  const closeAll = async () => {
    for (const { role, instance } of created.reverse()) {
      try {
        await instance.close();
      } catch (error) {
        context.logger.warn(`Closing the ${role} failed: ${describeError(error)}`);
      }
    }
    try {
      await metrics.flush();
      await metrics.close();
    } catch (error) {
      context.logger.warn(`Closing the metrics failed: ${describeError(error)}`);
    }
  };
  try {
    const source = await createRole(config, registry, "source", full);
    created.push({ role: "source", instance: source });
    const store = await createRole(config, registry, "store", full);
    created.push({ role: "store", instance: store });
    const sink = await createRole(config, registry, "sink", full);
    created.push({ role: "sink", instance: sink });
    const notifiers: Notifier[] = [];
    for (const choice of notifierChoices(config)) {
      const notifier = await registry.create("notifier", choice.ref, choice.options, full);
      created.push({ role: "notifier", instance: notifier });
      notifiers.push(notifier);
    }
    return { source, store, sink, metrics, notifiers, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
