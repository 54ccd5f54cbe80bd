/**
 * Discovery: names only (no run is opened), digit names only, symlinked run directories, ambiguous zero-padded
 * names, and a sanity run over 100,000 run directories (speed itself is measured by the benchmarks).
 */
import { deepStrictEqual as assertEquals, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { ArchiverError } from "../../core/errors.ts";
import { listRunDirectories } from "../../plugins/run-records/discovery.ts";
import { runRecords } from "../../plugins/run-records/mod.ts";
import { tempDir } from "../_helpers/peers.ts";

Deno.test("discovery: digit-named directories and symlinks to directories; everything else ignored", async () => {
  await using tmp = await tempDir();
  await using elsewhere = await tempDir();
  for (const name of ["7", "0010", "10", "٣", "12a", ".hidden", "run_5"]) await Deno.mkdir(join(tmp.path, name));
  await Deno.writeTextFile(join(tmp.path, "99"), "a file, not a run");
  await Deno.writeTextFile(join(tmp.path, ".record_directory_info"), "inode: 1");
  await Deno.symlink(elsewhere.path, join(tmp.path, "42"));
  await Deno.symlink(join(tmp.path, "nowhere"), join(tmp.path, "43"));
  const listing = await listRunDirectories(tmp.path);
  assertEquals(listing.runs, [{ run: 7, dirName: "7" }, { run: 10, dirName: "10" }, { run: 42, dirName: "42" }]);
  assertEquals([...listing.ambiguous], [[10, ["0010", "10"]]]);
  assertEquals(listing.rejected, []);
});

Deno.test("discovery: with `after`, only the runs above it (an incremental listing); a later run is still read", async () => {
  await using tmp = await tempDir();
  for (const name of ["5", "9", "0010", "10", "11"]) await Deno.mkdir(join(tmp.path, name));
  const listing = await listRunDirectories(tmp.path, 9);
  assertEquals(listing.runs, [{ run: 10, dirName: "10" }, { run: 11, dirName: "11" }]);
  assertEquals([...listing.ambiguous], [[10, ["0010", "10"]]]);
  const source = runRecords({ run_records_dir: tmp.path });
  assertEquals((await source.listRuns(10)).map((r) => r.run), [11]);
  // A run left out of the incremental listing is found when it is asked for (the source lists again).
  assertEquals(await source.modifiedAt(5) > 0, true);
});

Deno.test("discovery: a missing directory is one clear error naming the key to fix", async () => {
  await rejects(
    runRecords({ run_records_dir: "/nonexistent/run_records" }).listRuns(),
    (e: Error) =>
      e instanceof ArchiverError &&
      /run records directory '\/nonexistent\/run_records'.*run_records_dir/.test(e.message),
  );
});

Deno.test("discovery: 100,000 run directories are listed (names only)", async () => {
  // tmpfs when there is one: creating 100,000 directories on a busy disk takes longer than the listing test itself.
  const shm = await Deno.stat("/dev/shm").then((info) => info.isDirectory, () => false);
  const path = await Deno.makeTempDir({ prefix: "archiver-discovery-", ...(shm ? { dir: "/dev/shm" } : {}) });
  await using _cleanup = { [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
  const tmp = { path };
  const count = 100_000;
  for (let run = 1; run <= count; run++) Deno.mkdirSync(join(tmp.path, String(run)));
  const began = performance.now();
  const runs = await runRecords({ run_records_dir: tmp.path }).listRuns();
  const elapsed = performance.now() - began;
  assertEquals(runs.length, count);
  assertEquals([runs[0].run, runs[count - 1].run], [1, count]);
  ok(runs.every((r, i) => r.run === i + 1));
  console.log(`listed ${count} run directories in ${elapsed.toFixed(0)} ms`);
});
