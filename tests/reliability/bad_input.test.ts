/**
 * Guarantee: bad run records never stop the batch and never touch what is already archived. The whole bad-input
 * corpus (fixtures/bad/run_records: truncated and binary FHiCL, non-UTF-8 text, a gzip "text" file, a symlink
 * leaving the run directory, missing metadata, zero-padded and 64-bit run numbers, two directories for one run)
 * plus the cases made at run time (a 50 MB file, a FIFO, a file the archiver may not read, a run directory that
 * changes while it is read) is mixed with good runs on a site that already holds archived runs, and the CLI
 * (a real subprocess) archives it: one clear one-line error per bad run naming the run and the file, every good
 * run archived and verified, the archived documents, index entries and blobs unchanged. Once the changing run
 * settles, a retry archives it; the others stay failed.
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { join } from "node:path";
import { REPO_ROOT } from "../../core/paths.ts";
import { tempDir } from "../_helpers/peers.ts";
import {
  addRun,
  archiveChanges,
  checkArchived,
  cli,
  linkRuns,
  makeSite,
  readState,
  runRange,
  type Site,
  snapshotTree,
} from "./_site.ts";

/** Each bad run → what its one-line error must say (run and file). */
const EXPECTED: Record<number, RegExp> = {
  12001: /12001\/EventBuilder1\.fcl is not valid FHiCL \(EventBuilder1\.fcl:\d+:\d+: /,
  12002: /12002\/tpc01\.fcl contains binary data/,
  12003: /12003\/metadata\.txt is not UTF-8 text \(byte 14\)/,
  12004: /12004\/settings\.txt is a symlink to \S*shared_settings\.txt, outside the run directory/,
  12007: /several directories name this run \(012007, 12007 in /,
  12008: /12008\/boot\.txt is not UTF-8 text/,
  13001: /13001\/huge\.fcl is 52428800 bytes, more than max_file_bytes/,
  13002: /13002\/pipe\.fcl is not a regular file \(FIFO, socket or device\)/,
  13003: /13003\/tpc01\.fcl: permission denied; make it readable/,
  13004: /13004 changed while it was read; it is retried later/,
};
/** Good runs of the corpus: 12000, the zero-padded 0012006. (12005 has no metadata: deferred, not an error.) */
const CORPUS_GOOD = [12000, 12006];
const AS_ROOT = Deno.uid() === 0;

Deno.test("bad input: every bad run fails alone with a one-line error naming run and file; the rest archived, nothing archived changed", async () => {
  await using dir = await tempDir();
  // One attempt per run: the changing run must be caught by its only read, not by one of several.
  const site = await makeSite(dir.path, [], { batch_size: 1000, run_process_retries: 0 });
  const archivedBefore = runRange(50000, 10);
  await linkRuns(site, archivedBefore);
  const first = await cli(site);
  assertEquals(first.code, 0, first.out);
  const before = await snapshots(site);

  const newGood = runRange(50010, 10);
  await linkRuns(site, newGood);
  await copyCorpus(site);
  await makeGeneratedBadRuns(site);
  const changing = await keepChanging(join(site.records, "13004"));
  let result;
  try {
    result = await cliWithoutFileAccessOverride(site, { niced: true });
  } finally {
    await changing.stop();
  }
  assertEquals(result.code, 1, result.out);

  // One clear line per bad run: in the state, in the log, in the failure log.
  const state = await readState(site, "import");
  const failures = state.failures as Record<string, { reason: string }>;
  assertEquals(Object.keys(failures).map(Number).sort(), Object.keys(EXPECTED).map(Number).sort());
  for (const [run, pattern] of Object.entries(EXPECTED)) {
    const reason = failures[run].reason;
    ok(reason.startsWith(`run ${run}: `) && !reason.includes("\n"), `run ${run}: ${JSON.stringify(reason)}`);
    ok(pattern.test(reason), `run ${run}: ${reason}`);
    ok(result.out.split("\n").some((line) => line.includes(`Run ${run} `) && line.includes(reason)), `run ${run} log`);
    console.log(`  ${reason.replaceAll(dir.path, "<site>")}`);
  }
  const failureLog = (await Deno.readTextFile(join(site.work, "import_failures.log"))).trim().split("\n");
  assertEquals(failureLog.map(Number).sort(), Object.keys(EXPECTED).map(Number).sort());
  ok(/99999999999 skipped: run number 99999999999 is larger than 4294967295/.test(result.out), "64-bit run warned");
  // No multi-line error, no stack trace: every output line is a log line.
  const stray = result.out.split("\n").filter((line) =>
    line !== "" && !/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - /.test(line)
  );
  assertEquals(stray, []);

  // Every good run archived and verified; the no-metadata run 12005 deferred (not stored, not failed).
  const good = [...CORPUS_GOOD, ...archivedBefore, ...newGood].sort((a, b) => a - b);
  assertEquals(await checkArchived(site, good), []);
  assertEquals(archiveChanges(before, await snapshots(site)), []);

  // The run that changed while it was read settles: a retry archives it, the truly bad runs stay failed.
  const retry = await cliWithoutFileAccessOverride(site, {}, "--retry-failed-import");
  assertEquals(retry.code, 1, retry.out);
  const migrate = await cliWithoutFileAccessOverride(site, {}, "--migrate-only");
  assertEquals(migrate.code, 0, migrate.out);
  assertEquals(await checkArchived(site, [...good, 13004].sort((a, b) => a - b)), []);
  const left = Object.keys((await readState(site, "import")).failures).map(Number).sort();
  assertEquals(left, Object.keys(EXPECTED).map(Number).filter((run) => run !== 13004).sort());
  console.log(
    `bad input: ${Object.keys(EXPECTED).length} bad runs failed alone, ${good.length} good runs archived, ` +
      `${before.size} archived files unchanged; 13004 archived on retry`,
  );
});

/** Both archives (artdaqDB filesystemdb and the embedded UconDB directory) as one snapshot. */
async function snapshots(site: Site): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const name of ["db", "ucondb"]) {
    for (const [path, bytes] of await snapshotTree(join(site.dir, name))) out.set(`${name}/${path}`, bytes);
  }
  return out;
}

/** fixtures/bad/run_records into the site, symlinks kept as symlinks. */
async function copyCorpus(site: Site): Promise<void> {
  const copied = await new Deno.Command("cp", {
    args: ["-a", join(REPO_ROOT, "fixtures/bad/run_records") + "/.", site.records],
  }).output();
  ok(copied.success, new TextDecoder().decode(copied.stderr));
}

/**
 * 13001: a 50 MB file; 13002: a FIFO; 13003: a file nobody may read; 13004: good, but kept changing — with a 4 MB
 * text file, so that reading it takes milliseconds, far longer than the changer is ever off the CPU.
 */
async function makeGeneratedBadRuns(site: Site): Promise<void> {
  for (const run of [13001, 13002, 13003, 13004]) await addRun(site, run, "11001");
  const line = "shift notes: beam steady, no alarms, nothing to report at this time\n";
  await Deno.writeTextFile(join(site.records, "13004/daq_notes.txt"), line.repeat((4 << 20) / line.length));
  using huge = await Deno.open(join(site.records, "13001/huge.fcl"), { create: true, write: true });
  await huge.truncate(50 * 1024 * 1024);
  const fifo = await new Deno.Command("mkfifo", { args: [join(site.records, "13002/pipe.fcl")] }).output();
  ok(fifo.success, "mkfifo");
  await Deno.chmod(join(site.records, "13003/tpc01.fcl"), 0o000);
}

/**
 * Change the directory's mtime continuously, as DAQInterface copying files in would, from a separate busy process
 * that outranks the archiver for the CPU (nice -20 as root; otherwise the archiver is niced instead), so it is never
 * descheduled for as long as one read attempt lasts, even on a loaded machine: every attempt sees the change.
 * Resolves once the first change is made.
 */
async function keepChanging(dir: string): Promise<{ stop(): Promise<void> }> {
  const code = "const d = Deno.args[0]; Deno.utimeSync(d, 1, 1); console.log('ready'); " +
    "for (let t = 2; ; t++) Deno.utimeSync(d, t, t);";
  const [command, ...args] = [...(AS_ROOT ? ["nice", "-n", "-20"] : []), Deno.execPath(), "eval", code, dir];
  const child = new Deno.Command(command, { args, stdout: "piped", stderr: "null" }).spawn();
  const reader = child.stdout.getReader();
  await reader.read();
  reader.releaseLock();
  return {
    stop: async () => {
      child.kill("SIGKILL");
      await child.stdout.cancel();
      await child.status;
    },
  };
}

/**
 * The CLI as a subprocess (niced on request when not root, see keepChanging) that cannot bypass file permissions. As root, the capabilities that override
 * them (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH) are dropped with setpriv, so a mode-000 file really is unreadable.
 */
async function cliWithoutFileAccessOverride(
  site: Site,
  { niced = false } = {},
  ...flags: string[]
): Promise<{ code: number; out: string }> {
  const dropOverride = AS_ROOT ? ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] : [];
  const nice = niced && !AS_ROOT ? ["nice", "-n", "10"] : [];
  const [command, ...prefix] = [...nice, ...dropOverride, Deno.execPath()];
  const output = await new Deno.Command(command, {
    args: [
      ...prefix,
      "run",
      "-A",
      "--no-prompt",
      join(REPO_ROOT, "cli.ts"),
      site.config,
      ...flags,
    ],
    cwd: site.dir,
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return { code: output.code, out: decoder.decode(output.stdout) + decoder.decode(output.stderr) };
}
