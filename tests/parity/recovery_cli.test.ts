/**
 * §17.2 I7 and §17.4 R3/R4 through the CLI subprocess on the real stores (original-archiver.md §17): a Python
 * failure log with duplicates and junk, and the migration-state recovery from artdaqDB and UconDB listings. The same
 * scenarios on the fakes are in tests/pipeline (import.test.ts "I7", modes.test.ts "R3", "R1/R4").
 */
import { join } from "node:path";
import { assertEquals } from "../state/_assert.ts";
import { tempDir } from "../_helpers/peers.ts";
import { cli, makeSite, readJson } from "../pipeline/_e2e.ts";

Deno.test("I7 (P): failure log '5\\n5\\n7\\nfoo\\n' with 7 archived → only 5 attempted, log rewritten empty", async () => {
  await using dir = await tempDir();
  const site = await makeSite(dir.path, [5, 7]);
  let result = await cli(site, "--import-only", "--runs", "7");
  assertEquals(result.code, 0, result.out);
  // As left by the Python archiver: no state of ours, its failure log.
  await Deno.remove(join(site.work, "importer_state.json"));
  await Deno.writeTextFile(join(site.work, "import_failures.log"), "5\n5\n7\nfoo\n");
  result = await cli(site, "--retry-failed-import");
  assertEquals(result.code, 0, result.out);
  assertEquals(
    result.out.includes("Found 1 run(s) already archived, removing from failure log: [7]"),
    true,
    result.out,
  );
  const attempted = result.out.split("\n").filter((l) => l.includes("→ Processing run"));
  assertEquals(attempted.map((l) => l.match(/Processing run (\d+)/)![1]), ["5"]);
  assertEquals(await Deno.readTextFile(join(site.work, "import_failures.log")), "");
});

Deno.test("R3/R4 (P): --recover-migrate-state: artdaqDB {10,11,12,14}, UconDB {11,12} → (12, 12), log 10", async () => {
  await using dir = await tempDir();
  const site = await makeSite(dir.path, [10, 11, 12, 14]);
  let result = await cli(site, "--import-only");
  assertEquals(result.code, 0, result.out);
  result = await cli(site, "--migrate-only", "--runs", "11-12");
  assertEquals(result.code, 0, result.out);
  await Deno.writeTextFile(join(site.work, "migrator_state.json"), '{"foo": 1, "last_attempted_run": 99}');
  result = await cli(site, "--recover-migrate-state");
  assertEquals(result.code, 0, result.out);
  const state = await readJson(site, "migrator_state.json");
  assertEquals([state.last_contiguous_run, state.last_attempted_run, state.foo], [12, 12, undefined]);
  assertEquals(await Deno.readTextFile(join(site.work, "migrate_failures.log")), "10\n");
});
