/**
 * Measurements: the one measuring wrapper every plugin instance passes through (the Python archiver's
 * `@performance_monitor`, written once instead of on every method), the no-op `Metrics`, and the stage counters
 * the pipeline posts at the end of a batch.
 *
 * Metric names (below the configured `carbon.metric_prefix`):
 * - `<Class>.<method>.duration_ms` for every async plugin call, success or failure; for the calls the Python
 *   archiver timed, also its name (`ArtdaqDBClient.get_archived_runs.duration_ms`, `UconDBClient.upload_blob...`),
 *   so existing Graphite dashboards keep working.
 * - `import.*` and `migrate.*` batch counters (`runs_processed`, `runs_successful`, `runs_failed`,
 *   `last_successful_run`, `duration_ms`, `bytes`, `run_duration_ms.avg|max`); the Python archiver posted only the
 *   first four, and only for the migration stage.
 *
 * @example
 * ```ts
 * import { measured, noopMetrics } from "./measure.ts";
 * const sink = measured(mySink, { role: "sink", name: "ucondb", metrics, logger });
 * await sink.put(42, blob); // posts UconDBSink.put.duration_ms and UconDBClient.upload_blob.duration_ms
 * ```
 *
 * @module
 */
import type { Logger, Metrics, RoleName } from "./roles.ts";
import { describeError } from "./errors.ts";

/** A `Metrics` that discards everything (carbon disabled, tests). */
export function noopMetrics(): Metrics {
  return {
    send() {},
    async flush() {},
    async close() {},
  };
}

/** What `measured` needs besides the instance. */
export interface MeasureOptions {
  /** The role the instance fills. */
  role: RoleName;
  /** The plugin's name (used as the metric class when the instance is a plain object). */
  name: string;
  /** Where the durations go. */
  metrics: Metrics;
  /** Receives the `PERF:` debug line of every call. */
  logger: Logger;
  /** Monotonic clock in ms (tests). Default `performance.now`. */
  now?: () => number;
}

/**
 * The Python archiver's metric names for the calls it timed (§12.4), by role and method. Posted in addition to
 * `<Class>.<method>.duration_ms`, so that dashboards built on the old names keep their data.
 */
export const LEGACY_METRIC_NAMES: Readonly<Partial<Record<RoleName, Readonly<Record<string, string>>>>> = {
  store: {
    listRuns: "ArtdaqDBClient.get_archived_runs",
    putRun: "ArtdaqDBClient.archive_run",
    exportRun: "ArtdaqDBClient.export_run_configuration",
  },
  sink: {
    listRuns: "UconDBClient.get_existing_runs",
    put: "UconDBClient.upload_blob",
    get: "UconDBClient.get_data",
  },
};

/**
 * The instance behind a Proxy that times every method returning a promise: `<Class>.<method>.duration_ms` to
 * `metrics` (plus the legacy name, see `LEGACY_METRIC_NAMES`) and a debug line
 * `PERF: <Class>.<method> executed in <ms> ms.`. Errors pass through unchanged (same object), after being timed.
 * Synchronous methods and non-function properties are passed through untouched. Methods run with the real
 * instance as `this`, so private fields keep working and internal calls are not counted twice.
 *
 * The `metrics` role is returned unwrapped: timing the metrics sink into itself would only measure a queue push.
 *
 * @example
 * ```ts
 * const store = measured(conftoolStore, { role: "store", name: "artdaqdb-conftool", metrics, logger });
 * await store.listRuns(); // ArtdaqdbConftoolStore.listRuns.duration_ms + ArtdaqDBClient.get_archived_runs...
 * ```
 */
export function measured<T extends object>(instance: T, options: MeasureOptions): T {
  if (options.role === "metrics") return instance;
  const { metrics, logger } = options;
  const now = options.now ?? (() => performance.now());
  const className = metricClassName(instance, options.name);
  const legacy = LEGACY_METRIC_NAMES[options.role] ?? {};
  const wrappers = new Map<string, { original: unknown; wrapper: unknown }>();

  const record = (method: string, started: number, ok: boolean) => {
    try {
      const durationMs = now() - started;
      const name = `${className}.${method}`;
      metrics.send(`${name}.duration_ms`, durationMs);
      if (legacy[method]) metrics.send(`${legacy[method]}.duration_ms`, durationMs);
      logger.debug(`PERF: ${name} executed in ${durationMs.toFixed(2)} ms.`, {
        role: options.role,
        plugin: options.name,
        method,
        duration_ms: Math.round(durationMs * 100) / 100,
        outcome: ok ? "ok" : "error",
      });
    } catch (error) {
      // Measuring must never change the outcome of the measured call.
      logger.debug(`PERF: could not record ${className}.${method}: ${describeError(error)}`);
    }
  };

  const wrap = (target: T, method: string, original: (...args: unknown[]) => unknown) =>
    function measuredMethod(...args: unknown[]): unknown {
      const started = now();
      const result = original.apply(target, args);
      if (!isPromiseLike(result)) return result;
      return Promise.resolve(result).then(
        (value) => {
          record(method, started, true);
          return value;
        },
        (error: unknown) => {
          record(method, started, false);
          throw error;
        },
      );
    };

  return new Proxy(instance, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function" || typeof property !== "string" || property === "constructor") return value;
      const cached = wrappers.get(property);
      if (cached && cached.original === value) return cached.wrapper;
      const wrapper = wrap(target, property, value as (...args: unknown[]) => unknown);
      wrappers.set(property, { original: value, wrapper });
      return wrapper;
    },
  });
}

/**
 * The `PluginContext.wrap` function for the registry: every instance measured with `measured`.
 *
 * @example
 * ```ts
 * const context = { logger, metrics, workDir, configDir, wrap: measuringWrapper(metrics, logger) };
 * ```
 */
export function measuringWrapper(
  metrics: Metrics,
  logger: Logger,
): <T extends object>(role: RoleName, name: string, instance: T) => T {
  return (role, name, instance) => measured(instance, { role, name, metrics, logger });
}

/** The class name used in metric paths; plain-object plugins get their plugin name in PascalCase. */
export function metricClassName(instance: object, pluginName: string): string {
  const constructorName = (Object.getPrototypeOf(instance) as { constructor?: { name?: string } } | null)
    ?.constructor?.name;
  if (constructorName && constructorName !== "Object") return constructorName;
  const pascal = pluginName.split(/[^A-Za-z0-9]+/).filter(Boolean).map((part) => part[0].toUpperCase() + part.slice(1))
    .join("");
  return pascal || "Plugin";
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}

/** Stage word in metric paths: the Python archiver's `migrate.*`, and `import.*` for the new import counters. */
export type MetricStage = "import" | "migrate";

/** What one batch of a stage did. */
export interface StageSummary {
  /** Stage word of the metric paths. */
  stage: MetricStage;
  /** Runs attempted in the batch. */
  processed: number;
  /** Runs that succeeded (complete or archived incomplete). */
  successful: number;
  /** Runs that failed after all attempts. */
  failed: number;
  /** Highest run number that succeeded, or null when none did. */
  lastSuccessfulRun: number | null;
  /** Bytes moved by the successful runs (import: source bytes; migrate: blob bytes). */
  bytes: number;
  /** Wall time of the batch, ms. */
  durationMs: number;
  /** Mean and longest per-run time over every run that reported one (0 when none). */
  runDurationMsAvg: number;
  /** Longest per-run time, ms (0 when none was reported). */
  runDurationMsMax: number;
}

/** Per-run facts given to a `StageMeter`. */
export interface RunMeasurement {
  /** Time the run took, all attempts included, ms. */
  durationMs?: number;
  /** Bytes moved for the run. */
  bytes?: number;
}

/**
 * Counts one batch of a stage and posts its counters once at the end. Safe to call from concurrent workers
 * (single-threaded event loop).
 *
 * @example
 * ```ts
 * const meter = new StageMeter(metrics, "migrate");
 * meter.succeeded(101, { durationMs: 850, bytes: 40960 });
 * meter.failed(102, { durationMs: 3000 });
 * meter.finish(); // migrate.runs_processed 2, migrate.runs_successful 1, migrate.runs_failed 1, ...
 * ```
 */
export class StageMeter {
  readonly #metrics: Metrics;
  readonly #stage: MetricStage;
  readonly #now: () => number;
  readonly #started: number;
  #successful = 0;
  #failed = 0;
  #lastSuccessfulRun: number | null = null;
  #bytes = 0;
  #timedRuns = 0;
  #runDurationSum = 0;
  #runDurationMax = 0;
  #finished: StageSummary | null = null;

  /** Start counting now; `now` is a monotonic clock in ms (tests). */
  constructor(metrics: Metrics, stage: MetricStage, now: () => number = () => performance.now()) {
    this.#metrics = metrics;
    this.#stage = stage;
    this.#now = now;
    this.#started = now();
  }

  /** A run of the batch succeeded. */
  succeeded(run: number, measurement: RunMeasurement = {}): void {
    this.#successful++;
    if (this.#lastSuccessfulRun === null || run > this.#lastSuccessfulRun) this.#lastSuccessfulRun = run;
    this.#bytes += measurement.bytes ?? 0;
    this.#time(measurement.durationMs);
  }

  /** A run of the batch failed (after all its attempts). */
  failed(_run: number, measurement: RunMeasurement = {}): void {
    this.#failed++;
    this.#time(measurement.durationMs);
  }

  /** The counters so far. */
  summary(): StageSummary {
    return this.#finished ?? {
      stage: this.#stage,
      processed: this.#successful + this.#failed,
      successful: this.#successful,
      failed: this.#failed,
      lastSuccessfulRun: this.#lastSuccessfulRun,
      bytes: this.#bytes,
      durationMs: this.#now() - this.#started,
      runDurationMsAvg: this.#timedRuns ? this.#runDurationSum / this.#timedRuns : 0,
      runDurationMsMax: this.#runDurationMax,
    };
  }

  /** Post the batch counters (once; later calls return the same summary without posting again). */
  finish(): StageSummary {
    if (this.#finished) return this.#finished;
    this.#finished = this.summary();
    postStageMetrics(this.#metrics, this.#finished);
    return this.#finished;
  }

  #time(durationMs: number | undefined): void {
    if (durationMs === undefined || !Number.isFinite(durationMs)) return;
    this.#timedRuns++;
    this.#runDurationSum += durationMs;
    this.#runDurationMax = Math.max(this.#runDurationMax, durationMs);
  }
}

/**
 * Post a batch summary: `<stage>.runs_processed|runs_successful|runs_failed` (also when all are 0, as the Python
 * archiver did for an empty migration), `<stage>.last_successful_run` when a run succeeded, `<stage>.duration_ms`,
 * `<stage>.bytes`, and `<stage>.run_duration_ms.avg|max` when runs reported their time.
 */
export function postStageMetrics(metrics: Metrics, summary: StageSummary): void {
  const stage = summary.stage;
  const timestamp = Date.now() / 1000;
  metrics.send(`${stage}.runs_processed`, summary.processed, timestamp);
  metrics.send(`${stage}.runs_successful`, summary.successful, timestamp);
  metrics.send(`${stage}.runs_failed`, summary.failed, timestamp);
  if (summary.lastSuccessfulRun !== null) {
    metrics.send(`${stage}.last_successful_run`, summary.lastSuccessfulRun, timestamp);
  }
  metrics.send(`${stage}.duration_ms`, summary.durationMs, timestamp);
  metrics.send(`${stage}.bytes`, summary.bytes, timestamp);
  if (summary.processed > 0 && (summary.runDurationMsMax > 0 || summary.runDurationMsAvg > 0)) {
    metrics.send(`${stage}.run_duration_ms.avg`, summary.runDurationMsAvg, timestamp);
    metrics.send(`${stage}.run_duration_ms.max`, summary.runDurationMsMax, timestamp);
  }
}
