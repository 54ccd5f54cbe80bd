/**
 * The carbon plugin against a real carbon-cache (Debian graphite-carbon), checked with whisper-fetch: delivery,
 * reconnect after the peer restarts, and the drop counter after an overflow.
 */
import assert from "node:assert/strict";
import carbonPlugin, { carbon, type CarbonClient } from "../../plugins/carbon/mod.ts";
import { measuringWrapper, StageMeter } from "../../core/measure.ts";
import { type Plugin, Registry } from "../../core/registry.ts";
import type { RoleName, Store } from "../../core/roles.ts";
import { CARBON_HINT, carbonAvailable, startCarbon } from "../_helpers/carbon.ts";
import { requirePeer } from "../_helpers/peers.ts";
import { RecordingLogger } from "../_helpers/recorders.ts";

const PREFIX = "test.run_archiver";

function client(port: number, extra: Record<string, unknown> = {}) {
  return carbon(
    {
      enabled: true,
      host: "127.0.0.1",
      port,
      metric_prefix: PREFIX,
      reconnect_min_seconds: 0.1,
      reconnect_max_seconds: 0.5,
      flush_interval_seconds: 0.1,
      ...extra,
    },
    { logger: new RecordingLogger() },
  ) as CarbonClient;
}

Deno.test("carbon: metrics reach carbon-cache with the Python post_metric format and names", async () => {
  if (!requirePeer("carbon-cache", carbonAvailable(), CARBON_HINT)) return;
  await using peer = await startCarbon();
  const metrics = client(peer.port);
  const now = Math.floor(Date.now() / 1000);
  metrics.send("migrate.runs_processed", 5, now - 3);
  metrics.send("migrate.runs_processed", 7, now - 2);
  metrics.send("UconDBClient.upload_blob.duration_ms", 12.3456789, now - 1);
  await metrics.close();
  assert.equal(metrics.stats().sent, 3);
  assert.equal(metrics.stats().connects, 1, "one persistent connection for all metrics");

  const processed = await peer.waitForPoints(`${PREFIX}.migrate.runs_processed`, (p) => p.length === 2);
  assert.deepEqual(processed, [[now - 3, 5], [now - 2, 7]]);
  const duration = await peer.waitForPoints(`${PREFIX}.UconDBClient.upload_blob.duration_ms`, (p) => p.length === 1);
  assert.equal(duration[0][0], now - 1);
  assert.ok(Math.abs(duration[0][1] - 12.3456789) < 1e-9);
});

Deno.test("carbon: reconnects after carbon-cache restarts; metrics sent meanwhile arrive", async () => {
  if (!requirePeer("carbon-cache", carbonAvailable(), CARBON_HINT)) return;
  await using peer = await startCarbon();
  const metrics = client(peer.port);
  try {
    const t0 = Math.floor(Date.now() / 1000) - 10;
    metrics.send("restart.value", 1, t0);
    await metrics.flush();
    await peer.waitForPoints(`${PREFIX}.restart.value`, (p) => p.length === 1);

    await peer.stop();
    const sendStarted = performance.now();
    metrics.send("restart.value", 2, t0 + 1); // Carbon is down: queued, never blocks
    metrics.send("restart.value", 3, t0 + 2);
    assert.ok(performance.now() - sendStarted < 200, "send() must not wait for the network");
    await new Promise((resolve) => setTimeout(resolve, 500)); // a few failed reconnects with backoff
    assert.equal(metrics.stats().connected, false);
    assert.ok(metrics.stats().queued >= 2);

    await peer.start();
    metrics.send("restart.value", 4, t0 + 3);
    const points = await peer.waitForPoints(`${PREFIX}.restart.value`, (p) => p.length === 4);
    assert.deepEqual(points, [[t0, 1], [t0 + 1, 2], [t0 + 2, 3], [t0 + 3, 4]]);
    assert.ok(metrics.stats().connects >= 2, "a second connection was made");
    assert.equal(metrics.stats().dropped, 0);
  } finally {
    await metrics.close();
  }
});

Deno.test("carbon: queue overflow drops the oldest lines, counts them and posts the count", async () => {
  if (!requirePeer("carbon-cache", carbonAvailable(), CARBON_HINT)) return;
  await using peer = await startCarbon();
  await peer.stop(); // the port is known but nobody listens: Carbon is "down"
  const metrics = client(peer.port, { queue_size: 5, batch_size: 2 });
  try {
    const t0 = Math.floor(Date.now() / 1000) - 20;
    for (let i = 0; i < 12; i++) metrics.send("overflow.value", i, t0 + i);
    assert.equal(metrics.stats().dropped, 7);
    assert.equal(metrics.stats().queued, 5);

    await peer.start();
    await metrics.flush();
    const kept = await peer.waitForPoints(`${PREFIX}.overflow.value`, (p) => p.length === 5);
    assert.deepEqual(kept.map(([, value]) => value), [7, 8, 9, 10, 11], "the newest five were kept");
    const dropped = await peer.waitForPoints(`${PREFIX}.carbon.dropped_metrics`, (p) => p.length === 1);
    assert.equal(dropped[0][1], 7);
  } finally {
    await metrics.close();
  }
});

Deno.test("carbon: registry-created carbon + measured store + stage counters land in whisper under the original names", async () => {
  if (!requirePeer("carbon-cache", carbonAvailable(), CARBON_HINT)) return;
  await using peer = await startCarbon();
  const logger = new RecordingLogger();
  const registry = new Registry([carbonPlugin as unknown as Plugin<RoleName, never>]);
  const context = { logger, metrics: carbon(), workDir: ".", configDir: "." };
  const metrics = await registry.create("metrics", "carbon", {
    enabled: true,
    host: "127.0.0.1",
    port: peer.port,
    metric_prefix: "e2e.run_archiver",
    // What this test checks is where the metrics land: a slow machine must not turn the default 2 s bound on the
    // shutdown flush into lost lines (one CI run lost them all).
    close_timeout_seconds: 15,
  }, context);
  class ConftoolStore {
    listRuns(): Promise<number[]> {
      return Promise.resolve([1, 2, 3]);
    }
  }
  const store = measuringWrapper(metrics, logger)(
    "store",
    "artdaqdb-conftool",
    new ConftoolStore(),
  ) as unknown as Store;
  assert.deepEqual(await store.listRuns(), [1, 2, 3]);
  const meter = new StageMeter(metrics, "migrate");
  meter.succeeded(41, { durationMs: 10, bytes: 100 });
  meter.failed(42, { durationMs: 20 });
  meter.finish();
  await metrics.close();
  assert.deepEqual(logger.at("warn"), [], "every metric was delivered before the shutdown");

  for (const path of ["ConftoolStore.listRuns.duration_ms", "ArtdaqDBClient.get_archived_runs.duration_ms"]) {
    const [[, value]] = await peer.waitForPoints(`e2e.run_archiver.${path}`, (p) => p.length === 1);
    assert.ok(value >= 0 && value < 1000, `${path} = ${value}`);
  }
  const expected: Record<string, number> = {
    "migrate.runs_processed": 2,
    "migrate.runs_successful": 1,
    "migrate.runs_failed": 1,
    "migrate.last_successful_run": 41,
    "migrate.bytes": 100,
  };
  for (const [path, value] of Object.entries(expected)) {
    const points = await peer.waitForPoints(`e2e.run_archiver.${path}`, (p) => p.length === 1);
    assert.equal(points[0][1], value, path);
  }
});
