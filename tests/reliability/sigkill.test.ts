/**
 * Guarantee: killing the archiver with SIGKILL at any moment loses and duplicates nothing. The CLI (a real
 * subprocess on filesystemdb + the embedded UconDB server) is killed at least 50 times (at least 10 in each stage)
 * while runs keep arriving; the kill moments are spread over start-up (configuration, lock, listing), the import
 * stage and the migration stage, each at a random delay. Then a normal rerun must leave every run archived exactly once (one UconDB version per
 * key), its blob equal to the packed artdaqDB export, and both states with every run done, no failure, nothing in
 * flight.
 *
 * tests/pipeline/crash.test.ts kills at random times (at least 10 kills); this test aims each
 * kill at a stage and makes at least 50.
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { tempDir } from "../_helpers/peers.ts";
import { checkArchived, cli, cliCommand, linkRuns, makeSite, readState, runRange, type Site } from "./_site.ts";

const KILLS = 50;
const MAX_INVOCATIONS = 300;

/**
 * Where a kill is aimed, and the random delay range after the aim point (ms) at the start. The range of a target
 * shrinks each time its invocation finished before the kill and grows back (up to this) after a kill, so that the
 * kills keep landing inside the stage however fast this machine runs it.
 */
const AIMS = [
  { target: "any", maxDelayMs: 1000 }, // after spawn: start-up, lock, listing, or whatever runs then
  { target: "import", maxDelayMs: 500 }, // after the first run of the import stage started
  { target: "migrate", maxDelayMs: 250 }, // after the first run of the migration stage started
] as const;
type Target = typeof AIMS[number]["target"];
type Phase = "startup" | "import" | "migrate";

interface Kill {
  target: Target;
  phase: Phase;
  msAfterSpawn: number;
}

/** Run the CLI and SIGKILL it at a random moment after the aim point; null when it finished first. */
async function invokeAndKill(site: Site, target: Target, maxDelayMs: number): Promise<Kill | null> {
  const child = cliCommand(site, []).spawn();
  const spawned = performance.now();
  let phase: Phase = "startup";
  let kill: Kill | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    timer ??= setTimeout(() => {
      const moment = { target, phase, msAfterSpawn: Math.round(performance.now() - spawned) };
      try {
        child.kill("SIGKILL");
        kill = moment;
      } catch {
        // The archiver exited between the timer's start and now (before `child.status` resolved): it finished first.
      }
    }, Math.random() * maxDelayMs);
  };
  if (target === "any") arm();
  const watch = (async () => {
    const lines = child.stdout.pipeThrough(new TextDecoderStream());
    let rest = "";
    for await (const chunk of lines) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      for (const line of parts) {
        if (line.includes("STAGE: Import")) phase = "import";
        if (line.includes("STAGE: Migration")) phase = "migrate";
        if (phase === target && line.includes("→ Processing run")) arm();
      }
    }
  })();
  const drain = child.stderr.pipeTo(new WritableStream());
  await child.status;
  clearTimeout(timer);
  await Promise.all([watch, drain]);
  return kill;
}

Deno.test("SIGKILL at 50+ random moments across start-up, import and migration → every run archived once, verified", async () => {
  await using dir = await tempDir();
  const site = await makeSite(dir.path, [], { parallel_workers: 2, batch_size: 1000, run_process_retries: 2 });
  let next = 60000;
  const runs: number[] = [];
  const arrive = async (count: number) => {
    const fresh = runRange(next, count);
    next += count;
    runs.push(...fresh);
    await linkRuns(site, fresh);
  };
  await arrive(20);
  const started = performance.now();
  const kills: Kill[] = [];
  let invocations = 0;
  const range = new Map<Target, number>(AIMS.map((aim) => [aim.target, aim.maxDelayMs]));
  const byPhase = (phase: Phase) => kills.filter((k) => k.phase === phase).length;
  const enough = () => kills.length >= KILLS && byPhase("import") >= 10 && byPhase("migrate") >= 10;
  while (!enough() && invocations < MAX_INVOCATIONS) {
    const { target, maxDelayMs } = AIMS[invocations++ % AIMS.length];
    const kill = await invokeAndKill(site, target, range.get(target)!);
    if (kill) kills.push(kill);
    // A kill aimed at a stage that landed after it (the stage finished first) counts as a miss for that aim.
    const onTarget = kill !== null && (target === "any" || kill.phase === target);
    range.set(
      target,
      onTarget ? Math.min(maxDelayMs, range.get(target)! * 1.2) : Math.max(10, range.get(target)! * 0.6),
    );
    await arrive(2); // new runs keep arriving, so every stage always has work
  }
  const killSeconds = (performance.now() - started) / 1000;
  ok(enough(), `only ${kills.length} kills in ${invocations} invocations: ${JSON.stringify(kills)}`);

  const rerunStarted = performance.now();
  let final = await cli(site);
  for (let i = 0; i < 2 && final.code !== 0; i++) final = await cli(site);
  assertEquals(final.code, 0, final.out.slice(-3000));
  assertEquals(await checkArchived(site, runs), []);
  for (const stage of ["import", "migrate"] as const) {
    const state = await readState(site, stage);
    assertEquals(state.done, [[runs[0], runs[runs.length - 1]]], stage);
    assertEquals([state.failures, state.in_flight], [{}, []], stage);
    assertEquals(state.last_contiguous_run, runs[runs.length - 1], stage);
  }
  const rerunSeconds = (performance.now() - rerunStarted) / 1000;
  console.log(
    `sigkill: ${kills.length} kills in ${invocations} invocations over ${killSeconds.toFixed(1)} s ` +
      `(start-up ${byPhase("startup")}, import ${byPhase("import")}, migration ${byPhase("migrate")}), ` +
      `${runs.length} runs, rerun + check ${rerunSeconds.toFixed(1)} s; kill moments (phase@ms after spawn): ` +
      kills.map((k) => `${k.phase[0]}@${k.msAfterSpawn}`).join(" "),
  );
});
