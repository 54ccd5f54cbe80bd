/**
 * §17.2 import scenarios through the CLI subprocess (original-archiver.md §17.2) that the fakes of
 * tests/pipeline cannot show: I1 in tools mode (the bulkloader command lines, with the recording stand-in of
 * tests/bin), I11 and I13 end to end, I9 end to end (deferred, then imported as `standard`), and I18 on the native
 * store (no file dropped by the schema, `hashes` stored).
 */
import { join } from "node:path";
import { pathExists, REPO_ROOT } from "../../core/paths.ts";
import { assertEquals } from "../state/_assert.ts";
import { tempDir } from "../_helpers/peers.ts";
import { cli, inspect, makeSite, readJson, type Site } from "../pipeline/_e2e.ts";
import { metadataText, PROCESS_FHICL, writeRun } from "../run-records/_runs.ts";
import { editConfig } from "./_helpers.ts";

const TIMES = { start: "Mon Jun  2 09:00:00 UTC 2025", stop: "Mon Jun  2 09:30:00 UTC 2025" };
const BIN = join(REPO_ROOT, "tests/bin");
const decoder = new TextDecoder();

/** The I1 run: `metadata.txt` (config demo, start and stop), `boot.txt`, `tpc01.fcl`. */
function i1Run(site: Site, dirName: string, config = "demo") {
  return writeRun(site.records, dirName, {
    "metadata.txt": metadataText(config, TIMES),
    "boot.txt": "debug level: 1\n",
    "tpc01.fcl": PROCESS_FHICL,
  });
}

/** Exported file names and texts of a run, through the configured store. */
async function exported(site: Site, run: number): Promise<{ configuration: string; files: Map<string, string> }> {
  const view = await inspect(site);
  try {
    const { configuration, files } = await view.roles.store.exportRun(run);
    return { configuration, files: new Map(files.map((f) => [f.path.replace(/^.*\//, ""), decoder.decode(f.data)])) };
  } finally {
    await view.close();
  }
}

Deno.test("I1 (P, tools mode): bulkloader -r N -c demo -p <dir> -t T per run; documents as Python; state advances", async () => {
  await using dir = await tempDir();
  const site = await makeSite(dir.path, []);
  for (const run of [100, 101, 102]) await i1Run(site, String(run));
  await Deno.mkdir(join(dir.path, "db"));
  await editConfig(site, [
    /database_uri: .*/,
    `$&\n  use_tools: true\n  bulkloader: ${BIN}/record-tool\n  bulkdownloader: ${BIN}/record-tool-downloader`,
  ]);
  const result = await cli(site, "--import-only");
  assertEquals(result.code, 0, result.out);
  const record = await Deno.readTextFile(join(dir.path, "db.record"));
  const calls = record.split("\n").filter((l) => l.startsWith("argv:")).map((l) => l.slice(6));
  for (const run of [100, 101, 102]) {
    const mine = calls.filter((c) => c.startsWith(`-r ${run} `));
    // The initial store and the stop-time update; each is written as documents, then schema.fcl as commit marker
    // (docs/artdaqdb-bulktools.md), so a crash never leaves a half-stored run that looks archived (§16.1-3).
    assertEquals(mine.length >= 2, true, record);
    for (const call of mine) {
      assertEquals(/^-r \d+ -c demo -p \/\S+ -t [1-9]\d*$/.test(call), true, call);
    }
  }
  assertEquals(record.includes(`uri:filesystemdb://${join(dir.path, "db")}`), true, "URI in the environment");
  assertEquals(calls.some((c) => c.includes("filesystemdb")), false, "never on the command line");
  const state = await readJson(site, "importer_state.json");
  // P: {"last_attempted_run": 102} without last_contiguous_run (§16.1-10); I: it advances over real run numbers.
  assertEquals([state.last_attempted_run, state.last_contiguous_run], [102, 102]);
  assertEquals(await Deno.readTextFile(join(site.work, "import_failures.log")).catch(() => ""), "");
  const { configuration, files } = await exported(site, 101);
  assertEquals(configuration, "101/demo");
  assertEquals([...files.keys()].sort(), [
    "RunHistory.fcl",
    "RunHistory2.fcl",
    "boot.fcl",
    "metadata.fcl",
    "schema.fcl",
    "tpc01.fcl",
  ]);
  // Exported as artdaq_database prints documents (docs/fhicl.md), so compared by content, not layout.
  assertEquals(/fragment_id: 3\b/.test(files.get("tpc01.fcl")!), true, files.get("tpc01.fcl"));
  const history2 = files.get("RunHistory2.fcl")!;
  assertEquals(history2.includes(`DAQInterface_start_time: "${TIMES.start}"`), true, history2);
  assertEquals(history2.includes(`DAQInterface_stop_time: "${TIMES.stop}"`), true, history2);
});

Deno.test("I11 (P) + I13 (I): 'a/b c' stored as 'N/a_b c'; zero-padded dir 0123 archived as run 123", async () => {
  await using dir = await tempDir();
  const site = await makeSite(dir.path, []);
  await i1Run(site, "7", "a/b c");
  await i1Run(site, "0123");
  const result = await cli(site);
  assertEquals(result.code, 0, result.out);
  const seven = await exported(site, 7);
  assertEquals(seven.configuration, "7/a_b c");
  assertEquals(seven.files.get("RunHistory.fcl")!.includes('config_name: "a/b c"'), true);
  const padded = await exported(site, 123);
  assertEquals(padded.configuration, "123/demo");
  assertEquals(/run_number: 123\b/.test(padded.files.get("RunHistory.fcl")!), true);
  const state = await readJson(site, "migrator_state.json");
  assertEquals(state.done, [[7, 7], [123, 123]]);
});

Deno.test("I9 (I): a run without metadata.txt is deferred while fresh, then archived as 'standard' without update", async () => {
  await using dir = await tempDir();
  const site = await makeSite(dir.path, [], {}, "");
  await editConfig(site, [/run_records_dir: .*/, "$&\n  incomplete_run_grace_seconds: 2"]);
  await writeRun(site.records, "5", { "boot.txt": "debug level: 1\n", "tpc01.fcl": PROCESS_FHICL });
  let result = await cli(site, "--import-only");
  assertEquals(result.code, 0, result.out);
  assertEquals(await pathExists(join(dir.path, "db")), false, "P imported it at once; here it waits (§16.1-4)");
  await new Promise((resolve) => setTimeout(resolve, 2100));
  result = await cli(site, "--import-only");
  assertEquals(result.code, 0, result.out);
  const { configuration, files } = await exported(site, 5);
  assertEquals(configuration, "5/standard");
  // No RunHistory*.fcl (no metadata); hashes.fcl as the native store always adds it (conftoolp mode, §6.4).
  assertEquals([...files.keys()].sort(), ["boot.fcl", "hashes.fcl", "schema.fcl", "tpc01.fcl"]);
  const state = await readJson(site, "importer_state.json");
  assertEquals(Object.keys(state.pending_updates as object), ["5"], "flagged incomplete");
});

Deno.test("I18 (I): native store with a schema that only places metadata: no file dropped, hashes stored", async () => {
  await using dir = await tempDir();
  const site = await makeSite(dir.path, []);
  await i1Run(site, "9");
  const conf = join(dir.path, "conf");
  await Deno.mkdir(conf);
  await Deno.writeTextFile(
    join(conf, "schema.fcl"),
    "artdaq_processes: []\nartdaq_includes: []\n" +
      "run_history: [ { collection: RunHistory pattern: '(.*/)(metadata)(\\.fcl$)' } ]\n" +
      "system_layout: [ { collection: SystemLayout pattern: '(.*)(schema)(\\.fcl$)' } ]\n",
  );
  await editConfig(site, [/fcl_conf_dir: .*/, `fcl_conf_dir: ${conf}`]);
  const result = await cli(site, "--import-only");
  assertEquals(result.code, 0, result.out);
  const { files } = await exported(site, 9);
  // P: tpc01 (and boot, RunHistory*) silently not stored (§16.1-9). Here every document of the run is kept.
  for (const name of ["tpc01.fcl", "boot.fcl", "metadata.fcl", "RunHistory.fcl", "RunHistory2.fcl", "schema.fcl"]) {
    assertEquals(files.has(name), true, `${name} missing: ${[...files.keys()]}`);
  }
  assertEquals(/fragment_id: 3\b/.test(files.get("tpc01.fcl")!), true, files.get("tpc01.fcl"));
  // As conftoolp mode: the extra `hashes` entity, md5 lines sorted by entity, then the configuration digest.
  // (Exported in artdaq_database's layout; written by the initial store, so RunHistory2 is not in it.)
  const hashes = files.get("hashes.fcl")!;
  const entities = [...hashes.matchAll(/^\s*(\w+): "[0-9a-f]{32}"/gm)].map((m) => m[1]);
  assertEquals(entities, ["RunHistory", "boot", "metadata", "tpc01", "configuration"], hashes);
});

Deno.test("I8 (P): --retry-failed-import without a failure log exits 0 and writes no state or failure file", async () => {
  await using dir = await tempDir();
  const site = await makeSite(dir.path, [1]);
  const result = await cli(site, "--retry-failed-import");
  assertEquals(result.code, 0, result.out);
  for (const file of ["importer_state.json", "import_failures.log", "migrator_state.json", "migrate_failures.log"]) {
    assertEquals(await pathExists(join(site.work, file)), false, file);
  }
  assertEquals(await pathExists(join(dir.path, "db")), false, "nothing imported");
});
