/**
 * Guarantee: when the artdaqDB filesystem (filesystemdb) fills up or turns read-only in the middle of an import,
 * the archiver says so clearly (one line per run, naming the error), exits 1, and corrupts nothing: documents and
 * index.json entries already there stay byte/entry-identical, every index.json still parses and lists only
 * documents that exist and parse. Once the filesystem is fixed, a rerun archives every run.
 *
 * The database lives on a tmpfs mounted for the test (`mount -t tmpfs -o size=...`; remounted `ro` mid-run), which
 * needs root (CAP_SYS_ADMIN). Without it the test is a missing peer: a failure under CI, a loud skip elsewhere.
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { join } from "node:path";
import { requirePeer, tempDir } from "../_helpers/peers.ts";
import {
  archiveChanges,
  checkArchived,
  cli,
  cliCommand,
  doneRuns,
  inspect,
  linkRuns,
  makeSite,
  readState,
  runRange,
  type Site,
  snapshotTree,
} from "./_site.ts";

/** Run `mount` (or `umount`) and say whether it worked. */
async function mountCommand(command: "mount" | "umount", ...args: string[]): Promise<boolean> {
  const output = await new Deno.Command(command, { args, stdout: "null", stderr: "piped" }).output();
  return output.success;
}

/** A site whose artdaqDB directory is a tmpfs of `size`; null when tmpfs cannot be mounted here. */
async function siteOnTmpfs(dir: string, size: string): Promise<(Site & AsyncDisposable) | null> {
  const site = await makeSite(dir, [], { batch_size: 1000, parallel_workers: 2, run_process_retries: 1 });
  const db = join(dir, "db");
  await Deno.mkdir(db);
  if (!(await mountCommand("mount", "-t", "tmpfs", "-o", `size=${size},mode=0755`, "tmpfs", db))) return null;
  return { ...site, [Symbol.asyncDispose]: async () => void await mountCommand("umount", "-l", db) };
}

/** Every index.json parses and lists only documents that exist and parse; returns the problems. */
async function indexProblems(db: string): Promise<string[]> {
  const problems: string[] = [];
  for await (const collection of Deno.readDir(db)) {
    if (!collection.isDirectory) continue;
    const dir = join(db, collection.name);
    const text = await Deno.readTextFile(join(dir, "index.json")).catch(() => null);
    if (text === null) continue; // a collection whose first write failed has no index yet: nothing refers to it
    let index: { ouid?: string[] };
    try {
      index = JSON.parse(text);
    } catch {
      problems.push(`${collection.name}/index.json does not parse`);
      continue;
    }
    for (const id of index.ouid ?? []) {
      try {
        JSON.parse(await Deno.readTextFile(join(dir, `${id}.json`)));
      } catch (error) {
        problems.push(`${collection.name}/index.json lists ${id}: ${(error as Error).message}`);
      }
    }
  }
  return problems;
}

async function dbSnapshot(site: Site): Promise<Map<string, Uint8Array>> {
  return await snapshotTree(join(site.dir, "db"));
}

/**
 * After the fault: exit 1 with clear one-line reasons (each failed run's, and the stage error when the store's
 * index commit itself failed), nothing archived changed, indexes consistent, and no run recorded as imported that
 * the store does not list (the state is saved only after the store's index commit).
 */
async function expectCleanFailure(site: Site, out: string, before: Map<string, Uint8Array>, reason: RegExp) {
  const state = await readState(site, "import");
  const failures = state.failures as Record<string, { reason: string }>;
  const reasons = [
    ...Object.values(failures).map((failure) => failure.reason),
    ...out.split("\n").filter((line) => line.includes(" - Error Message: ")).map((line) => line.split(" - ").pop()!),
  ];
  ok(reasons.length > 0, `no error reported:\n${out.slice(-2000)}`);
  for (const text of reasons) ok(reason.test(text) && !text.includes("\n"), text);
  ok(!out.includes("UNEXPECTED ERROR"), out.slice(-2000));
  assertEquals(archiveChanges(before, await dbSnapshot(site)), []);
  assertEquals(await indexProblems(join(site.dir, "db")), []);
  const view = await inspect(site);
  try {
    const stored = new Set(await view.roles.store.listRuns());
    assertEquals(doneRuns(state.done).filter((run) => !stored.has(run)), [], "recorded as imported, not stored");
  } finally {
    await view.close();
  }
  return { failed: Object.keys(failures).length, example: reasons[0] };
}

/** Fixed filesystem: retry the failures, then a normal run; everything archived. */
async function expectRecovery(site: Site, runs: number[]): Promise<void> {
  const retry = await cli(site, "--retry-failed-import");
  assertEquals(retry.code, 0, retry.out.slice(-3000));
  const rerun = await cli(site);
  assertEquals(rerun.code, 0, rerun.out.slice(-3000));
  assertEquals(await checkArchived(site, runs), []);
}

const canMount = Deno.uid() === 0;
const HINT = "mounting a tmpfs needs root (CAP_SYS_ADMIN); run the reliability tests as root or in CI";

Deno.test("artdaqDB filesystem full mid-import → clear error per run, nothing corrupted, rerun after fixing completes", async () => {
  if (!requirePeer("tmpfs mount", canMount, HINT)) return;
  await using dir = await tempDir();
  await using site = await siteOnTmpfs(dir.path, "4m");
  if (!requirePeer("tmpfs mount", site !== null, HINT)) return;
  const first = runRange(70000, 8);
  await linkRuns(site!, first);
  const initial = await cli(site!);
  assertEquals(initial.code, 0, initial.out.slice(-2000));
  const before = await dbSnapshot(site!);

  const more = runRange(70008, 40);
  await linkRuns(site!, more);
  const full = await cli(site!);
  assertEquals(full.code, 1, full.out.slice(-2000));
  const { failed, example } = await expectCleanFailure(site!, full.out, before, /no space left on device/i);

  ok(await mountCommand("mount", "-o", "remount,size=64m", join(dir.path, "db")), "remount bigger");
  await expectRecovery(site!, [...first, ...more]);
  console.log(`artdaqDB full, ${more.length} new runs: ${failed} run failure records; e.g. ${example}`);
});

Deno.test("artdaqDB filesystem turns read-only mid-import → clear error per run, nothing corrupted, rerun completes", async () => {
  if (!requirePeer("tmpfs mount", canMount, HINT)) return;
  await using dir = await tempDir();
  await using site = await siteOnTmpfs(dir.path, "64m");
  if (!requirePeer("tmpfs mount", site !== null, HINT)) return;
  const db = join(dir.path, "db");
  const first = runRange(71000, 8);
  await linkRuns(site!, first);
  const initial = await cli(site!);
  assertEquals(initial.code, 0, initial.out.slice(-2000));

  const more = runRange(71008, 40);
  await linkRuns(site!, more);
  const child = cliCommand(site!, []).spawn();
  // Turn the filesystem read-only after the 5th new run was imported (a remount waits for open writers: retry).
  let imported = 0;
  let remounted = false;
  let out = "";
  let before: Map<string, Uint8Array> | null = null;
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    out += decoder.decode(chunk, { stream: true });
    imported = (out.match(/imported successfully/g) ?? []).length;
    if (!remounted && imported >= 5) {
      for (let i = 0; i < 200 && !remounted; i++) remounted = await mountCommand("mount", "-o", "remount,ro", db);
      // Read-only from here on: what is on disk now is "already archived" and must stay so.
      before = await snapshotTree(db);
    }
  }
  await child.stderr.pipeTo(new WritableStream());
  const { code } = await child.status;
  ok(remounted, "remount read-only failed");
  assertEquals(code, 1, out.slice(-2000));
  const { failed, example } = await expectCleanFailure(site!, out, before!, /read-only file system/i);

  ok(await mountCommand("mount", "-o", "remount,rw", db), "remount read-write");
  await expectRecovery(site!, [...first, ...more]);
  console.log(`artdaqDB read-only after ${imported} imports: ${failed} run failure records; e.g. ${example}`);
});
