/**
 * The carbon plugin's wire format, batching and failure behaviour against a plain TCP listener on loopback (the
 * exact bytes), and against a port nobody listens on (a dead Carbon must not slow or fail anything).
 */
import assert from "node:assert/strict";
import { carbon, CarbonClient, defaults } from "../../plugins/carbon/mod.ts";
import { carbonLine } from "../../plugins/carbon/line.ts";
import { LineQueue } from "../../plugins/carbon/queue.ts";
import { measured } from "../../core/measure.ts";
import { freePort } from "../_helpers/peers.ts";
import { RecordingLogger } from "../_helpers/recorders.ts";

/** A TCP listener that collects everything written to it, per connection. */
function listener() {
  const server = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const connections: string[] = [];
  const reading: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of server) {
      const index = connections.push("") - 1;
      reading.push(
        (async () => {
          for await (const chunk of conn.readable) connections[index] += new TextDecoder().decode(chunk);
        })().catch(() => {}),
      );
    }
  })().catch(() => {});
  return {
    port: (server.addr as Deno.NetAddr).port,
    connections,
    async close() {
      server.close();
      await accepting;
      await Promise.all(reading);
    },
  };
}

Deno.test("carbon line: `<prefix>.<path> <value> <int ts>\\n`, Python-like values, unsafe path chars replaced", () => {
  assert.equal(
    carbonLine("exp.arch", "migrate.runs_processed", 5, 1700000000.9),
    "exp.arch.migrate.runs_processed 5 1700000000\n",
  );
  assert.equal(carbonLine("p", "x", 12.3456789, 1), "p.x 12.3456789 1\n");
  assert.equal(carbonLine("p", "bad path\nx", 1, 1), "p.bad_path_x 1 1\n");
  assert.equal(carbonLine("p", "nan", Number.NaN, 1), null);
  assert.equal(carbonLine("p", "inf", Infinity, 1), null);
});

Deno.test("carbon: many metrics travel over one connection, in order, exactly formatted", async () => {
  const peer = listener();
  const metrics = carbon({
    enabled: true,
    host: "127.0.0.1",
    port: peer.port,
    metric_prefix: "exp.arch",
    batch_size: 3,
  });
  for (let i = 0; i < 10; i++) metrics.send(`m.v${i}`, i * 1.5, 1700000000 + i);
  metrics.send("m.nan", Number.NaN, 1700000000);
  await metrics.close();
  await peer.close();
  assert.equal(peer.connections.length, 1);
  const expected = Array.from({ length: 10 }, (_, i) => `exp.arch.m.v${i} ${i * 1.5} ${1700000000 + i}\n`).join("");
  assert.equal(peer.connections[0], expected);
});

Deno.test("carbon: default timestamp is now, in whole seconds", async () => {
  const peer = listener();
  const metrics = carbon({ enabled: true, host: "127.0.0.1", port: peer.port, metric_prefix: "p" });
  const before = Math.floor(Date.now() / 1000);
  metrics.send("t", 1);
  await metrics.close();
  await peer.close();
  const ts = Number(peer.connections[0].trim().split(" ")[2]);
  assert.ok(ts >= before && ts <= before + 1, peer.connections[0]);
});

Deno.test("carbon: disabled, or enabled without host/prefix (warning), gives a no-op Metrics", async () => {
  assert.ok(!(carbon({ enabled: false, host: "127.0.0.1", metric_prefix: "p" }) instanceof CarbonClient));
  const logger = new RecordingLogger();
  const metrics = carbon({ enabled: true, host: null, metric_prefix: "p" }, { logger });
  assert.ok(!(metrics instanceof CarbonClient));
  assert.match(logger.at("warn")[0], /'host', 'port' or 'metric_prefix' is missing; metrics disabled/);
  metrics.send("x", 1);
  await metrics.close();
  assert.equal(defaults.port, 2003);
});

Deno.test("carbon: a dead Carbon slows nothing: send is instant, flush and close are bounded, one warning", async () => {
  const logger = new RecordingLogger();
  const metrics = carbon(
    {
      enabled: true,
      host: "127.0.0.1",
      port: freePort(),
      metric_prefix: "p",
      queue_size: 1000,
      close_timeout_seconds: 1,
    },
    { logger },
  ) as CarbonClient;
  const started = performance.now();
  for (let i = 0; i < 20000; i++) metrics.send("dead.value", i, 1700000000 + i);
  const sendMs = performance.now() - started;
  assert.ok(sendMs < 2000, `20000 sends took ${sendMs} ms`);
  assert.equal(metrics.stats().dropped, 19000);

  const flushStarted = performance.now();
  await metrics.flush();
  await metrics.flush();
  assert.ok(performance.now() - flushStarted < 1500, "flush is bounded");
  const closeStarted = performance.now();
  await metrics.close();
  assert.ok(performance.now() - closeStarted < 1500, "close is bounded");
  assert.equal(metrics.stats().dropped, 20000, "undelivered lines count as dropped");
  metrics.send("after.close", 1);
  assert.equal(metrics.stats().dropped, 20001);
  const connectWarnings = logger.at("warn").filter((m) => m.startsWith("Could not connect to Carbon"));
  assert.equal(connectWarnings.length, 1, "one warning per outage, not per metric");
});

Deno.test("carbon: an unroutable Carbon host is given up on within the timeouts", async () => {
  // 192.0.2.1 (TEST-NET-1) never answers: the connect either hangs until our timeout or fails at once.
  const metrics = carbon({
    enabled: true,
    host: "192.0.2.1",
    port: 2003,
    metric_prefix: "p",
    timeout_seconds: 0.3,
    close_timeout_seconds: 0.5,
  });
  metrics.send("x", 1);
  const started = performance.now();
  await metrics.close();
  assert.ok(performance.now() - started < 1500, `close took ${performance.now() - started} ms`);
});

Deno.test("LineQueue: bounded, oldest dropped, requeue in front keeps the bound", () => {
  const queue = new LineQueue(3);
  assert.equal(queue.push("a"), 0);
  queue.push("b");
  queue.push("c");
  assert.equal(queue.push("d"), 1);
  assert.deepEqual(queue.take(2), ["b", "c"]);
  queue.push("e");
  assert.equal(queue.requeueFront(["b", "c"]), 1);
  assert.deepEqual(queue.take(10), ["c", "d", "e"]);
  assert.equal(queue.length, 0);
  for (let i = 0; i < 10000; i++) queue.push(String(i));
  assert.deepEqual(queue.take(5), ["9997", "9998", "9999"]);
});

Deno.test("carbon: plugin calls measured into a dead Carbon are not slowed down", async () => {
  const metrics = carbon({ enabled: true, host: "127.0.0.1", port: freePort(), metric_prefix: "p" }) as CarbonClient;
  const logger = new RecordingLogger();
  const sink = measured({ kind: "memory", put: (run: number) => Promise.resolve(run) }, {
    role: "sink",
    name: "memory",
    metrics,
    logger,
  });
  const started = performance.now();
  let total = 0;
  for (let run = 0; run < 5000; run++) total += await sink.put(run);
  const elapsed = performance.now() - started;
  assert.equal(total, (4999 * 5000) / 2);
  assert.ok(elapsed < 3000, `5000 measured calls took ${elapsed} ms with Carbon down`);
  assert.equal(metrics.stats().sent, 0);
  await metrics.close();
  assert.equal(metrics.stats().dropped, 10000, "two lines per call (new and legacy name), none delivered");
});
