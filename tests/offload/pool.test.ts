/**
 * The offload pool (core/offload): calls run on worker threads (or on the calling thread at size 0) with the
 * same results, byte buffers of results are transferred, errors come back as the archiver's classes with their
 * message and run, and a closed pool refuses work.
 */
import assert from "node:assert/strict";
import { RunInputError } from "../../core/errors.ts";
import { MAX_QUEUED, OffloadPool, reviveError, serializeError, transferables } from "../../core/offload/mod.ts";
import { FhiclSyntaxError } from "../../core/fhicl/errors.ts";

const TASKS = new URL("./_tasks.ts", import.meta.url);

Deno.test("offload: calls run on pool threads, or on this thread at size 0, with the same results", async () => {
  const pool = new OffloadPool(2);
  const inline = new OffloadPool(0);
  try {
    assert.equal(await pool.call(TASKS, "where", []), "worker");
    assert.equal(await inline.call(TASKS, "where", []), "main");
    const sums = await Promise.all([1, 2, 3, 4, 5].map((n) => pool.call<number>(TASKS, "add", [n, 10])));
    assert.deepEqual(sums, [11, 12, 13, 14, 15]);
    assert.equal(await inline.call(TASKS, "add", [2, 3]), 5);
    assert.equal(await pool.call(TASKS, "later", ["awaited"]), "awaited");
  } finally {
    await pool.close();
    await inline.close();
  }
});

Deno.test("offload: byte buffers cross intact; arguments given in `transfer` move to the thread", async () => {
  const pool = new OffloadPool(1);
  try {
    const given = new Uint8Array(1000).fill(7);
    const result = await pool.call<{ halves: Uint8Array[]; own: Uint8Array; given: number }>(
      TASKS,
      "bytes",
      [1 << 20, 9, given],
      [given.buffer],
    );
    assert.equal(result.given, 1000);
    assert.equal(given.length, 0, "a transferred argument is detached here");
    assert.equal(result.halves[0].length + result.halves[1].length, 1 << 20);
    assert.ok(result.halves.every((half) => half.every((byte) => byte === 9)));
    assert.equal(result.halves[0].buffer, result.halves[1].buffer, "two views of one buffer stay one buffer");
    assert.deepEqual([...result.own], [9]);
  } finally {
    await pool.close();
  }
});

Deno.test("offload: a thread frees its copies of a call's byte arguments when the call ends", async () => {
  const pool = new OffloadPool(1);
  try {
    const given = new Uint8Array(1 << 20).fill(3);
    assert.equal(await pool.call(TASKS, "keep", [given]), 1 << 20);
    assert.equal(given.length, 1 << 20, "copied, not transferred: the caller's bytes stay");
    assert.equal(await pool.call(TASKS, "keep", []), 0, "the thread's copy was released after the call");
  } finally {
    await pool.close();
  }
});

Deno.test("offload: a thread's dead large objects are collected after a call once they pass 8 MiB", async () => {
  const script = new URL("./_large_objects.ts", import.meta.url).pathname;
  const run = async (flags: string) => {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `--v8-flags=${flags}`, script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    return Number(new TextDecoder().decode(stdout).trim());
  };
  // 40 calls × 4 strings of 300 kB promoted and dropped: ~48 MB without the collections.
  const bytes = await run("--expose-gc");
  assert.ok(bytes > 4 << 20 && bytes <= 10 << 20, `large-object space ${bytes} bytes`);
});

Deno.test("offload: transferables finds each buffer once, down to three levels", () => {
  const shared = new Uint8Array(8);
  const deep = new Uint8Array(4);
  const found = transferables([shared.subarray(0, 4), { a: shared.subarray(4), b: [new Uint8Array(2)] }, {
    x: { y: { z: deep } },
  }]);
  assert.equal(found.length, 2, "the shared buffer once, the nested one; the fourth level is not searched");
  assert.ok(found.includes(shared.buffer as ArrayBuffer));
});

Deno.test("offload: errors come back as the archiver's classes with message and run", async () => {
  const pool = new OffloadPool(1);
  try {
    await assert.rejects(pool.call(TASKS, "failRun", [42]), (error) => {
      assert.ok(error instanceof RunInputError);
      assert.equal(error.message, "run 42: broken on purpose");
      assert.equal(error.run, 42);
      return true;
    });
    await assert.rejects(pool.call(TASKS, "parseFhicl", ["a: [1,\n"]), (error) => {
      assert.ok(error instanceof RunInputError, "a FhiclSyntaxError comes back as the RunInputError it is");
      assert.equal(error.name, "FhiclSyntaxError");
      assert.match(error.message, /^bad\.fcl:\d+:\d+: /);
      return true;
    });
    await assert.rejects(pool.call(TASKS, "missing", []), (error) => {
      assert.ok(error instanceof TypeError);
      assert.match(error.message, /offload task missing is not a function/);
      return true;
    });
    assert.equal(await pool.call(TASKS, "add", [1, 1]), 2, "the thread goes on after a failed call");
  } finally {
    await pool.close();
  }
});

Deno.test("offload: serializeError/reviveError keep class, name, message, run and stage", () => {
  let syntax: unknown;
  try {
    throw new FhiclSyntaxError("x.fcl", "a: [", 4, "unexpected end");
  } catch (error) {
    syntax = error;
  }
  const revived = reviveError(serializeError(syntax));
  assert.ok(revived instanceof RunInputError);
  assert.equal(revived.name, "FhiclSyntaxError");
  assert.equal(revived.message, (syntax as Error).message);
  const denoError = reviveError(serializeError(new Deno.errors.NotFound("gone")));
  assert.ok(denoError instanceof Deno.errors.NotFound);
  const plain = reviveError(serializeError("a string"));
  assert.equal(plain.message, "a string");
  const staged = reviveError(serializeError(new RunInputError("m", { run: 3, stage: "import" })));
  assert.equal((staged as RunInputError).stage, "import");
});

Deno.test("offload: a closed pool refuses calls", async () => {
  const pool = new OffloadPool(1);
  assert.equal(await pool.call(TASKS, "add", [1, 2]), 3);
  await pool.close();
  await assert.rejects(pool.call(TASKS, "add", [1, 2]), /the offload pool is closed/);
  assert.throws(() => new OffloadPool(-1), RangeError);
});

Deno.test("offload: at most MAX_QUEUED calls are posted to a thread; later ones wait unposted, in order", async () => {
  const pool = new OffloadPool(1);
  try {
    const buffer = new Uint8Array(1024).fill(7);
    const calls = [1, 2, 3, 4].map((n) => pool.call<number>(TASKS, "hold", [50, n]));
    assert.equal(MAX_QUEUED, 2);
    assert.equal(pool.waiting, 2);
    const last = pool.call<{ given: number }>(TASKS, "bytes", [2, 1, buffer], [buffer.buffer]);
    assert.equal(pool.waiting, 3);
    assert.equal(buffer.length, 1024, "a waiting call's arguments are not copied or moved yet");
    assert.deepEqual(await Promise.all(calls), [1, 2, 3, 4]);
    assert.equal((await last).given, 1024);
    assert.equal(buffer.length, 0, "moved once posted");
    assert.equal(pool.waiting, 0);
  } finally {
    await pool.close();
  }
});

Deno.test("offload: close rejects the calls posted and those still waiting", async () => {
  const pool = new OffloadPool(1);
  try {
    const held = [1, 2, 3].map((n) => pool.call<number>(TASKS, "hold", [20, n]));
    assert.equal(pool.waiting, 1);
    const settled = Promise.allSettled(held);
    await pool.close();
    for (const result of await settled) {
      assert.match(String(result.status === "rejected" && result.reason), /offload pool was closed/);
    }
  } finally {
    await pool.close();
  }
});

Deno.test("offload: a thread is kept for later calls, of the same task or another", async () => {
  const pool = new OffloadPool(1);
  try {
    const first = await pool.call<string>(TASKS, "identity", []);
    assert.equal(await pool.call<string>(TASKS, "identity", []), first, "same task: same thread");
    assert.equal(await pool.call<string>(TASKS, "identityAgain", []), first, "another task: the same thread");
    assert.deepEqual(await Promise.all([1, 2, 3].map((n) => pool.call<number>(TASKS, "add", [n, 1]))), [2, 3, 4]);
  } finally {
    await pool.close();
  }
});

Deno.test("offload: warm starts every thread with the module loaded, before any call; never fails", async () => {
  const pool = new OffloadPool(2);
  try {
    pool.warm(TASKS);
    assert.equal(pool.running, 2);
    pool.warm(TASKS); // already running: nothing more
    assert.equal(pool.running, 2);
    await new Promise((resolve) => setTimeout(resolve, 600));
    // Both threads loaded the module ahead of these calls (its load time is before the call on each thread).
    const loaded = await Promise.all([
      pool.call<number[]>(TASKS, "loadedAt", []),
      pool.call<number[]>(TASKS, "loadedAt", []),
    ]);
    for (const [at, now] of loaded) assert.ok(now - at >= 150, `loaded ${now - at} ms before the call`);
  } finally {
    await pool.close();
  }
  // A module that cannot load is left to the calls to report; the threads still work.
  const other = new OffloadPool(1);
  try {
    other.warm(new URL("./no_such_module.ts", import.meta.url));
    assert.equal(other.running, 1);
    assert.equal(await other.call(TASKS, "add", [1, 2]), 3);
  } finally {
    await other.close();
  }
  pool.warm(TASKS); // closed: nothing
  assert.equal(pool.running, 0);
});
