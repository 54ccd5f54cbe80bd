import { assertEquals, assertRejects } from "./_assert.ts";
import { StateError } from "../../core/errors.ts";
import { loadStageState, RunSet, saveStageState, serializeState, StageState } from "../../core/state/mod.ts";
import { tempDir } from "../_helpers/peers.ts";

function pathsIn(dir: string) {
  return { stateFile: `${dir}/importer_state.json`, failureLog: `${dir}/import_failures.log` };
}

Deno.test("RunSet merges, splits and answers membership", () => {
  const set = RunSet.fromRuns([5, 1, 2, 3, 9]);
  assertEquals(set.ranges(), [[1, 3], [5, 5], [9, 9]]);
  set.add(4);
  assertEquals(set.ranges(), [[1, 5], [9, 9]]);
  set.delete(3);
  assertEquals(set.ranges(), [[1, 2], [4, 5], [9, 9]]);
  set.delete(1);
  set.delete(9);
  assertEquals(set.ranges(), [[2, 2], [4, 5]]);
  assertEquals(set.has(4), true);
  assertEquals(set.has(3), false);
  assertEquals(set.size, 3);
  assertEquals([...set], [2, 4, 5]);
});

Deno.test("contiguous advances from real run numbers and stops at the first gap", () => {
  const state = new StageState("import", pathsIn("/nonexistent"));
  for (const run of [12000, 12001, 12003]) state.markDone(run);
  state.advanceContiguous([12000, 12001, 12002, 12003]);
  assertEquals(state.lastContiguousRun, 12001);
  state.markDone(12002);
  state.advanceContiguous([12000, 12001, 12002, 12003]);
  assertEquals(state.lastContiguousRun, 12003);
});

Deno.test("state round-trips through an atomic write and keeps unknown keys", async () => {
  await using dir = await tempDir();
  const paths = pathsIn(dir.path);
  await Deno.writeTextFile(paths.stateFile, JSON.stringify({ last_attempted_run: 7, foo: "bar" }));
  const state = await loadStageState("import", paths);
  state.markDone(8);
  state.recordFailure(9, "bad metadata", 3);
  state.recordFailure(9, "bad metadata again", 2);
  state.markPendingUpdate(10, 1234);
  state.noteAttempted([8, 9]);
  await saveStageState(state);
  const again = await loadStageState("import", paths);
  assertEquals(again.lastAttemptedRun, 9);
  assertEquals(again.extra, { foo: "bar" });
  assertEquals(again.failures.get(9)?.attempts, 5);
  assertEquals(again.failures.get(9)?.reason, "bad metadata again");
  assertEquals(again.pendingUpdates.get(10)?.modifiedAt, 1234);
  assertEquals(again.done.ranges(), [[8, 8]]);
  assertEquals(await Deno.readTextFile(paths.failureLog), "9\n");
  const leftovers = [...Deno.readDirSync(dir.path)].filter((e) => e.name.endsWith(".tmp"));
  assertEquals(leftovers, []);
});

Deno.test("Python state and failure log are adopted on first use", async () => {
  await using dir = await tempDir();
  const paths = pathsIn(dir.path);
  await Deno.writeTextFile(paths.stateFile, '{\n  "last_contiguous_run": 3,\n  "last_attempted_run": 6\n}');
  await Deno.writeTextFile(paths.failureLog, "2\n5\n5\nfoo\n");
  const state = await loadStageState("import", paths);
  assertEquals(state.lastContiguousRun, 3);
  assertEquals(state.lastAttemptedRun, 6);
  assertEquals(state.failedRuns(), [2, 5]);
  assertEquals(state.isDone(1), true);
  assertEquals(state.isDone(2), false);
  assertEquals(state.isDone(3), true);
});

Deno.test("a missing state file with a Python failure log adopts the log", async () => {
  await using dir = await tempDir();
  const paths = pathsIn(dir.path);
  await Deno.writeTextFile(paths.failureLog, " 7 \n08\n-1\n");
  const state = await loadStageState("import", paths);
  assertEquals(state.failedRuns(), [7, 8]);
});

Deno.test("corrupt state is a StateError naming the recovery command, and the file is untouched", async () => {
  await using dir = await tempDir();
  const paths = pathsIn(dir.path);
  for (const text of ["{not json", "[1,2]", '{"last_attempted_run": "x"}', '{"format": "other", "stage": "import"}']) {
    await Deno.writeTextFile(paths.stateFile, text);
    const error = await assertRejects(() => loadStageState("import", paths), StateError);
    assertEquals(error.message.includes("--recover-import-state"), true, error.message);
    assertEquals(await Deno.readTextFile(paths.stateFile), text);
  }
});

Deno.test("100,000 done runs serialize compactly and load fast", async () => {
  await using dir = await tempDir();
  const paths = pathsIn(dir.path);
  const state = new StageState("import", paths);
  for (let run = 1; run <= 100_000; run++) if (run % 1000 !== 0) state.markDone(run);
  const text = serializeState(state);
  assertEquals(text.length < 10_000, true, `state is ${text.length} bytes`);
  await saveStageState(state);
  const start = performance.now();
  const loaded = await loadStageState("import", paths);
  assertEquals(loaded.done.size, 99_900);
  assertEquals(performance.now() - start < 200, true);
});
