/**
 * §17.3 migration scenarios on the fakes (P = parity, I = intended improvement).
 */
import { assertEquals } from "../state/_assert.ts";
import { adler32, unpackBlob } from "../../core/blob/mod.ts";
import { SinkError } from "../../core/errors.ts";
import { tempDir } from "../_helpers/peers.ts";
import { harness } from "./fakes.ts";

Deno.test("M1: full pipeline migrates and verifies; the blob unpacks to the stored files", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, [100]);
  assertEquals(await h.run(), 0);
  assertEquals(h.sink.creates, [100]);
  const blob = unpackBlob(h.sink.blobs.get(100)!);
  assertEquals(blob.run, 100);
  assertEquals(blob.configuration, "100/demo");
  assertEquals(blob.files.map((f) => f.path).toSorted(), ["RunHistory2.fcl", "boot.fcl", "metadata.fcl", "schema.fcl"]);
  const state = await h.state("migrate");
  assertEquals([state.last_contiguous_run, state.last_attempted_run], [100, 100]);
  assertEquals(state.done, [[100, 100]]);
});

Deno.test("M2 (I): a sink that serves other bytes fails verification; re-upload is 'identical', never a 2nd version", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, [100]);
  h.store.seed(100);
  h.sink.readSuffix = "x";
  assertEquals(await h.run({ mode: "migrate-only" }), 1);
  assertEquals(h.sink.puts, [100, 100]);
  assertEquals(h.sink.creates, [100]);
  assertEquals(await h.failureLog("migrate"), "100\n");
  const failures = (await h.state("migrate")).failures as Record<string, { reason: string }>;
  assertEquals(failures["100"].reason.includes("the sink reports size"), true);
  // The server is fixed: the retry verifies the stored blob (identical) and records success.
  h.sink.readSuffix = "";
  assertEquals(await h.run({ mode: "retry-failed-migrate" }), 0);
  assertEquals(h.sink.creates, [100]);
  assertEquals(await h.failureLog("migrate"), "");
});

Deno.test("--verify full downloads and compares", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, [1]);
  h.store.seed(1);
  h.sink.readSuffix = "!";
  assertEquals(await h.run({ mode: "migrate-only", verify: "full" }), 1);
  const failures = (await h.state("migrate")).failures as Record<string, { reason: string }>;
  assertEquals(failures["1"].reason.includes("differs from the uploaded one"), true);
});

Deno.test("a different blob under the same key is a conflict: permanent, nothing overwritten", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, [1]);
  h.store.seed(1);
  const other = new TextEncoder().encode("a blob written by someone else");
  h.sink.blobs.set(1, other);
  // Known failure (in flight / failed before) → processed, not adopted.
  await Deno.mkdir(`${dir.path}/work`, { recursive: true });
  await Deno.writeTextFile(h.config.app.migrate_failure_log, "1\n");
  assertEquals(await h.run({ mode: "retry-failed-migrate" }), 1);
  assertEquals(h.sink.puts, [1]);
  assertEquals(h.sink.blobs.get(1), other);
  assertEquals(h.logger.has("permanently failed"), true);
});

Deno.test("runs already in UconDB from an earlier archiver are adopted without upload (Python switch-over)", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, []);
  h.store.seed(10);
  h.store.seed(11);
  h.sink.blobs.set(10, new TextEncoder().encode("python blob"));
  assertEquals(await h.run({ mode: "migrate-only" }), 0);
  assertEquals(h.sink.puts, [11]);
  assertEquals((await h.state("migrate")).done, [[10, 11]]);
});

Deno.test("M5: --validate logs missing metadata keys but the run succeeds; M6: retry mode does not validate", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, [1]);
  assertEquals(await h.run({ validate: true }), 0);
  assertEquals(h.logger.has("Error: no matches for parameter 'sbndaq_commit_or_version'"), true);
  assertEquals(h.logger.has("Migration Stage: Blob validation enabled"), true);
  h.sink.blobs.clear();
  await Deno.writeTextFile(h.config.app.migrate_failure_log, "1\n");
  await Deno.remove(h.config.app.migrate_state_file);
  assertEquals(await h.run({ mode: "retry-failed-migrate", validate: true }), 0);
  assertEquals(h.logger.has("Blob validation"), false);
});

Deno.test("M7/M8: stage counters; zeros when nothing to migrate", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, []);
  assertEquals(await h.run({ mode: "migrate-only" }), 0);
  assertEquals(h.metrics.value("migrate.runs_processed"), 0);
  assertEquals(h.metrics.value("migrate.runs_successful"), 0);
  assertEquals(h.metrics.value("migrate.runs_failed"), 0);
  assertEquals(h.metrics.value("migrate.last_successful_run"), undefined);
  h.store.seed(1);
  h.store.seed(2);
  h.sink.faults.set("put:2", Infinity, () => new SinkError("HTTP 500 from UconDB"));
  assertEquals(await h.run({ mode: "migrate-only" }), 1);
  assertEquals(h.metrics.value("migrate.runs_processed"), 2);
  assertEquals(h.metrics.value("migrate.runs_successful"), 1);
  assertEquals(h.metrics.value("migrate.runs_failed"), 1);
  assertEquals(h.metrics.value("migrate.last_successful_run"), 1);
  assertEquals(h.metrics.value("migrate.bytes"), h.sink.blobs.get(1)!.length);
});

Deno.test("M10: retry-failed-migrate processes the failed runs and recomputes contiguous", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, []);
  for (const run of [10, 11, 12]) h.store.seed(run);
  h.sink.faults.set("put:10", Infinity, () => new SinkError("HTTP 503"));
  assertEquals(await h.run({ mode: "migrate-only" }), 1);
  let state = await h.state("migrate");
  assertEquals([state.last_contiguous_run, state.last_attempted_run], [0, 12]);
  h.sink.faults.clear("put:10");
  h.sink.puts.length = 0;
  assertEquals(await h.run({ mode: "retry-failed-migrate" }), 0);
  assertEquals(h.sink.puts, [10]);
  state = await h.state("migrate");
  assertEquals([state.last_contiguous_run, state.last_attempted_run], [12, 12]);
});

Deno.test("a run awaiting its stop-time update is not migrated before the grace period", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, { 1: { complete: false, modifiedAt: Date.now() - 7200_000 } });
  assertEquals(await h.run(), 0);
  assertEquals(h.store.runs.has(1), true);
  assertEquals(h.sink.puts, []);
  assertEquals(h.logger.has("1 run(s) wait for their stop-time update before migration: 1"), true);
  h.source.runs.set(1, { complete: true });
  assertEquals(await h.run(), 0);
  const blob = unpackBlob(h.sink.blobs.get(1)!);
  const history = blob.files.find((f) => f.path === "RunHistory2.fcl")!;
  assertEquals(new TextDecoder().decode(history.data).includes("stop 1"), true);
  assertEquals(adler32(h.sink.blobs.get(1)!).length > 0, true);
});

Deno.test("incremental with nothing imported above the start does not list the store; a full run finds foreign runs", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, [1, 2]);
  assertEquals(await h.run(), 0);
  // A listing now would fail the stage: the incremental invocation must decide without it.
  h.store.faults.set("list", Infinity, () => new Error("store listed"));
  assertEquals(await h.run({ incremental: true }), 0);
  h.store.faults.clear("list");
  // Run 7 put into the store by another tool: not seen incrementally (nothing imported it here), found by full.
  h.store.seed(7);
  assertEquals(await h.run({ mode: "migrate-only", incremental: true }), 0);
  assertEquals(h.sink.creates, [1, 2]);
  assertEquals(await h.run({ mode: "migrate-only" }), 0);
  assertEquals(h.sink.creates, [1, 2, 7]);
});

Deno.test("incremental migrates a run imported in the same invocation (the store is listed then)", async () => {
  await using dir = await tempDir();
  const h = await harness(dir.path, [1]);
  assertEquals(await h.run({ incremental: true }), 0);
  assertEquals(h.sink.creates, [1]);
  assertEquals((await h.state("migrate")).last_contiguous_run, 1);
});
