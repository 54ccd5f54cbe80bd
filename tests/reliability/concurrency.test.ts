/**
 * Guarantee: two archivers started at the same moment on the same site never both work. One archives everything
 * (exit 0, every run once, verified); the other exits 1 at once (while the first is still working) with a one-line
 * message saying another archiver holds the site, and does not disturb the first: no shutdown, and its lock file
 * still names it (the Python archiver's second instance emptied the lock file and made the first shut down, §16.1-1).
 *
 * Two setups: the default embedded UconDB server (a second process may meet the embedded server's directory lock
 * before the archiver's lock; either refusal is accepted) and an external UconDB server (the archiver's lock
 * decides, its message is required).
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { join } from "node:path";
import { startUconDBServer } from "../../plugins/ucondb/mod.ts";
import { tempDir } from "../_helpers/peers.ts";
import { checkArchived, cliCommand, linkRuns, makeSite, runRange, setSink, type Site } from "./_site.ts";

const RUNS = 60;
/** Start-up (Deno, configuration, plugins) takes about 1 s here; a refusal must not take much longer. */
const AT_ONCE_SECONDS = 10;
const LOCK_HELD = /Another process may be running\. Lock file '[^']+' is held by PID \d+/;
const ANY_HELD = new RegExp(`${LOCK_HELD.source}|is used by another UconDB-compatible server`);

interface Outcome {
  pid: number;
  code: number;
  out: string;
  seconds: number;
  /** The lock file's content the moment this process had exited (null: no lock file yet). */
  lockAfterExit: string | null;
}

/** Start two CLIs in the same tick; return both outcomes, the first to finish first. */
async function race(site: Site): Promise<[Outcome, Outcome]> {
  const started = performance.now();
  const children = [cliCommand(site, []).spawn(), cliCommand(site, []).spawn()];
  const lockFile = join(site.work, ".archiver.lock");
  const outcomes = await Promise.all(children.map(async (child) => {
    const result = await child.output();
    const seconds = (performance.now() - started) / 1000;
    const lockAfterExit = await Deno.readTextFile(lockFile).catch(() => null);
    const decoder = new TextDecoder();
    const out = decoder.decode(result.stdout) + decoder.decode(result.stderr);
    return { pid: child.pid, code: result.code, out, seconds, lockAfterExit };
  }));
  return outcomes.sort((a, b) => a.seconds - b.seconds) as [Outcome, Outcome];
}

/** Race two CLIs on the site; assert one worked and the other was refused at once with `held`. */
async function expectOneWorks(site: Site, label: string, held: RegExp): Promise<void> {
  const [loser, winner] = await race(site);
  assertEquals(winner.code, 0, `${label}: the working archiver failed:\n${winner.out.slice(-3000)}`);
  assertEquals(loser.code, 1, `${label}: the second archiver:\n${loser.out.slice(-3000)}`);
  const message = loser.out.split("\n").find((line) => held.test(line));
  ok(message, `${label}: no clear 'held' message from the second archiver:\n${loser.out}`);
  // "at once": it did not wait for the holder (which was still working), nor do any work of its own.
  ok(
    loser.seconds < winner.seconds && loser.seconds < AT_ONCE_SECONDS,
    `${label}: second exited after ${loser.seconds} s`,
  );
  // The holder's lock file still names the holder after the second one left (Python's second instance emptied it).
  assertEquals(loser.lockAfterExit, `${winner.pid}\n`, `${label}: lock file after the second archiver exited`);
  ok(!/Processing run/.test(loser.out), `${label}: the second archiver processed runs`);
  ok(!/GRACEFUL SHUTDOWN|Lock file removed/.test(winner.out), `${label}: the first archiver was disturbed`);
  console.log(
    `${label}: holder exit 0 after ${winner.seconds.toFixed(1)} s; second exit 1 after ${
      loser.seconds.toFixed(1)
    } s: ` +
      message!.replace(/^.* - (ERROR|CRITICAL) - /, "").slice(0, 200),
  );
}

Deno.test("concurrency: two archivers at once on the default embedded setup → one works, the other exits 1 at once", async () => {
  await using dir = await tempDir();
  const runs = runRange(40000, RUNS);
  const site = await makeSite(dir.path, [], { parallel_workers: 2, batch_size: 1000 });
  await linkRuns(site, runs);
  await expectOneWorks(site, "embedded UconDB", ANY_HELD);
  assertEquals(await checkArchived(site, runs), []);
});

Deno.test("concurrency: two archivers at once with an external UconDB → the archiver lock decides", async () => {
  await using dir = await tempDir();
  const runs = runRange(41000, RUNS);
  const site = await makeSite(dir.path, [], { parallel_workers: 2, batch_size: 1000 });
  await linkRuns(site, runs);
  const server = await startUconDBServer({
    dir: join(dir.path, "ucondb"),
    users: { archiver: "e2e-secret-pw" },
    folders: ["run_records"],
  });
  try {
    await setSink(site, server.url);
    await expectOneWorks(site, "external UconDB", LOCK_HELD);
  } finally {
    await server.close();
  }
  await setSink(site);
  assertEquals(await checkArchived(site, runs), []);
});
