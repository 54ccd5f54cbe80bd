/**
 * The run-record Source on the project fixtures and on small runs built per test: document sets, naming,
 * completeness and grace, manifest, `fhiclize_generate`, schema, and the import parity scenarios of
 * original-archiver.md §17.2 that concern the source (I1, I9-I13; I15 is in converters/golden tests).
 */
import { deepStrictEqual as assertEquals, ok, rejects, throws } from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { ConfigurationError, RunInputError } from "../../core/errors.ts";
import { parse } from "../../core/fhicl/mod.ts";
import { type Plugin, Registry } from "../../core/registry.ts";
import { silentLogger } from "../../core/log/mod.ts";
import { noopMetrics } from "../../core/measure.ts";
import type { RoleName } from "../../core/roles.ts";
import plugin, { runRecords } from "../../plugins/run-records/mod.ts";
import { tempDir } from "../_helpers/peers.ts";
import { RecordingLogger } from "../_helpers/recorders.ts";
import { PROJECT_RECORDS, REAL_RECORDS } from "./_corpus.ts";
import { metadataText, PROCESS_FHICL, writeRun } from "./_runs.ts";

const STOP = { start: "Mon Jun  2 09:00:00 UTC 2025", stop: "Mon Jun  2 09:30:00 UTC 2025" };
const names = (docs: { name: string }[]) => docs.map((d) => d.name).sort();

Deno.test("listRuns: the project fixtures, ascending, .record_directory_info ignored", async () => {
  const runs = await runRecords({ run_records_dir: PROJECT_RECORDS }).listRuns();
  assertEquals(runs.map((r) => r.run), [11001, 11002, 11003, 11004, 11005, 11006]);
  assertEquals(runs.map((r) => r.dirName), ["11001", "11002", "11003", "11004", "11005", "11006"]);
});

Deno.test("prepare 11001 (modern, complete): documents, update, times, byte-exact FHiCL, manifest", async () => {
  const source = runRecords({ run_records_dir: PROJECT_RECORDS });
  const prepared = await source.prepare(11001);
  assertEquals(prepared.configName, "standard");
  assertEquals(prepared.complete, true);
  assertEquals(prepared.startTime, "Fri Mar 14 07:31:47 PM UTC 2025");
  assertEquals(prepared.stopTime, "Fri Mar 14 11:02:13 PM UTC 2025");
  const docs = names(prepared.documents);
  for (const name of ["boot", "metadata", "settings", "setup", "environment", "ranks", "known_boardreaders_list"]) {
    ok(docs.includes(`${name}.fcl`), name);
  }
  ok(docs.includes("RunHistory.fcl") && docs.includes("schema.fcl") && docs.includes("tpc01.fcl"));
  ok(!docs.some((n) => n.endsWith(".txt")), "no text file left");
  assertEquals(names(prepared.updateDocuments), ["RunHistory2.fcl", "schema.fcl"]);
  const tpc = prepared.documents.find((d) => d.name === "tpc01.fcl")!;
  assertEquals(tpc.text, await Deno.readTextFile(join(PROJECT_RECORDS, "11001/tpc01.fcl")));
  // A run directory's own FHiCL is held as its bytes (outside the JavaScript heap), its text decoded when read;
  // generated documents are texts.
  assertEquals(tpc.bytes, await Deno.readFile(join(PROJECT_RECORDS, "11001/tpc01.fcl")));
  assertEquals(prepared.documents.find((d) => d.name === "boot.fcl")!.bytes, undefined);
  // With the bytes their SHA-256 (the manifest's), for a store that reuses what it made of equal text; generated
  // documents have none.
  assertEquals(tpc.sha256, createHash("sha256").update(tpc.bytes!).digest("hex"));
  assertEquals(prepared.documents.find((d) => d.name === "boot.fcl")!.sha256, undefined);
  const onDisk = (await Array.fromAsync(Deno.readDir(join(PROJECT_RECORDS, "11001")))).map((e) => e.name).sort();
  assertEquals(prepared.manifest.map((m) => m.path), onDisk);
  for (const entry of prepared.manifest) {
    const bytes = await Deno.readFile(join(PROJECT_RECORDS, "11001", entry.path));
    assertEquals(entry.size, bytes.length);
    assertEquals(entry.sha256, createHash("sha256").update(bytes).digest("hex"));
  }
  for (const doc of [...prepared.documents, ...prepared.updateDocuments]) parse(doc.text, { filename: doc.name });
});

Deno.test("every fixture and real run prepares except the malformed 11005, and every document parses", async () => {
  for (const dir of [PROJECT_RECORDS, REAL_RECORDS]) {
    const source = runRecords({ run_records_dir: dir });
    for (const { run } of await source.listRuns()) {
      if (run === 11005) {
        await rejects(
          source.prepare(run),
          (e: Error) => e instanceof RunInputError && /11005.*tpc01\.fcl/.test(e.message),
        );
        continue;
      }
      const prepared = await source.prepare(run);
      for (const doc of [...prepared.documents, ...prepared.updateDocuments]) {
        if (doc.name.endsWith(".fcl")) parse(doc.text, { filename: `${run}/${doc.name}` });
      }
    }
  }
});

Deno.test("fixture eras: in-progress run, 2017 config.txt run, include-heavy run, 4-column ranks run", async () => {
  const source = runRecords({ run_records_dir: PROJECT_RECORDS });
  const running = await source.prepare(11002);
  assertEquals([running.complete, running.configName, running.updateDocuments.length], [
    false,
    "demo_burst crt_calib",
    0,
  ]);
  assertEquals(running.startTime, "Sun Mar  2 02:14:09 UTC 2025");
  const old = await source.prepare(11003);
  ok(names(old.documents).includes("config.fcl"), "config.txt (the 2017 boot file) converted by the boot converter");
  ok(old.documents.find((d) => d.name === "config.fcl")!.text.includes('name: "Aggregator"'));
  assertEquals([old.complete, old.stopTime], [true, "Fri Aug 11 20:47:05 UTC 2017"]);
  assertEquals(
    old.updateDocuments[0].text,
    'DAQInterface_start_time: "Fri Aug 11 19:22:31 UTC 2017"\nDAQInterface_stop_time: "Fri Aug 11 20:47:05 UTC 2017"',
  );
  const heavy = await source.prepare(11004);
  assertEquals(heavy.documents.filter((d) => d.text.includes("BEGIN_PROLOG")).length, 11);
  const ranks = (await source.prepare(11006)).documents.find((d) => d.name === "ranks.fcl")!;
  ok(ranks.text.includes('rank4: ["mu2edaq05", "10104", "Dispatcher1", "4"]'));
});

Deno.test("I1: documents of the initial insert and of the update", async () => {
  await using tmp = await tempDir();
  await writeRun(tmp.path, "100", {
    "metadata.txt": metadataText("demo", STOP),
    "boot.txt": "debug level: 1\n",
    "tpc01.fcl": PROCESS_FHICL,
  });
  const prepared = await runRecords({ run_records_dir: tmp.path }).prepare(100);
  assertEquals(prepared.configName, "demo");
  assertEquals(names(prepared.documents), ["RunHistory.fcl", "boot.fcl", "metadata.fcl", "schema.fcl", "tpc01.fcl"]);
  assertEquals(names(prepared.updateDocuments), ["RunHistory2.fcl", "schema.fcl"]);
});

Deno.test("I9: a run without metadata.txt → 'standard', no RunHistory, no update, never complete", async () => {
  await using tmp = await tempDir();
  await writeRun(tmp.path, "101", { "boot.txt": "debug level: 1\n", "tpc01.fcl": PROCESS_FHICL });
  const logger = new RecordingLogger();
  const source = runRecords({ run_records_dir: tmp.path, logger });
  const prepared = await source.prepare(101);
  assertEquals([prepared.configName, prepared.complete], ["standard", false]);
  assertEquals(names(prepared.documents), ["boot.fcl", "schema.fcl", "tpc01.fcl"]);
  assertEquals(prepared.updateDocuments, []);
  assertEquals(await source.isComplete(101), false);
  ok(logger.at("warn").some((w) => w.includes("no metadata.txt")));
});

Deno.test("I10 (deliberately different): a start time alone makes no update until the stop time appears", async () => {
  await using tmp = await tempDir();
  const dir = await writeRun(tmp.path, "102", { "metadata.txt": metadataText("demo", { start: "X" }) });
  const source = runRecords({ run_records_dir: tmp.path });
  assertEquals((await source.prepare(102)).updateDocuments, []);
  assertEquals(await source.isComplete(102), false);
  await Deno.writeTextFile(join(dir, "metadata.txt"), "\nDAQInterface stop time: Y\n", { append: true });
  assertEquals(await source.isComplete(102), true);
  const update = (await source.prepare(102)).updateDocuments[0];
  assertEquals(update.text, 'DAQInterface_start_time: "X"\nDAQInterface_stop_time: "Y"');
});

Deno.test("I11: 'Config name: a/b c' → configuration 'a_b c', RunHistory keeps the slash", async () => {
  await using tmp = await tempDir();
  await writeRun(tmp.path, "103", { "metadata.txt": metadataText("a/b c", STOP) });
  const prepared = await runRecords({ run_records_dir: tmp.path }).prepare(103);
  assertEquals(prepared.configName, "a_b c");
  ok(prepared.documents.find((d) => d.name === "RunHistory.fcl")!.text.includes('config_name: "a/b c"'));
});

Deno.test("I12: fhiclize_generate [metadata] → boot.txt passed unconverted, no RunHistory*, no update", async () => {
  await using tmp = await tempDir();
  await writeRun(tmp.path, "104", { "metadata.txt": metadataText("demo", STOP), "boot.txt": "debug level: 1\n" });
  const prepared = await runRecords({ run_records_dir: tmp.path, fhiclize_generate: ["metadata.txt"] }).prepare(104);
  assertEquals(names(prepared.documents), ["boot.txt", "metadata.fcl", "schema.fcl"]);
  assertEquals(prepared.documents.find((d) => d.name === "boot.txt")!.text, "debug level: 1\n");
  assertEquals(prepared.updateDocuments, []);
});

Deno.test("I13 (deliberately different): a zero-padded directory is read under the name found", async () => {
  await using tmp = await tempDir();
  await writeRun(tmp.path, "0123", { "metadata.txt": metadataText("padded", STOP) });
  const source = runRecords({ run_records_dir: tmp.path });
  assertEquals(await source.listRuns(), [{ run: 123, dirName: "0123" }]);
  const prepared = await source.prepare(123);
  assertEquals([prepared.run, prepared.configName], [123, "padded"]);
  ok(prepared.documents.find((d) => d.name === "RunHistory.fcl")!.text.startsWith("run_number: 123\n"));
});

Deno.test("text files without converter are kept whole in a FHiCL document (config.txt via boot)", async () => {
  await using tmp = await tempDir();
  await writeRun(tmp.path, "107", {
    "metadata.txt": metadataText("demo", STOP),
    "rc_info_start.txt": 'shift crew: "owl" \\ Ω\r\n',
    "constructor.txt": "x\n",
    "notes/run.log": "ok\n",
  });
  const prepared = await runRecords({ run_records_dir: tmp.path }).prepare(107);
  const byName = new Map(prepared.documents.map((d) => [d.name, d.text]));
  assertEquals(
    byName.get("rc_info_start.fcl"),
    'file_name: "rc_info_start.txt"\nfile_text: "shift crew: \\"owl\\" \\\\ Ω\\r\\n"\n',
  );
  assertEquals(byName.get("constructor.fcl"), 'file_name: "constructor.txt"\nfile_text: "x\\n"\n');
  assertEquals(byName.get("notes/run.log.fcl"), 'file_name: "notes/run.log"\nfile_text: "ok\\n"\n');
  for (const name of ["rc_info_start.fcl", "constructor.fcl", "notes/run.log.fcl"]) parse(byName.get(name)!);
  const withoutBoot = await runRecords({ run_records_dir: PROJECT_RECORDS, fhiclize_generate: ["metadata"] }).prepare(
    11003,
  );
  ok(names(withoutBoot.documents).includes("config.txt"), "boot disabled: config.txt passed unchanged like boot.txt");
});

Deno.test("a run holding both boot.txt and boot.fcl is refused instead of losing one", async () => {
  await using tmp = await tempDir();
  await writeRun(tmp.path, "105", { "boot.txt": "debug level: 1\n", "boot.fcl": PROCESS_FHICL });
  await rejects(
    runRecords({ run_records_dir: tmp.path }).prepare(105),
    (e: Error) => e instanceof RunInputError && /run 105: two documents would be named boot\.fcl/.test(e.message),
  );
});

Deno.test("modifiedAt follows metadata.txt, which DAQInterface appends to without touching the directory", async () => {
  await using tmp = await tempDir();
  const dir = await writeRun(tmp.path, "106", { "metadata.txt": metadataText("demo", { start: "X" }) });
  const source = runRecords({ run_records_dir: tmp.path });
  const old = new Date("2025-01-01T00:00:00Z");
  await Deno.utime(join(dir, "metadata.txt"), old, old);
  await Deno.utime(dir, old, old);
  assertEquals(await source.modifiedAt(106), old.getTime());
  const later = new Date("2025-01-02T00:00:00Z");
  await Deno.utime(join(dir, "metadata.txt"), later, later);
  assertEquals(await source.modifiedAt(106), later.getTime());
  await Deno.remove(join(dir, "metadata.txt"));
  await Deno.utime(dir, old, old);
  assertEquals(await source.modifiedAt(106), old.getTime());
  await rejects(
    source.modifiedAt(999),
    (e: Error) => e instanceof RunInputError && /run 999: no directory/.test(e.message),
  );
});

Deno.test("configuration errors: unknown fhiclize name, bad limits, missing schema", async () => {
  const isConfig = (pattern: RegExp) => (e: Error) => e instanceof ConfigurationError && pattern.test(e.message);
  throws(() => runRecords({ run_records_dir: ".", fhiclize_generate: ["foo"] }), isConfig(/unknown name 'foo'/));
  throws(() => runRecords({ run_records_dir: ".", max_file_bytes: 0 }), isConfig(/max_file_bytes/));
  throws(() => runRecords({ run_records_dir: "" }), isConfig(/run_records_dir is required/));
  await using tmp = await tempDir();
  const source = runRecords({ run_records_dir: PROJECT_RECORDS, fcl_conf_dir: tmp.path });
  await rejects(source.prepare(11001), isConfig(new RegExp(`schema not found at ${tmp.path}/schema.fcl`)));
});

Deno.test("schema.fcl: artdaq_database layout, and its rules cover every document of every run", async () => {
  const schema = await Deno.readTextFile(new URL("../../fixtures/schema/schema.fcl", import.meta.url));
  parse(schema, { filename: "schema.fcl" });
  const patterns = (list: string) =>
    [...schema.slice(schema.indexOf(`${list}: [`)).split("\n]")[0].matchAll(/pattern: '([^']*)'/g)]
      .map((m) => new RegExp(`^(?:${m[1]})`));
  const runHistory = patterns("run_history");
  const systemLayout = patterns("system_layout");
  ok(patterns("artdaq_processes").length > 0 && runHistory.length > 0 && systemLayout.length === 2);
  for (const dir of [PROJECT_RECORDS, REAL_RECORDS]) {
    const source = runRecords({ run_records_dir: dir });
    for (const { run } of await source.listRuns()) {
      if (run === 11005) continue;
      const prepared = await source.prepare(run);
      for (const { name } of [...prepared.documents, ...prepared.updateDocuments]) {
        const rules = name === "schema.fcl" ? systemLayout : runHistory;
        ok(rules.some((rule) => rule.test(`./${name}`)), `run ${run}: ${name} matches a rule`);
      }
    }
  }
});

Deno.test("plugin: registry creates the source from config keys, relative paths against configDir", async () => {
  const registry = new Registry([plugin as unknown as Plugin<RoleName, never>]);
  const source = await registry.create("source", "run-records", { run_records_dir: "run_records" }, {
    logger: silentLogger,
    metrics: noopMetrics(),
    workDir: "/tmp",
    configDir: join(PROJECT_RECORDS, ".."),
  });
  assertEquals(source.kind, "run-records");
  assertEquals((await source.listRuns()).length, 6);
  ok(source.describe().includes(PROJECT_RECORDS));
});
