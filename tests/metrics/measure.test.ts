/** The measuring wrapper (core/measure.ts) and the stage counters. */
import assert from "node:assert/strict";
import { measured, measuringWrapper, metricClassName, noopMetrics, StageMeter } from "../../core/measure.ts";
import { definePlugin, type Plugin, Registry } from "../../core/registry.ts";
import type { RoleName, Sink, Store } from "../../core/roles.ts";
import { StoreError } from "../../core/errors.ts";
import { RecordingLogger, RecordingMetrics } from "../_helpers/recorders.ts";

/** A store with a private field: the wrapper must call methods on the real instance. */
class FakeStore {
  readonly kind = "fake";
  #runs = [3, 1, 2];
  calls = 0;

  async listRuns(): Promise<number[]> {
    this.calls++;
    await new Promise((resolve) => setTimeout(resolve, 5));
    return [...this.#runs].sort();
  }

  async exportRun(run: number): Promise<never> {
    await Promise.resolve();
    throw new StoreError(`run ${run} is not in artdaqDB`, { run });
  }

  /** Calls another method internally: that inner call is not counted a second time. */
  async countRuns(): Promise<number> {
    return (await this.listRuns()).length;
  }

  describe(): string {
    return `fake store with ${this.#runs.length} runs`;
  }
}

function setup() {
  const metrics = new RecordingMetrics();
  const logger = new RecordingLogger();
  const store = measured(new FakeStore(), { role: "store", name: "fake-store", metrics, logger });
  return { metrics, logger, store };
}

Deno.test("measured: an async call posts <Class>.<method>.duration_ms, the legacy name and a PERF debug line", async () => {
  const { metrics, logger, store } = setup();
  assert.deepEqual(await store.listRuns(), [1, 2, 3]);
  const [duration] = metrics.values("FakeStore.listRuns.duration_ms");
  assert.ok(duration >= 4 && duration < 1000, `duration ${duration}`);
  assert.deepEqual(metrics.values("ArtdaqDBClient.get_archived_runs.duration_ms"), [duration]);
  const perf = logger.lines.find((line) => line.message.startsWith("PERF: FakeStore.listRuns executed in "));
  assert.ok(perf, JSON.stringify(logger.lines));
  assert.equal(perf.level, "debug");
  assert.match(perf.message, /^PERF: FakeStore\.listRuns executed in \d+\.\d\d ms\.$/);
  assert.equal(perf.fields?.outcome, "ok");
  assert.equal(perf.fields?.plugin, "fake-store");
});

Deno.test("measured: an error is re-thrown unchanged (same object) and the failed call is still timed", async () => {
  const { metrics, logger, store } = setup();
  let caught: unknown;
  try {
    await store.exportRun(7);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof StoreError);
  assert.equal(caught.message, "run 7 is not in artdaqDB");
  assert.equal(caught.run, 7);
  assert.equal(metrics.values("FakeStore.exportRun.duration_ms").length, 1);
  assert.equal(metrics.values("ArtdaqDBClient.export_run_configuration.duration_ms").length, 1);
  assert.equal(logger.lines.find((line) => line.message.includes("exportRun"))?.fields?.outcome, "error");
});

Deno.test("measured: sync methods and fields pass through untimed; internal calls are counted once", async () => {
  const { metrics, store } = setup();
  assert.equal(store.kind, "fake");
  assert.equal(store.describe(), "fake store with 3 runs");
  assert.equal(metrics.sent.length, 0);
  assert.equal(store.listRuns, store.listRuns, "method identity is stable");
  assert.equal(await store.countRuns(), 3);
  assert.equal(metrics.values("FakeStore.countRuns.duration_ms").length, 1);
  assert.equal(metrics.values("FakeStore.listRuns.duration_ms").length, 0);
  assert.equal(store.calls, 1, "state lives on the real instance");
});

Deno.test("measured: a throwing Metrics never changes the measured call's outcome", async () => {
  const logger = new RecordingLogger();
  const broken = {
    ...noopMetrics(),
    send: () => {
      throw new Error("metrics broken");
    },
  };
  const store = measured(new FakeStore(), { role: "store", name: "fake", metrics: broken, logger });
  assert.deepEqual(await store.listRuns(), [1, 2, 3]);
  await assert.rejects(store.exportRun(1), StoreError);
});

Deno.test("measured: plain-object plugins are named after the plugin; sink legacy names; metrics role unwrapped", async () => {
  const metrics = new RecordingMetrics();
  const logger = new RecordingLogger();
  const plain: Pick<Sink, "put" | "kind"> = { kind: "memory", put: () => Promise.resolve("created" as const) };
  const sink = measured(plain, { role: "sink", name: "memory-sink", metrics, logger });
  assert.equal(await sink.put(1, new Uint8Array()), "created");
  assert.equal(metrics.values("MemorySink.put.duration_ms").length, 1);
  assert.equal(metrics.values("UconDBClient.upload_blob.duration_ms").length, 1);

  const inner = noopMetrics();
  assert.equal(measured(inner, { role: "metrics", name: "carbon", metrics, logger }), inner);
  assert.equal(metricClassName({}, "artdaqdb-conftool"), "ArtdaqdbConftool");
  assert.equal(metricClassName(new FakeStore(), "x"), "FakeStore");
});

Deno.test("measured: the registry applies the wrapper through PluginContext.wrap", async () => {
  const metrics = new RecordingMetrics();
  const logger = new RecordingLogger();
  const plugin = definePlugin<"store", Record<string, never>>({
    role: "store",
    name: "fake",
    defaults: {},
    create: () => new FakeStore() as unknown as Store,
  });
  // The registry stores plugins type-erased (`Plugin<RoleName, never>`), as plugins/mod.ts lists them.
  const registry = new Registry([plugin as unknown as Plugin<RoleName, never>]);
  const store = await registry.create("store", "fake", {}, {
    logger,
    metrics,
    workDir: ".",
    configDir: ".",
    wrap: measuringWrapper(metrics, logger),
  });
  await store.listRuns();
  assert.equal(metrics.values("FakeStore.listRuns.duration_ms").length, 1);
});

Deno.test("StageMeter: the Python migrate.* counters plus durations and bytes, posted once", () => {
  const metrics = new RecordingMetrics();
  let clock = 1000;
  const meter = new StageMeter(metrics, "migrate", () => clock);
  meter.succeeded(101, { durationMs: 100, bytes: 4096 });
  meter.succeeded(105, { durationMs: 300, bytes: 1024 });
  meter.failed(103, { durationMs: 200 });
  clock = 1750;
  const summary = meter.finish();
  assert.deepEqual(summary, {
    stage: "migrate",
    processed: 3,
    successful: 2,
    failed: 1,
    lastSuccessfulRun: 105,
    bytes: 5120,
    durationMs: 750,
    runDurationMsAvg: 200,
    runDurationMsMax: 300,
  });
  const posted = Object.fromEntries(metrics.sent.map((m) => [m.path, m.value]));
  assert.deepEqual(posted, {
    "migrate.runs_processed": 3,
    "migrate.runs_successful": 2,
    "migrate.runs_failed": 1,
    "migrate.last_successful_run": 105,
    "migrate.duration_ms": 750,
    "migrate.bytes": 5120,
    "migrate.run_duration_ms.avg": 200,
    "migrate.run_duration_ms.max": 300,
  });
  meter.finish();
  assert.equal(metrics.sent.length, 8, "finish posts once");
});

Deno.test("StageMeter: an empty import batch posts 0/0/0 and no last_successful_run", () => {
  const metrics = new RecordingMetrics();
  new StageMeter(metrics, "import").finish();
  assert.deepEqual(metrics.values("import.runs_processed"), [0]);
  assert.deepEqual(metrics.values("import.runs_successful"), [0]);
  assert.deepEqual(metrics.values("import.runs_failed"), [0]);
  assert.deepEqual(metrics.values("import.last_successful_run"), []);
  assert.deepEqual(metrics.values("import.run_duration_ms.avg"), []);
});
