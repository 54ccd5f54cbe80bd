/**
 * §17.3 M1 in tools mode (`artdaq_db.use_tools: true`, the stand-in bulkloader/bulkdownloader of tests/bin) through
 * the CLI subprocess: the blob holds the same paths in the same §7.1 order as with the native store, and a site
 * that switches `use_tools` and re-migrates a run gets `identical`, never a conflict (the canonical export layout
 * of core/roles.ts `ExportedRun`).
 */
import { join } from "node:path";
import { unpackBlob } from "../../core/blob/mod.ts";
import { REPO_ROOT } from "../../core/paths.ts";
import { loadStageState, saveStageState } from "../../core/state/mod.ts";
import { assertEquals } from "../state/_assert.ts";
import { tempDir } from "../_helpers/peers.ts";
import { checkArchived, cli, inspect, makeSite, readJson, type Site } from "../pipeline/_e2e.ts";
import { metadataText, PROCESS_FHICL, writeRun } from "../run-records/_runs.ts";
import { editConfig } from "./_helpers.ts";

const TIMES = { start: "Mon Jun  2 09:00:00 UTC 2025", stop: "Mon Jun  2 09:30:00 UTC 2025" };
const BIN = join(REPO_ROOT, "tests/bin");
const TOOLS = `\n  bulkloader: ${BIN}/bulkloader\n  bulkdownloader: ${BIN}/bulkdownloader`;

/** The Python blob order of the M1 run (original-archiver.md §7.1): regular files sorted, then the end files. */
const PYTHON_ORDER = ["schema.fcl", "tpc01.fcl", "boot.fcl", "metadata.fcl", "RunHistory.fcl", "RunHistory2.fcl"];

/** A site whose records hold the M1 run (config demo, start and stop, `boot.txt`, `tpc01.fcl`) as `runs`. */
async function m1Site(path: string, runs: number[], useTools: boolean): Promise<Site> {
  const site = await makeSite(path, []);
  for (const run of runs) {
    await writeRun(site.records, String(run), {
      "metadata.txt": metadataText("demo", TIMES),
      "boot.txt": "debug level: 1\n",
      "tpc01.fcl": PROCESS_FHICL,
    });
  }
  await Deno.mkdir(join(path, "db"));
  if (useTools) await setUseTools(site, true);
  return site;
}

/** Switches the site's store (`artdaq_db.use_tools`, with the stand-in tools). */
async function setUseTools(site: Site, on: boolean): Promise<void> {
  if (on) await editConfig(site, [/database_uri: .*/, `$&\n  use_tools: true${TOOLS}`]);
  else await editConfig(site, [/use_tools: true/, "use_tools: false"]);
}

/** The paths of the blob UconDB holds for `run`, in blob order, and the blob itself. */
async function blobOf(site: Site, run: number): Promise<{ paths: string[]; bytes: Uint8Array }> {
  const view = await inspect(site);
  try {
    const bytes = await view.roles.sink.get(run);
    if (!bytes) throw new Error(`run ${run} is not in UconDB`);
    return { paths: unpackBlob(bytes).files.map((f) => f.path), bytes };
  } finally {
    await view.close();
  }
}

Deno.test("M1 (P, tools mode): the blob holds the native store's flat paths in the §7.1 order", async () => {
  await using dir = await tempDir();
  const tools = await m1Site(join(dir.path, "tools"), [100], true);
  const native = await m1Site(join(dir.path, "native"), [100], false);
  for (const site of [tools, native]) {
    const result = await cli(site);
    assertEquals(result.code, 0, result.out);
    assertEquals(await checkArchived(site, [100]), []);
  }
  const fromTools = await blobOf(tools, 100);
  // Exactly the Python archiver's order (§17 M1); before the canonical layout this was
  // `demo/boot.fcl, demo/metadata.fcl, demo/RunHistory.fcl, demo/RunHistory2.fcl, demo/tpc01.fcl, schema.fcl`.
  assertEquals(fromTools.paths, PYTHON_ORDER);
  // The native store adds the `hashes` entity (conftoolp mode); otherwise the same paths in the same order.
  const fromNative = await blobOf(native, 100);
  assertEquals(fromNative.paths.filter((path) => path !== "hashes.fcl"), PYTHON_ORDER);
});

Deno.test("M1 (I): switching use_tools and re-migrating a run gives 'identical', never a conflict, both ways", async () => {
  await using dir = await tempDir();
  for (const firstTools of [false, true]) {
    const site = await m1Site(join(dir.path, firstTools ? "tools-first" : "native-first"), [11001], firstTools);
    let result = await cli(site);
    assertEquals(result.code, 0, result.out);
    const before = await blobOf(site, 11001);

    // The run gets a failure record (as after a verification that timed out), the store is switched, and the run
    // is retried: it is exported by the other store, packed and put again.
    const paths = {
      stateFile: join(site.work, "migrator_state.json"),
      failureLog: join(site.work, "migrate_failures.log"),
    };
    const state = await loadStageState("migrate", paths);
    state.recordFailure(11001, "verification timed out", 1);
    await saveStageState(state);
    await setUseTools(site, !firstTools);
    result = await cli(site, "--retry-failed-migrate");
    const label = firstTools ? "bulktools → conftool" : "conftool → bulktools";
    assertEquals(result.code, 0, `${label}: ${result.out}`);
    assertEquals(result.out.includes("Run 11001 already in UconDB with identical content"), true, result.out);
    assertEquals(/ConflictError|different blob/.test(result.out), false, result.out);
    assertEquals(await Deno.readTextFile(join(site.work, "migrate_failures.log")), "", label);
    assertEquals((await readJson(site, "migrator_state.json")).done, [[11001, 11001]]);
    // One version in UconDB, equal to what the other store packs from the same stored run.
    assertEquals(await checkArchived(site, [11001]), [], label);
    assertEquals((await blobOf(site, 11001)).bytes, before.bytes, label);
  }
});
