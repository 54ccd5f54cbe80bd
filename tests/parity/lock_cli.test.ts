/**
 * §17.5 L2 and L3 through the CLI subprocess (original-archiver.md §17.5): deleting the lock file of a running
 * archiver shuts it down gracefully (exit 130, runs in flight finish, pending runs not failed, the file not
 * recreated); a clean exit leaves the lock file with the PID. L1, L4–L6 are in tests/pipeline and tests/cli.
 */
import { join } from "node:path";
import { assertEquals } from "../state/_assert.ts";
import { tempDir } from "../_helpers/peers.ts";
import { assertResumable, cliCommand, importUnderway, makeSite } from "../pipeline/_e2e.ts";
import { pathExists } from "../../core/paths.ts";

Deno.test("L3 (P): after a clean exit the lock file is still there, holding the archiver's PID", async () => {
  await using dir = await tempDir();
  const site = await makeSite(dir.path, [1]);
  const child = cliCommand(site, [], "null").spawn();
  assertEquals((await child.status).code, 0);
  assertEquals(await Deno.readTextFile(join(site.work, ".archiver.lock")), `${child.pid}\n`);
});

Deno.test("L2 (P): deleting the lock file → graceful shutdown, exit 130, not recreated; a rerun completes", async () => {
  await using dir = await tempDir();
  const runs = Array.from({ length: 200 }, (_, i) => i + 1);
  const site = await makeSite(dir.path, runs, { parallel_workers: 1, batch_size: 30 });
  const lock = join(site.work, ".archiver.lock");
  const child = cliCommand(site, []).spawn();
  const output = Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  await importUnderway(site);
  await Deno.remove(lock);
  const started = performance.now();
  const status = await child.status;
  const out = (await output).join("");
  assertEquals(status.code, 130, out);
  assertEquals(performance.now() - started < 15_000, true, "within about a second plus the run in flight");
  assertEquals(out.includes("LOCK FILE REMOVED - INITIATING GRACEFUL SHUTDOWN"), true, out);
  assertEquals(out.includes("Reason: Lock file removed"), true, out);
  assertEquals(await pathExists(lock), false, "not recreated");
  await assertResumable(site, runs);
});
