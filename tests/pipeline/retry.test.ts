/**
 * Attempts, backoff with jitter, per-attempt timeout, the bounded pool; and the incremental fast path over
 * 100,000 archived runs.
 */
import { assertEquals } from "../state/_assert.ts";
import { RunInputError, StoreError, TransientError } from "../../core/errors.ts";
import { runPool } from "../../core/pipeline/pool.ts";
import { backoffDelay, withAttempts } from "../../core/pipeline/retry.ts";
import { RunSet, saveStageState, StageState } from "../../core/state/mod.ts";
import { tempDir } from "../_helpers/peers.ts";
import { harness } from "./fakes.ts";

Deno.test("backoff doubles from the base, with jitter in [0.5, 1.5), capped", () => {
  assertEquals(backoffDelay(1, 3000, 60000, () => 0.5), 3000);
  assertEquals(backoffDelay(2, 3000, 60000, () => 0.5), 6000);
  assertEquals(backoffDelay(3, 3000, 60000, () => 0), 6000);
  assertEquals(backoffDelay(3, 3000, 60000, () => 0.999), 17988);
  assertEquals(backoffDelay(10, 3000, 60000, () => 0.5), 60000);
  assertEquals(backoffDelay(1, 0, 60000, () => 0.5), 0);
});

Deno.test("attempts: transient errors retried, input errors not, timeouts become transient", async () => {
  let calls = 0;
  const delays: number[] = [];
  const result = await withAttempts(() => {
    calls++;
    return calls < 3 ? Promise.reject(new StoreError("down")) : Promise.resolve("ok");
  }, {
    attempts: 3,
    baseDelayMs: 1,
    maxDelayMs: 10,
    timeoutMs: 0,
    random: () => 0.5,
    onRetry: (_a, _e, d) => delays.push(d),
  });
  assertEquals(result, { ok: true, value: "ok", attempts: 3 });
  assertEquals(delays, [1, 2]);

  calls = 0;
  const bad = await withAttempts(() => {
    calls++;
    return Promise.reject(new RunInputError("bad file"));
  }, { attempts: 5, baseDelayMs: 0, maxDelayMs: 0, timeoutMs: 0, random: Math.random });
  assertEquals([bad.ok, calls, !bad.ok && bad.permanent], [false, 1, true]);

  const slow = await withAttempts(() => new Promise((r) => setTimeout(r, 500)), {
    attempts: 1,
    baseDelayMs: 0,
    maxDelayMs: 0,
    timeoutMs: 20,
    random: Math.random,
  });
  assertEquals(!slow.ok && slow.error instanceof TransientError, true);

  // No attempt at all (negative run_process_retries): a transient error that says so; the last error otherwise.
  const none = await withAttempts(() => Promise.resolve(1), {
    attempts: 0,
    baseDelayMs: 0,
    maxDelayMs: 0,
    timeoutMs: 0,
    random: Math.random,
  });
  assertEquals(
    !none.ok && none.error instanceof TransientError && /no attempt was made/.test(none.error.message),
    true,
  );
  const down = new StoreError("still down");
  const last = await withAttempts(() => Promise.reject(down), {
    attempts: 2,
    baseDelayMs: 0,
    maxDelayMs: 0,
    timeoutMs: 0,
    random: Math.random,
  });
  assertEquals(!last.ok && last.error === down, true);
});

Deno.test("a shutdown during the backoff sleep stops further attempts", async () => {
  const abort = new AbortController();
  let calls = 0;
  const pending = withAttempts(() => {
    calls++;
    return Promise.reject(new StoreError("down"));
  }, { attempts: 5, baseDelayMs: 10_000, maxDelayMs: 10_000, timeoutMs: 0, random: () => 0.5, signal: abort.signal });
  await new Promise((r) => setTimeout(r, 20));
  abort.abort();
  const result = await pending;
  assertEquals([result.ok, calls], [false, 1]);
});

Deno.test("the pool never runs more than `concurrency` items and stops taking new ones on request", async () => {
  let active = 0;
  let peak = 0;
  const seen: number[] = [];
  let stop = false;
  const result = await runPool(Array.from({ length: 20 }, (_, i) => i), 3, async (item) => {
    active++;
    peak = Math.max(peak, active);
    seen.push(item);
    await new Promise((r) => setTimeout(r, 2));
    if (item === 7) stop = true;
    active--;
  }, () => stop);
  assertEquals(peak, 3);
  assertEquals(result.started < 20 && result.started >= 8, true);
  assertEquals(seen.length, result.started);
});

Deno.test("incremental run with nothing new over 100,000 archived runs is fast and writes nothing", async () => {
  await using dir = await tempDir();
  const runs = Array.from({ length: 100_000 }, (_, i) => i + 1);
  const h = await harness(dir.path, runs);
  for (const run of runs) h.store.seed(run);
  for (const run of runs) h.sink.blobs.set(run, new Uint8Array(0));
  for (const stage of ["import", "migrate"] as const) {
    const file = stage === "import" ? h.config.app.import_state_file : h.config.app.migrate_state_file;
    const log = stage === "import" ? h.config.app.import_failure_log : h.config.app.migrate_failure_log;
    const state = new StageState(stage, { stateFile: file, failureLog: log }, {
      done: RunSet.fromRanges([[1, 100_000]]),
      lastContiguousRun: 100_000,
      lastAttemptedRun: 100_000,
    });
    await saveStageState(state);
  }
  const before = (await Deno.stat(h.config.app.import_state_file)).mtime;
  const started = performance.now();
  assertEquals(await h.run({ incremental: true }), 0);
  const elapsed = performance.now() - started;
  assertEquals(elapsed < 500, true, `took ${elapsed.toFixed(0)} ms`);
  assertEquals((await Deno.stat(h.config.app.import_state_file)).mtime, before);
  assertEquals(h.sink.puts, []);
});
