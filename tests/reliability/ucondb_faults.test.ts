/**
 * Guarantee: a UconDB peer that answers 5xx, hangs past the timeout or resets the connection on 30% of requests
 * does not lose, duplicate or corrupt a run. 200 runs are archived by the CLI (a real subprocess) through a
 * fault-injecting proxy in front of the embedded UconDB-compatible server; half of the faults hit after the server
 * handled the request (the put landed, the archiver is told otherwise). After the invocation(s) every run has
 * exactly one UconDB version, its blob equals the packed artdaqDB export, and the state says done, no failures.
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { join } from "node:path";
import { startUconDBServer } from "../../plugins/ucondb/mod.ts";
import { startFaultyProxy } from "../_helpers/faulty_proxy.ts";
import { tempDir } from "../_helpers/peers.ts";
import { checkArchived, cli, doneRuns, linkRuns, makeSite, readState, runRange, setSink } from "./_site.ts";

const RUNS = 200;
const FAULT_RATE = 0.3;
const MAX_INVOCATIONS = 6;

Deno.test("faults: UconDB 5xx / hang / reset on 30% of requests, 200 runs → each archived once, verified", async () => {
  await using dir = await tempDir();
  const runs = runRange(30000, RUNS);
  const site = await makeSite(dir.path, [], { parallel_workers: 8, batch_size: 1000, run_process_retries: 2 });
  await linkRuns(site, runs);

  const server = await startUconDBServer({
    dir: join(dir.path, "ucondb"),
    users: { archiver: "e2e-secret-pw" },
    folders: ["run_records"],
  });
  const proxy = await startFaultyProxy(server.url, { rate: FAULT_RATE, seed: 12, hangMs: 4000 });
  const started = performance.now();
  const codes: number[] = [];
  try {
    await setSink(site, proxy.url, { timeout_seconds: 1, retries: 4 });
    let result = { code: -1, out: "" };
    while (result.code !== 0 && codes.length < MAX_INVOCATIONS) {
      result = await cli(site);
      codes.push(result.code);
    }
    assertEquals(result.code, 0, `exit codes ${codes}; last output:\n${result.out.slice(-4000)}`);
  } finally {
    await proxy.close();
    await server.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const { requests, faults, afterUpstream } = proxy.stats;
  const injected = faults["5xx"] + faults.hang + faults.reset;
  // The faults really happened, of every kind, at about the configured rate, also after the put landed.
  ok(requests >= RUNS, `only ${requests} requests`);
  ok(faults["5xx"] > 0 && faults.hang > 0 && faults.reset > 0, JSON.stringify(faults));
  ok(injected / requests > 0.2 && injected / requests < 0.4, `${injected} faults in ${requests} requests`);
  ok(afterUpstream > 0, "no fault hit after the upstream handled a request");

  await setSink(site); // the check reads the same directory through the embedded server
  assertEquals(await checkArchived(site, runs), []);
  const state = await readState(site, "migrate");
  assertEquals(doneRuns(state.done), runs);
  assertEquals([state.failures, state.in_flight], [{}, []]);
  console.log(
    `ucondb faults: ${RUNS} runs, ${requests} requests, ${injected} faults ${JSON.stringify(faults)} ` +
      `(${afterUpstream} after the server handled the request), invocations exit ${codes.join(",")}, ` +
      `${seconds.toFixed(1)} s`,
  );
});
