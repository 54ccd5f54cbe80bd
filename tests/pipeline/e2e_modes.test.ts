/**
 * End-to-end §17 scenarios through the CLI subprocess on filesystemdb + the embedded UconDB server: incremental
 * batches (I3), a failing run fixed by --retry-failed-import (I5/I6), recovery (R1), and SIGINT mid-import (L4).
 */
import { join } from "node:path";
import { pathExists, REPO_ROOT } from "../../core/paths.ts";
import { assertEquals } from "../state/_assert.ts";
import { freePort, tempDir } from "../_helpers/peers.ts";
import {
  addRun,
  assertResumable,
  checkArchived,
  cli,
  cliCommand,
  emailReporting,
  importUnderway,
  makeSite,
  readJson,
} from "./_e2e.ts";

Deno.test("e2e I3: --import-only --incremental with batch_size 2 → {1,2}, {3,4}, {5}", async () => {
  await using dir = await tempDir();
  const site = await makeSite(dir.path, [1, 2, 3, 4, 5], { batch_size: 2 });
  for (const [contiguous, attempted] of [[2, 2], [4, 4], [5, 5]]) {
    const result = await cli(site, "--import-only", "--incremental");
    assertEquals(result.code, 0, result.out);
    const s = await readJson(site, "importer_state.json");
    assertEquals([s.last_contiguous_run, s.last_attempted_run], [contiguous, attempted]);
  }
  const result = await cli(site, "--migrate-only", "--incremental");
  assertEquals(result.code, 0, result.out);
  assertEquals(result.out.includes("Migration Stage: Limited to 2 runs (batch_size). 3 runs remaining."), true);
});

Deno.test("e2e I5/I6 + R1: a bad run fails, is fixed and retried; recovery rebuilds the same state", async () => {
  await using dir = await tempDir();
  const site = await makeSite(dir.path, [1, 3, 5]);
  await addRun(site, 2, "11005", "11001");
  let result = await cli(site, "--import-only");
  assertEquals(result.code, 1, result.out);
  assertEquals(await Deno.readTextFile(join(site.work, "import_failures.log")), "2\n");
  let s = await readJson(site, "importer_state.json");
  assertEquals([s.last_contiguous_run, s.last_attempted_run], [1, 5]);

  await Deno.copyFile(join(REPO_ROOT, "fixtures/run_records/11001/tpc01.fcl"), join(site.records, "2/tpc01.fcl"));
  result = await cli(site, "--retry-failed-import");
  assertEquals(result.code, 0, result.out);
  assertEquals(result.out.includes("Import Stage: Recovery complete. 1 successful (0 already archived, 1 newly"), true);
  assertEquals(await Deno.readTextFile(join(site.work, "import_failures.log")), "");
  s = await readJson(site, "importer_state.json");
  assertEquals([s.last_contiguous_run, s.last_attempted_run], [5, 5]);

  await Deno.remove(join(site.work, "importer_state.json"));
  await addRun(site, 4);
  result = await cli(site, "--recover-import-state");
  assertEquals(result.code, 0, result.out);
  s = await readJson(site, "importer_state.json");
  assertEquals([s.last_contiguous_run, s.last_attempted_run], [3, 5]);
  assertEquals(await Deno.readTextFile(join(site.work, "import_failures.log")), "4\n");
  result = await cli(site, "--retry-failed-import");
  assertEquals(result.code, 0, result.out);
  result = await cli(site);
  assertEquals(result.code, 0, result.out);
  assertEquals(await checkArchived(site, [1, 2, 3, 4, 5]), []);
});

Deno.test("e2e L4 (I): SIGINT during the import finishes runs in flight, starts no migration, exits 130", async () => {
  await using dir = await tempDir();
  const runs = Array.from({ length: 30 }, (_, i) => i + 1);
  const site = await makeSite(dir.path, runs, { parallel_workers: 1, batch_size: 10 });
  const child = cliCommand(site, []).spawn();
  const output = new Response(child.stdout).text();
  const errors = new Response(child.stderr).text();
  await importUnderway(site);
  await new Promise((r) => setTimeout(r, 300));
  child.kill("SIGINT");
  const status = await child.status;
  const out = (await output) + (await errors);
  assertEquals(status.code, 130, out);
  assertEquals(out.includes("GRACEFUL SHUTDOWN REQUESTED (Ctrl-C)"), true, out);
  assertEquals(out.includes("Shutdown requested - the migration stage is not started"), true, out);
  assertEquals(await pathExists(join(site.work, "migrator_state.json")), false);
  // A rerun completes the rest.
  await assertResumable(site, runs);
});

Deno.test("e2e L5: three SIGINTs within 2 s exit 130 at once; a rerun still archives every run exactly once", async () => {
  await using dir = await tempDir();
  // Enough runs that the archiver is still importing when the signals come (20 could all be done before them).
  const runs = Array.from({ length: 100 }, (_, i) => i + 1);
  const site = await makeSite(dir.path, runs, { parallel_workers: 2, batch_size: 20 });
  const child = cliCommand(site, [], "null").spawn();
  await importUnderway(site);
  for (let i = 0; i < 3; i++) {
    // The graceful exit after the first signal can end the process before the next one (exit 130 all the same;
    // the immediate path itself is tests/cli/shutdown.test.ts's).
    if (!signal(child, "SIGINT")) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assertEquals((await child.status).code, 130);
  const result = await cli(site);
  assertEquals(result.code, 0, result.out);
  assertEquals(await checkArchived(site, runs), []);
});

Deno.test("e2e C12: --import-only --compare-state produces only the report (no import)", async () => {
  await using dir = await tempDir();
  const site = await makeSite(dir.path, [1, 2]);
  const result = await cli(site, "--import-only", "--compare-state");
  assertEquals(result.code, 0, result.out);
  assertEquals(result.out.includes("STAGE: Import"), false, result.out);
  assertEquals(await pathExists(join(site.work, "importer_state.json")), false);
  assertEquals(await pathExists(join(dir.path, "db")), false);
});

Deno.test("e2e N2 (I): an unreachable SMTP server is logged; state, archive and exit code are unaffected", async () => {
  await using dir = await tempDir();
  const port = freePort(); // nothing listens there: connection refused
  const site = await makeSite(dir.path, [1, 3], {}, emailReporting(port));
  await addRun(site, 2, "11005", "11001");
  const result = await cli(site);
  assertEquals(result.code, 1, result.out);
  assertEquals(/notification|email/i.test(result.out.split("\n").filter((l) => / ERROR /.test(l)).join("\n")), true);
  assertEquals(await Deno.readTextFile(join(site.work, "import_failures.log")), "2\n");
  const s = await readJson(site, "importer_state.json");
  assertEquals([s.last_contiguous_run, s.last_attempted_run], [1, 3]);
  assertEquals(await checkArchived(site, [1, 3]), []);
});

/** Send signal `name`; false when the process has already exited. */
function signal(child: Deno.ChildProcess, name: Deno.Signal): boolean {
  try {
    child.kill(name);
    return true;
  } catch (error) {
    if (error instanceof TypeError && /already terminated/.test(error.message)) return false;
    throw error;
  }
}
