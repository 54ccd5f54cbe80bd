/**
 * Guarantee: two archivers started at the same moment on the same site never both work. One archives everything
 * (exit 0, every run once, verified); the other exits 1 at once (long before the first is done) with a one-line
 * message saying another archiver holds the site, and does not disturb the first (the Python archiver's second
 * instance emptied the lock file and made the first shut down, §16.1-1).
 *
 * Two setups, because they meet different locks first: the default embedded UconDB server (its directory lock,
 * taken while the roles are created) and an external UconDB server (the archiver's own lock file).
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { join } from "node:path";
import { startUconDBServer } from "../../plugins/ucondb/mod.ts";
import { tempDir } from "../_helpers/peers.ts";
import { checkArchived, cliCommand, linkRuns, makeSite, runRange, setSink, type Site } from "./_site.ts";

const RUNS = 60;
const LOCK_HELD = /Another process may be running\. Lock file '[^']+' is held by PID \d+/;
const ANY_HELD = new RegExp(`${LOCK_HELD.source}|is used by another UconDB-compatible server`);

interface Outcome {
  code: number;
  out: string;
  seconds: number;
}

/** Start two CLIs in the same tick; return both outcomes, the first to finish first. */
async function race(site: Site): Promise<[Outcome, Outcome]> {
  const started = performance.now();
  const children = [cliCommand(site, []).spawn(), cliCommand(site, []).spawn()];
  const outcomes = await Promise.all(children.map(async (child) => {
    const result = await child.output();
    const seconds = (performance.now() - started) / 1000;
    const decoder = new TextDecoder();
    return { code: result.code, out: decoder.decode(result.stdout) + decoder.decode(result.stderr), seconds };
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
  // "at once": it did not wait for the holder, nor do any work of its own.
  ok(loser.seconds < winner.seconds / 2, `${label}: second exited after ${loser.seconds} s, first ${winner.seconds} s`);
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
