/**
 * End to end: the CLI as a real subprocess on filesystemdb + the embedded UconDB server.
 */
import { assertEquals } from "../state/_assert.ts";
import { tempDir } from "../_helpers/peers.ts";
import { addRun, checkArchived, cli, cliCommand, makeSite } from "./_e2e.ts";
import { pathExists } from "../../core/paths.ts";

Deno.test("e2e: full pipeline, then incremental with nothing new, then a new run; bad input recorded", async () => {
  await using dir = await tempDir();
  const site = await makeSite(dir.path, [101, 102, 103]);
  await addRun(site, 104, "11005", "11001"); // invalid FHiCL in tpc01.fcl: a permanent, clearly named failure
  let result = await cli(site);
  assertEquals(result.code, 1, result.out);
  assertEquals(/run 104: \S*tpc01\.fcl is not valid FHiCL/.test(result.out), true, result.out);
  assertEquals(result.out.includes("retry with: deno task archive"), true);
  assertEquals(await checkArchived(site, [101, 102, 103]), []);
  assertEquals(await Deno.readTextFile(`${site.work}/import_failures.log`), "104\n");
  const state = JSON.parse(await Deno.readTextFile(`${site.work}/importer_state.json`));
  assertEquals([state.last_contiguous_run, state.last_attempted_run], [103, 104]);

  result = await cli(site, "--incremental");
  assertEquals(result.code, 0, result.out);
  assertEquals(result.out.includes("Import Stage: No new runs to import."), true);
  assertEquals(result.out.includes("Migration Stage: No new runs to migrate."), true);

  await addRun(site, 105);
  result = await cli(site, "--incremental");
  assertEquals(result.code, 0, result.out);
  assertEquals(await checkArchived(site, [101, 102, 103, 105]), []);
  assertEquals(
    await Deno.readTextFile(`${site.work}/.archiver.lock`),
    (await Deno.readTextFile(`${site.work}/.archiver.lock`)).trim() + "\n",
  );
});

Deno.test("e2e: --dry-run lists the work and writes nothing; --runs selects", async () => {
  await using dir = await tempDir();
  const site = await makeSite(dir.path, [100, 150, 305, 400]);
  let result = await cli(site, "--dry-run", "--runs", "100-200,305");
  assertEquals(result.code, 0, result.out);
  assertEquals(result.out.includes("import: would process 3 run(s): 100, 150, 305"), true, result.out);
  assertEquals(await pathExists(`${dir.path}/db`), false);
  result = await cli(site, "--runs", "100-200,305");
  assertEquals(result.code, 0, result.out);
  assertEquals(await checkArchived(site, [100, 150, 305]), []);
});

Deno.test("e2e L1/L4/L6: a second invocation exits 1 at once; the --watch holder stops on SIGTERM with 130", async () => {
  await using dir = await tempDir();
  const site = await makeSite(dir.path, [1, 2]);
  const holder = cliCommand(site, ["--watch", "30", "--incremental"]).spawn();
  const lock = `${site.work}/.archiver.lock`;
  try {
    // Wait until the holder archived the runs (it then sleeps in --watch).
    for (let i = 0; i < 300; i++) {
      const log = await Deno.readTextFile(`${site.work}/migrator_state.json`).catch(() => "");
      if (log.includes('"done": [\n    [1, 2]')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const pid = (await Deno.readTextFile(lock)).trim();
    assertEquals(pid, String(holder.pid));
    const started = performance.now();
    const second = await cli(site, "--incremental");
    assertEquals(second.code, 1, second.out);
    // Refused by the archiver lock, or — since the CLI creates the roles first — by the embedded UconDB
    // server's own lock on its directory; either way at once, naming the other process, holder untouched.
    const refused = second.out.includes(`Another process may be running. Lock file '${lock}' is held by PID ${pid}`) ||
      second.out.includes("is used by another UconDB-compatible server");
    assertEquals(refused, true, second.out);
    assertEquals(performance.now() - started < 10_000, true);
    assertEquals(await Deno.readTextFile(lock), `${pid}\n`);
    holder.kill("SIGTERM");
    const status = await holder.status;
    assertEquals(status.code, 130);
  } finally {
    try {
      holder.kill("SIGKILL");
    } catch { /* already gone */ }
    await holder.stdout.cancel().catch(() => {});
    await holder.stderr.cancel().catch(() => {});
  }
  assertEquals(await checkArchived(site, [1, 2]), []);
});

Deno.test("e2e L1: lock held by another process → exit 1 with the lock message; nothing written", async () => {
  await using dir = await tempDir();
  const site = await makeSite(dir.path, [1]);
  await Deno.mkdir(site.work, { recursive: true });
  const lock = `${site.work}/.archiver.lock`;
  const holder = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../lock/hold_lock.ts", import.meta.url).pathname, lock],
    stdout: "piped",
  }).spawn();
  try {
    const reader = holder.stdout.pipeThrough(new TextDecoderStream()).getReader();
    assertEquals((await reader.read()).value?.startsWith("locked"), true);
    reader.releaseLock();
    const result = await cli(site);
    assertEquals(result.code, 1, result.out);
    const message = `Another process may be running. Lock file '${lock}' is held by PID ${holder.pid}`;
    assertEquals(result.out.includes(message), true, result.out);
    assertEquals(await Deno.readTextFile(lock), `${holder.pid}\n`);
    assertEquals(await pathExists(`${site.work}/importer_state.json`), false);
  } finally {
    holder.kill("SIGKILL");
    await holder.status;
    await holder.stdout.cancel().catch(() => {});
  }
});
