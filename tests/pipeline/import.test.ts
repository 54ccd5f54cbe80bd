/**
 * §17.2 import scenarios on the fakes (P = parity, I = intended improvement).
 */
import { assertEquals } from "../state/_assert.ts";
import { tempDir } from "../_helpers/peers.ts";
import { harness, storeDown } from "./fakes.ts";

Deno.test("I1/I2: runs 1,2,3 import → contiguous really advances; real run numbers advance it too (I)", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, [100, 101, 102]);
  assertEquals(await h.run({ mode: "import-only" }), 0);
  assertEquals(h.store.writes.toSorted(), [
    "100:initial",
    "100:update",
    "101:initial",
    "101:update",
    "102:initial",
    "102:update",
  ]);
  const state = await h.state("import");
  assertEquals(state.last_attempted_run, 102);
  // P had no last_contiguous_run for real run numbers (§16.1-10); here it advances from them.
  assertEquals(state.last_contiguous_run, 102);
  assertEquals(await h.failureLog("import"), "");
  assertEquals(h.sink.creates, []);
});

Deno.test("I3: incremental batches of 2 → {1,2}, {3,4}, {5}", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, [1, 2, 3, 4, 5], { batch_size: 2 });
  const expected = [[2, 2], [4, 4], [5, 5]];
  for (const [contiguous, attempted] of expected) {
    assertEquals(await h.run({ mode: "import-only", incremental: true }), 0);
    const state = await h.state("import");
    assertEquals([state.last_contiguous_run, state.last_attempted_run], [contiguous, attempted]);
  }
  assertEquals([...h.store.runs.keys()], [1, 2, 3, 4, 5]);
});

Deno.test("I4: full mode limits to batch_size*10 and says so", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, Array.from({ length: 25 }, (_, i) => i + 1), { batch_size: 2 });
  assertEquals(await h.run({ mode: "import-only" }), 0);
  assertEquals(h.store.runs.size, 20);
  assertEquals(h.logger.has("Import Stage: Limited to 20 runs (batch_size * 10). 5 runs remaining."), true);
});

Deno.test("I5/I6: a failing run is retried, recorded once, notified, then fixed by --retry-failed-import", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, [1, 2, 3, 5]);
  h.store.faults.set("put:2:initial", Infinity, storeDown);
  assertEquals(await h.run({ mode: "import-only" }), 1);
  assertEquals(h.store.calls.filter((c) => c === "2:initial").length, 2);
  assertEquals(await h.failureLog("import"), "2\n");
  let state = await h.state("import");
  assertEquals([state.last_contiguous_run, state.last_attempted_run], [1, 5]);
  assertEquals((state.failures as Record<string, { attempts: number }>)["2"].attempts, 2);
  assertEquals(h.notifier.received.length, 1);
  assertEquals(h.notifier.received[0].failures.map((f) => f.run), [2]);
  assertEquals(h.notifier.received[0].retryCommand.endsWith("--retry-failed-import"), true);
  // A second full run fails again: still one line, attempts accumulate (deduplicated, §9.3).
  assertEquals(await h.run({ mode: "import-only" }), 1);
  assertEquals(await h.failureLog("import"), "2\n");
  state = await h.state("import");
  assertEquals((state.failures as Record<string, { attempts: number }>)["2"].attempts, 4);

  h.store.faults.clear("put:2:initial");
  h.store.calls.length = 0;
  assertEquals(await h.run({ mode: "retry-failed-import" }), 0);
  assertEquals(h.store.calls, ["2:initial", "2:update"]);
  assertEquals(await h.failureLog("import"), "");
  state = await h.state("import");
  assertEquals([state.last_contiguous_run, state.last_attempted_run], [5, 5]);
});

Deno.test("I7: retry skips runs already archived; I8: no failures → exit 0, nothing written", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, [5, 7]);
  assertEquals(await h.run({ mode: "retry-failed-import" }), 0);
  assertEquals(await h.failureLog("import"), null);
  await Deno.mkdir(`${dir.path}/work`, { recursive: true });
  await Deno.writeTextFile(h.config.app.import_failure_log, "5\n5\n7\nfoo\n");
  h.store.seed(7);
  assertEquals(await h.run({ mode: "retry-failed-import" }), 0);
  assertEquals(h.store.calls, ["5:initial", "5:update"]);
  assertEquals(await h.failureLog("import"), "");
  assertEquals(h.logger.has("Found 1 run(s) already archived, removing from failure log: [7]"), true);
});

Deno.test("I14: a run already in artdaqDB is not written again", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, [1, 2]);
  h.store.seed(1);
  assertEquals(await h.run({ mode: "import-only" }), 0);
  assertEquals(h.store.calls, ["2:initial", "2:update"]);
  const state = await h.state("import");
  assertEquals(state.done, [[1, 2]]);
});

Deno.test("I17 (I): initial stored, update failing → the retry resumes with the update", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, [1]);
  h.store.faults.set("put:1:update", Infinity, storeDown);
  assertEquals(await h.run({ mode: "import-only" }), 1);
  assertEquals(h.store.runs.has(1), true);
  assertEquals(await h.failureLog("import"), "1\n");
  h.store.faults.clear("put:1:update");
  assertEquals(await h.run({ mode: "retry-failed-import" }), 0);
  assertEquals(await h.store.hasUpdate(1), true);
  assertEquals(h.store.runs.get(1)!.documents.has("RunHistory2.fcl"), true);
  assertEquals(await h.failureLog("import"), "");
});

Deno.test("bad input fails at once without retries and names the run", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, { 1: { complete: true, badInput: "run 1: metadata.txt is not UTF-8" } });
  assertEquals(await h.run({ mode: "import-only" }), 1);
  assertEquals(h.logger.lines.filter((l) => l.message.includes("failed (attempt")).length, 1);
  const state = await h.state("import");
  const failure = (state.failures as Record<string, { reason: string; permanent: boolean }>)["1"];
  assertEquals(failure.reason, "run 1: metadata.txt is not UTF-8");
  assertEquals(failure.permanent, true);
});

Deno.test("§16.1-4 (I): a run without stop time is deferred, then imported incomplete, then updated", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, { 1: { complete: true }, 2: { complete: false, modifiedAt: Date.now() } });
  assertEquals(await h.run({ mode: "import-only" }), 0);
  assertEquals([...h.store.runs.keys()], [1]);
  assertEquals(h.source.prepared, [1]); // a run still being taken is not even read
  let state = await h.state("import");
  assertEquals(state.last_contiguous_run, 1);
  assertEquals(state.done, [[1, 1]]);
  // Quiet for longer than the grace period: imported, flagged incomplete.
  h.source.runs.set(2, { complete: false, modifiedAt: Date.now() - 7200_000, startTime: "X" });
  assertEquals(await h.run({ mode: "import-only" }), 0);
  state = await h.state("import");
  assertEquals(Object.keys(state.pending_updates as object), ["2"]);
  assertEquals(h.store.runs.get(2)!.documents.has("RunHistory2.fcl"), true);
  // The stop time appears: the next invocation applies the update only.
  h.source.runs.set(2, { complete: true, modifiedAt: Date.now() - 7200_000 });
  h.store.calls.length = 0;
  assertEquals(await h.run({ mode: "import-only", incremental: true }), 0);
  assertEquals(h.store.calls, ["2:update"]);
  assertEquals(h.store.runs.get(2)!.documents.get("RunHistory2.fcl")!.includes("stop 2"), true);
  state = await h.state("import");
  assertEquals(state.pending_updates, {});
});

Deno.test("source listing failure → CRITICAL line, stage rc 1, migration still runs", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, [1]);
  h.store.seed(1);
  h.source.faults.set("list", 1, () => new Error("EACCES: permission denied, readdir '/daq/run_records'"));
  assertEquals(await h.run(), 1);
  assertEquals(h.logger.has("Import Stage: Failed to determine runs to import: EACCES"), true);
  assertEquals(h.sink.creates, [1]);
});
