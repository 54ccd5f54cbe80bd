/**
 * Crash safety: the CLI (a real subprocess on filesystemdb + the embedded UconDB server) is SIGKILLed at random
 * moments, over and over, while new runs keep appearing; afterwards a normal rerun must leave every run archived
 * exactly once (one UconDB version per key), its blob equal to the packed artdaqDB export (verified), and state
 * with every run done, no failure and nothing in flight.
 *
 * Duration: CRASH_TEST_SECONDS (default 25; about 40 s in all).
 */
import { assertEquals } from "../state/_assert.ts";
import { tempDir } from "../_helpers/peers.ts";
import { addRun, checkArchived, cli, cliCommand, makeSite } from "./_e2e.ts";

const SECONDS = Number(Deno.env.get("CRASH_TEST_SECONDS") ?? 25);

Deno.test("crash: SIGKILL at random moments, then a rerun archives every run exactly once, verified", async () => {
  await using dir = await tempDir();
  let next = 1000;
  const runs: number[] = [];
  const grow = async (count: number) => {
    for (let i = 0; i < count; i++) {
      runs.push(next);
      await addRun(site, next++);
    }
  };
  const site = await makeSite(dir.path, [], { parallel_workers: 2, batch_size: 100, run_process_retries: 2 });
  await grow(40);
  // The kill moment is drawn between 50 ms and 1.5 times the duration of the last invocation that finished on its own, so
  // that the kills land at random points of real work however fast this machine is; and the loop goes on past the
  // deadline (up to twice as long) until enough kills have landed.
  const start = performance.now();
  const deadline = start + SECONDS * 1000;
  const hardDeadline = start + 2 * SECONDS * 1000;
  let kills = 0;
  let invocations = 0;
  let fullRun = 2500;
  while (performance.now() < deadline || (kills < 10 && performance.now() < hardDeadline)) {
    invocations++;
    const spawned = performance.now();
    const child = cliCommand(site, [], "null").spawn();
    const delay = 50 + Math.random() * 1.5 * fullRun; // about one invocation in three finishes
    const exited = await Promise.race([
      child.status.then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), delay)),
    ]);
    if (!exited) {
      try {
        child.kill("SIGKILL");
        kills++;
      } catch {
        // It exited between the timer and the kill (before `child.status` resolved): it finished on its own.
      }
    }
    const status = await child.status;
    if (exited && status.code === 0) {
      fullRun = Math.max(100, performance.now() - spawned);
      await grow(10); // all done: give the next invocations more work
    }
  }
  let final = await cli(site);
  for (let i = 0; i < 3 && final.code !== 0; i++) final = await cli(site);
  assertEquals(final.code, 0, final.out);
  assertEquals(kills >= 10, true, `only ${kills} kills in ${invocations} invocations`);
  assertEquals(await checkArchived(site, runs), []);
  for (const file of ["importer_state.json", "migrator_state.json"]) {
    const state = JSON.parse(await Deno.readTextFile(`${site.work}/${file}`));
    assertEquals(state.done, [[runs[0], runs[runs.length - 1]]], file);
    assertEquals([state.failures, state.in_flight], [{}, []], file);
    assertEquals(state.last_contiguous_run, runs[runs.length - 1], file);
  }
  console.log(`crash test: ${kills} SIGKILLs in ${invocations} invocations, ${runs.length} runs`);
});
