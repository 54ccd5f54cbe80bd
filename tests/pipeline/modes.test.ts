/**
 * Recovery (§17.4 R1–R4), locking/signals (§17.5 L1–L6), notifications (N2), fuzzing (F1–F3) and the operator
 * features (--runs, --dry-run, --watch) on the fakes.
 */
import { assertEquals, assertRejects } from "../state/_assert.ts";
import { LockHeldError, StateError } from "../../core/errors.ts";
import { acquireLock } from "../../core/lock/mod.ts";
import { tempDir } from "../_helpers/peers.ts";
import { harness } from "./fakes.ts";
import { pathExists } from "../../core/paths.ts";

Deno.test("R1/R4: --recover-import-state (extra keys dropped)", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, [1, 2, 3, 5, 6, 8]);
  for (const run of [1, 2, 3, 6]) h.store.seed(run);
  await Deno.mkdir(`${dir.path}/work`, { recursive: true });
  await Deno.writeTextFile(h.config.app.import_state_file, '{"last_attempted_run": 99, "foo": 1}');
  assertEquals(await h.run({ mode: "recover-import-state" }), 0);
  const state = await h.state("import");
  assertEquals([state.last_contiguous_run, state.last_attempted_run, state.foo], [3, 6, undefined]);
  assertEquals(await h.failureLog("import"), "5\n");
});

Deno.test("R2: empty artdaqDB → zeros and an empty failure log", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, [1, 2]);
  assertEquals(await h.run({ mode: "recover-import-state" }), 0);
  const state = await h.state("import");
  assertEquals([state.last_contiguous_run, state.last_attempted_run], [0, 0]);
  assertEquals(await h.failureLog("import"), "");
});

Deno.test("R3: --recover-migrate-state", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, []);
  for (const run of [10, 11, 12, 14]) h.store.seed(run);
  for (const run of [11, 12]) h.sink.blobs.set(run, new Uint8Array([1]));
  assertEquals(await h.run({ mode: "recover-migrate-state" }), 0);
  const state = await h.state("migrate");
  assertEquals([state.last_contiguous_run, state.last_attempted_run], [12, 12]);
  assertEquals(await h.failureLog("migrate"), "10\n");
});

Deno.test("corrupt state stops the stage with the recovery command; the file is untouched", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, [1]);
  await Deno.mkdir(`${dir.path}/work`, { recursive: true });
  await Deno.writeTextFile(h.config.app.import_state_file, "{torn");
  const error = await assertRejects(() => h.run(), StateError);
  assertEquals(error.message.includes("--recover-import-state"), true);
  assertEquals(await Deno.readTextFile(h.config.app.import_state_file), "{torn");
  assertEquals(h.store.calls, []);
});

Deno.test("L1 (I): a second archiver on the same work dir fails at once; the first is unaffected", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, [1]);
  await Deno.mkdir(`${dir.path}/work`, { recursive: true });
  const holder = await acquireLock(h.config.app.lock_file);
  try {
    // flock is per open file description: a second open in this process conflicts like another process.
    const error = await assertRejects(() => h.run(), LockHeldError);
    assertEquals(error.message.includes("Another process may be running"), true);
    assertEquals(await Deno.readTextFile(h.config.app.lock_file), `${Deno.pid}\n`);
  } finally {
    holder.release();
  }
  assertEquals(await h.run(), 0);
  assertEquals(await Deno.readTextFile(h.config.app.lock_file), `${Deno.pid}\n`); // L3: kept, with the PID
});

Deno.test("L4/L6 (I): a shutdown mid-batch finishes runs in flight, starts nothing more, no migration", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, [1, 2, 3, 4, 5, 6, 7, 8], { parallel_workers: 2 });
  h.store.delayMs = 20;
  let puts = 0;
  const original = h.store.putRun.bind(h.store);
  h.store.putRun = async (prepared, kind) => {
    if (kind === "initial" && ++puts === 3) h.shutdown.request("Termination signal (SIGTERM)");
    await original(prepared, kind);
  };
  assertEquals(await h.run(), 1);
  assertEquals(h.shutdown.requested, true);
  const imported = [...h.store.runs.keys()];
  assertEquals(imported.length >= 3 && imported.length <= 4, true, `imported ${imported}`);
  assertEquals(h.sink.puts, []);
  assertEquals(h.logger.has("Shutdown requested - the migration stage is not started"), true);
  assertEquals(h.logger.has("Shutdown requested - cancelled"), true);
  assertEquals(h.logger.has("Batch processing interrupted by shutdown"), true);
  const state = await h.state("import");
  assertEquals(await h.failureLog("import"), "");
  assertEquals(state.in_flight, []);
  assertEquals((state.done as number[][]).flat().length > 0, true);
});

Deno.test("L2: removing the lock file shuts down gracefully", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, [1, 2, 3, 4], { parallel_workers: 1 });
  h.store.delayMs = 700;
  const done = h.run({ mode: "import-only" });
  await new Promise((r) => setTimeout(r, 200));
  await Deno.remove(h.config.app.lock_file);
  assertEquals(await done, 1);
  assertEquals(h.shutdown.reason, "Lock file removed");
  assertEquals(h.logger.has("LOCK FILE REMOVED - INITIATING GRACEFUL SHUTDOWN"), true);
  assertEquals(h.store.runs.size < 4, true);
  assertEquals(await h.failureLog("import"), "");
});

Deno.test("N2 (I): a notifier failure is logged and changes neither the state nor the exit code", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, [1, 2]);
  h.source.runs.set(2, { complete: true, badInput: "run 2: boot.txt too large" });
  h.notifier.fail = true;
  assertEquals(await h.run({ mode: "import-only" }), 1);
  assertEquals(await h.failureLog("import"), "2\n");
  assertEquals((await h.state("import")).done, [[1, 1]]);
  assertEquals(h.logger.lines.some((l) => l.level === "error" && l.message.includes("notification")), true);
});

Deno.test("F1: random_error_percent 100 + retry:true → about half fail permanently; F2: none in incremental", async () => {
  await using dir = await tempDir();
  const runs = Array.from({ length: 40 }, (_, i) => i + 1);
  const extra = "app_fuzz:\n  random_error_percent: 100\n  random_error_retry: true\n";
  const h = await harness(dir.path, runs, { batch_size: 10 }, extra);
  assertEquals(await h.run({ mode: "import-only" }), 1);
  const failures = (await h.state("import")).failures as Record<string, { reason: string; attempts: number }>;
  const failed = Object.keys(failures).length;
  assertEquals(failed > 5 && failed < 35, true, `${failed} of 40 failed`);
  for (const f of Object.values(failures)) {
    assertEquals(f.reason.startsWith("[FUZZ] Permanent error for run"), true);
    assertEquals(f.attempts, 1);
  }
  await using dir2 = await tempDir();
  const h2 = await harness(dir2.path, runs, { batch_size: 40 }, extra);
  assertEquals(await h2.run({ mode: "import-only", incremental: true }), 0);
  assertEquals(h2.store.runs.size, 40);
});

Deno.test("F3 (P): random_skip_percent 100 without update → counted imported, nothing stored", async () => {
  await using dir = await tempDir();
  const h = await harness(
    dir.path,
    { 1: { complete: false, modifiedAt: 0 } },
    {},
    "app_fuzz:\n  random_skip_percent: 100\n",
  );
  assertEquals(await h.run({ mode: "import-only" }), 0);
  assertEquals(h.store.runs.size, 0);
  assertEquals((await h.state("import")).last_attempted_run, 1);
  assertEquals(h.logger.has("[FUZZ] Randomly skipping run 1"), true);
});

Deno.test("--runs restricts every stage; --dry-run writes nothing", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, [1, 2, 3, 100, 150, 305]);
  let printed = "";
  assertEquals(
    await h.run({
      dryRun: true,
      runs: { text: "100-200,305", ranges: [{ from: 100, to: 200 }, { from: 305, to: 305 }] },
    }, (t) => printed += t),
    0,
  );
  assertEquals(printed, "import: would process 3 run(s): 100, 150, 305\n");
  assertEquals(h.store.calls, []);
  assertEquals(await pathExists(`${dir.path}/work`), false);
  assertEquals(
    await h.run({ runs: { text: "100-200,305", ranges: [{ from: 100, to: 200 }, { from: 305, to: 305 }] } }),
    0,
  );
  assertEquals([...h.store.runs.keys()].toSorted((a, b) => a - b), [100, 150, 305]);
  assertEquals([...h.sink.blobs.keys()].toSorted((a, b) => a - b), [100, 150, 305]);
  // Contiguous is over all runs: 1-3 are not done, so it must not jump to 305.
  assertEquals((await h.state("import")).last_contiguous_run, 0);
  assertEquals((await h.state("migrate")).last_contiguous_run, 305);
});

Deno.test("--watch archives runs as they appear and stops on shutdown", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, [1]);
  const done = h.run({ watch: 0.05, incremental: true });
  const until = async (predicate: () => boolean) => {
    for (let i = 0; i < 200 && !predicate(); i++) await new Promise((r) => setTimeout(r, 10));
  };
  await until(() => h.sink.blobs.has(1));
  h.source.runs.set(2, { complete: true });
  await until(() => h.sink.blobs.has(2));
  h.shutdown.request("User request");
  // 1 when the request lands inside a cycle (Python's "stage interrupted"); the CLI turns either into 130.
  assertEquals([0, 1].includes(await done), true);
  assertEquals([...h.sink.blobs.keys()], [1, 2]);
  assertEquals(h.logger.has("Watch stopped: User request"), true);
});

Deno.test("--json prints a machine-readable summary with the retry command", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, [1, 2]);
  h.source.runs.set(2, { complete: true, badInput: "run 2: bad" });
  let printed = "";
  assertEquals(await h.run({ json: true }, (t) => printed += t), 1);
  const summary = JSON.parse(printed);
  assertEquals(summary.stages[0].stage, "import");
  assertEquals(summary.stages[0].failed, [2]);
  assertEquals(summary.stages[0].retryCommand.endsWith("--retry-failed-import"), true);
  assertEquals(summary.stages[1].done, 1);
});

Deno.test("switching from the Python archiver: its state and failure log are adopted and honoured", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, [1, 2, 3, 5, 6, 8]);
  for (const run of [1, 2, 3, 6]) h.store.seed(run);
  await Deno.mkdir(`${dir.path}/work`, { recursive: true });
  await Deno.writeTextFile(
    h.config.app.import_state_file,
    '{\n  "last_contiguous_run": 3,\n  "last_attempted_run": 6\n}',
  );
  await Deno.writeTextFile(h.config.app.import_failure_log, "5\n");
  assertEquals(await h.run({ mode: "import-only", incremental: true }), 0);
  assertEquals(h.store.calls, ["8:initial", "8:update"]); // 6 adopted from artdaqDB, 5 left to the retry mode
  let state = await h.state("import");
  assertEquals([state.last_contiguous_run, state.last_attempted_run, state.done], [3, 8, [[0, 3], [6, 6], [8, 8]]]);
  assertEquals(await h.failureLog("import"), "5\n");
  assertEquals(await h.run({ mode: "retry-failed-import" }), 0);
  state = await h.state("import");
  assertEquals([state.last_contiguous_run, state.failures], [8, {}]);
  assertEquals(await h.failureLog("import"), "");
});
