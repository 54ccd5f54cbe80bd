/**
 * What only the filesystem provider has: exact document and `index.json` texts, reading databases the C++ tools
 * wrote, the index lock across processes, atomic writes and clear errors for corrupt data.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { StoreError, TransientError } from "../../core/errors.ts";
import { fhiclToDbJson } from "../../core/fhicl/mod.ts";
import { type JsonObject, parseOrdered, stringifyArtdaq } from "../../core/json/mod.ts";
import { buildStoredDocument, documentFacts } from "../../plugins/artdaqdb-conftool/document.ts";
import { writeFilesAtomic } from "../../plugins/artdaqdb-conftool/fs/atomic.ts";
import { FilesystemBackend } from "../../plugins/artdaqdb-conftool/fs/backend.ts";
import { CollectionIndex, EMPTY_INDEX_TEXT } from "../../plugins/artdaqdb-conftool/fs/index_file.ts";
import { IndexCatalog } from "../../plugins/artdaqdb-conftool/fs/index_stream.ts";
import { LOCK_FILE } from "../../plugins/artdaqdb-conftool/fs/lock.ts";
import type { Clock } from "../../plugins/artdaqdb-conftool/timestamp.ts";
import { tempDir } from "../_helpers/peers.ts";
import {
  openFilesystemStore,
  preparedRun,
  SBN_SCHEMA,
  SPEC_BOOT,
  SPEC_DOCUMENT,
  SPEC_INDEX,
  SPEC_OID,
  SPEC_TIME,
  steppingClock,
} from "./_fixtures.ts";

const SPEC_TARGET = {
  collection: "RunHistory",
  configuration: "12345/standard00042",
  version: "12345/standard00042",
  entity: "boot",
  run: "12345",
  id: SPEC_OID,
  timestamp: SPEC_TIME,
};

function openStore(path: string, clock: Clock = steppingClock(), lockTimeoutMs = 10_000) {
  return openFilesystemStore(path, { clock, lockTimeoutMs });
}

/** Another process holding the index lock `lockFile` for `ms`; resolves once it holds it. */
async function holdLock(lockFile: string, ms: number): Promise<Deno.ChildProcess> {
  const holder = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./_worker.ts", import.meta.url).pathname, "hold", lockFile, String(ms)],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = holder.stdout.getReader();
  assert.match(new TextDecoder().decode((await reader.read()).value), /locked/);
  reader.releaseLock();
  return holder;
}

Deno.test("filesystemdb: the §3.2 document is written byte for byte", async () => {
  const doc = buildStoredDocument(fhiclToDbJson(SPEC_BOOT, "boot", { timestamp: SPEC_TIME }), SPEC_TARGET);
  assert.equal(stringifyArtdaq(doc), SPEC_DOCUMENT);

  await using dir = await tempDir();
  const store = openStore(dir.path, () => SPEC_TIME);
  await store.putRun(preparedRun(12345), "initial");
  await store.close();
  const facts = await Promise.all(
    [...Deno.readDirSync(join(dir.path, "RunHistory"))].filter((e) => /^[0-9a-f]{24}\.json$/.test(e.name))
      .map(async (e) => ({ name: e.name, text: await Deno.readTextFile(join(dir.path, "RunHistory", e.name)) })),
  );
  const boot = facts.find((f) => f.text.includes('"name" : "boot"'))!;
  const id = boot.name.slice(0, 24);
  assert.equal(boot.text.replaceAll(id, SPEC_OID), SPEC_DOCUMENT);
});

Deno.test("filesystemdb: index.json is the §4.2 text and round-trips", () => {
  const index = CollectionIndex.empty();
  index.add(documentFacts(parseOrdered(SPEC_DOCUMENT) as JsonObject));
  assert.equal(index.toText(), SPEC_INDEX);
  assert.equal(CollectionIndex.parse(SPEC_INDEX).toText(), SPEC_INDEX);
  const fromTemplate = CollectionIndex.parse(EMPTY_INDEX_TEXT);
  assert.deepEqual(fromTemplate.ouid, []);
  assert.deepEqual([...fromTemplate.maps.keys()], [
    "version",
    "configurations.name",
    "entities.name",
    "aliases.active.name",
    "runs.name",
    "configurations.assigned",
  ]);
  // Lists stay sorted and unique, new keys are appended (run "9" after "12345": insertion, not numeric order).
  index.add({
    ...documentFacts(parseOrdered(SPEC_DOCUMENT) as JsonObject),
    id: "00000000000000000000000a",
    runs: ["9"],
  });
  index.add({
    ...documentFacts(parseOrdered(SPEC_DOCUMENT) as JsonObject),
    id: "00000000000000000000000a",
    runs: ["9"],
  });
  assert.deepEqual(index.ouid, ["00000000000000000000000a", SPEC_OID]);
  assert.deepEqual([...index.map("runs.name").keys()], ["12345", "9"]);
  index.remove("00000000000000000000000a");
  assert.equal(index.toText(), SPEC_INDEX);
});

Deno.test("filesystemdb: the catalogue of index.json answers as the full index does", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "index.json");
  const index = CollectionIndex.empty();
  const spec = documentFacts(parseOrdered(SPEC_DOCUMENT) as JsonObject);
  index.add(spec);
  index.add({
    ...spec,
    id: "00000000000000000000000a",
    entities: ["flags"],
    configurations: [{ name: "7/x", assigned: "2024-03-05T00:00:00.000+0000" }],
  });
  index.add({
    ...spec,
    id: "00000000000000000000000b",
    entities: ["schema"],
    configurations: [{ name: "8/y", assigned: "2024-03-06T00:00:00.000+0000" }, {
      name: "8/y",
      assigned: "2024-03-07T00:00:00.000+0000",
    }],
  });
  Deno.writeTextFileSync(path, index.toText());
  using view = IndexCatalog.open(path);
  assert.ok(view, "the JsonWriter layout is streamed");
  for (const entity of ["boot", "schema", "flags", "none"]) {
    assert.deepEqual(view.configurationsByRun(entity), index.configurationsByRun(entity), entity);
  }
  for (const name of ["12345/standard00042", "7/x", "8/y", "9/none"]) {
    assert.deepEqual(view.configurationIds(name), index.configurationIds(name));
    assert.equal(view.latestAssigned(name), index.latestAssigned(name));
  }
  Deno.writeTextFileSync(path, EMPTY_INDEX_TEXT);
  assert.equal(IndexCatalog.open(path), null, "the compact template takes the full parser");
});

Deno.test("filesystemdb: every index lists exactly its documents after a busy archive", async () => {
  await using dir = await tempDir();
  const store = openStore(dir.path);
  await Promise.all([1, 2, 3, 4, 5, 6].map((run) => store.putRun(preparedRun(run), "initial")));
  await Promise.all([2, 4].map((run) => store.putRun(preparedRun(run), "update")));
  await store.close();
  await assertIndexesConsistent(dir.path);
  const metadata = [...Deno.readDirSync(join(dir.path, "SystemMetadata"))].map((e) => e.name).sort();
  assert.equal(metadata.length, 2);
  assert.equal(Deno.readTextFileSync(join(dir.path, "SystemMetadata", "index.json")), EMPTY_INDEX_TEXT);
  const record = Deno.readTextFileSync(join(dir.path, "SystemMetadata", metadata.find((n) => n !== "index.json")!));
  assert.match(
    record,
    /^\{"document":\{"name":"artdaq","uri":"filesystemdb:\/\/[^"]+","locale":"en_US\.UTF-8","create_time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}","create_user":"[^"]*","uname":\{"sysname":"[^"]*","nodename":"[^"]*","release":"[^"]*","version":"[^"]*","machine":"[^"]*"\},"database_format":3\},"_id": \{ "\$oid":"[0-9a-f]{24}"\}\}$/,
  );
  assert.deepEqual([...Deno.readDirSync(join(dir.path, "RunHistory"))].filter((e) => e.name.endsWith(".tmp")), []);
});

Deno.test("filesystemdb: a database written by artdaq_database's tools is read and listed; a different re-archive changes nothing", async () => {
  await using dir = await tempDir();
  // What conftoolp would have left: random ids, the compact template index in SystemMetadata.
  const schemaId = "5b40d949f7354a6db35fb5c7";
  const runHistory = join(dir.path, "RunHistory");
  const systemLayout = join(dir.path, "SystemLayout");
  await Deno.mkdir(runHistory, { recursive: true });
  await Deno.mkdir(systemLayout, { recursive: true });
  await Deno.writeTextFile(join(runHistory, `${SPEC_OID}.json`), SPEC_DOCUMENT);
  await Deno.writeTextFile(join(runHistory, "index.json"), SPEC_INDEX);
  const schemaDoc = buildStoredDocument(fhiclToDbJson(SBN_SCHEMA, "schema", { timestamp: SPEC_TIME }), {
    ...SPEC_TARGET,
    collection: "SystemLayout",
    entity: "schema",
    id: schemaId,
  });
  await Deno.writeTextFile(join(systemLayout, `${schemaId}.json`), stringifyArtdaq(schemaDoc));
  const layoutIndex = CollectionIndex.parse(EMPTY_INDEX_TEXT);
  layoutIndex.add(documentFacts(schemaDoc));
  await Deno.writeTextFile(join(systemLayout, "index.json"), layoutIndex.toText());

  const store = openStore(dir.path);
  assert.deepEqual(await store.listRuns(), [12345]);
  const exported = await store.exportRun(12345);
  assert.deepEqual(exported.files.map((f) => f.path), ["boot.fcl", "schema.fcl"]);
  assert.equal(exported.storedAt, "2024-03-04T18:05:01.337Z");
  // Our re-archive of the same run with only these two files keeps their documents (same content, other ids).
  const prepared = preparedRun(12345);
  prepared.documents = prepared.documents.filter((d) => d.name === "boot.fcl" || d.name === "schema.fcl");
  await assert.rejects(store.putRun(prepared, "initial"), /different content for hashes/);
  assert.deepEqual(CollectionIndex.parse(Deno.readTextFileSync(join(runHistory, "index.json"))).ouid, [SPEC_OID]);
  await store.close();
});

Deno.test("filesystemdb: the index lock excludes another process, and times out naming it", async () => {
  await using dir = await tempDir();
  const runHistory = join(dir.path, "RunHistory");
  await Deno.mkdir(runHistory, { recursive: true });
  const holder = await holdLock(join(runHistory, LOCK_FILE), 700);

  const impatient = openStore(dir.path, steppingClock(), 100);
  await assert.rejects(impatient.putRun(preparedRun(1), "initial"), (e: Error) => {
    assert.ok(e instanceof TransientError, e.name);
    assert.match(e.message, new RegExp(`index lock '.*RunHistory/\\.index\\.json\\.lock' is held by ${holder.pid}@`));
    return true;
  });
  await impatient.close();

  const patient = openStore(dir.path);
  const started = performance.now();
  await patient.putRun(preparedRun(1), "initial");
  const waited = performance.now() - started;
  await patient.close();
  assert.equal((await holder.status).code, 0);
  await holder.stdout.cancel().catch(() => {});
  assert.ok(waited > 100, `waited ${waited} ms for the other process`);
  assert.deepEqual(await openStore(dir.path).listRuns(), [1]);
  await assertIndexesConsistent(dir.path);
});

Deno.test("filesystemdb: parallel processes and workers never lose index entries", async () => {
  await using dir = await tempDir();
  const worker = new URL("./_worker.ts", import.meta.url).pathname;
  const spawn = (runs: number[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", worker, "store", dir.path, ...runs.map(String)],
      stdout: "inherit",
      stderr: "inherit",
    }).output();
  const here = openStore(dir.path);
  const range = (from: number) => Array.from({ length: 10 }, (_, i) => from + i);
  const [a, b] = await Promise.all([
    spawn(range(100)),
    spawn(range(200)),
    Promise.all(range(300).map((run) => here.putRun(preparedRun(run), "initial"))),
  ]);
  assert.equal(a.code, 0);
  assert.equal(b.code, 0);
  assert.deepEqual(await here.listRuns(), [...range(100), ...range(200), ...range(300)]);
  await here.close();
  await assertIndexesConsistent(dir.path);
});

Deno.test("filesystemdb: a run whose SystemLayout index cannot be written stays unlisted, and the retry completes it", async () => {
  await using dir = await tempDir();
  // Another process holds SystemLayout's index lock: documents and RunHistory's index get written, the marker's
  // index update times out.
  await Deno.mkdir(join(dir.path, "SystemLayout"), { recursive: true });
  const holder = await holdLock(join(dir.path, "SystemLayout", LOCK_FILE), 1500);
  const store = openStore(dir.path, steppingClock(), 200);
  await assert.rejects(store.putRun(preparedRun(77), "initial"), TransientError);
  await store.close();
  const schemaFiles = [...Deno.readDirSync(join(dir.path, "SystemLayout"))].filter((e) =>
    /^[0-9a-f]{24}\.json$/.test(e.name)
  );
  assert.equal(schemaFiles.length, 1, "the schema document itself was written");
  assert.ok(CollectionIndex.parse(Deno.readTextFileSync(join(dir.path, "RunHistory", "index.json"))).ouid.length > 0);
  assert.deepEqual(await openStore(dir.path).listRuns(), []);
  assert.equal((await holder.status).code, 0);
  await holder.stdout.cancel().catch(() => {});
  const retry = openStore(dir.path);
  await retry.putRun(preparedRun(77), "initial");
  assert.deepEqual(await retry.listRuns(), [77]);
  await retry.close();
  await assertIndexesConsistent(dir.path);
});

Deno.test("filesystemdb: corrupt data gives one clear line naming the file", async () => {
  await using dir = await tempDir();
  const store = openStore(dir.path);
  await store.putRun(preparedRun(1), "initial");
  const index = join(dir.path, "SystemLayout", "index.json");
  await Deno.writeTextFile(index, '{"ouid": [');
  await assert.rejects(openStore(dir.path).listRuns(), (e: Error) => {
    assert.ok(e instanceof StoreError);
    assert.match(e.message, /SystemLayout\/index\.json is corrupt .*rebuild_database_index/);
    return true;
  });
  await store.close();

  await using other = await tempDir();
  const second = openStore(other.path);
  await second.putRun(preparedRun(2), "initial");
  const boot = (await new FilesystemBackend({
    path: other.path,
    uri: "",
    durable: false,
    lockTimeoutMs: 1000,
    clock: () => SPEC_TIME,
  }).findConfiguration("2/standard00042", "RunHistory")).find((s) => documentFacts(s.doc).entities[0] === "boot")!;
  await Deno.remove(join(other.path, "RunHistory", `${boot.id}.json`));
  await assert.rejects(
    openStore(other.path).exportRun(2),
    /RunHistory\/index\.json lists document [0-9a-f]{24} but .* is missing/,
  );
  await second.close();
});

Deno.test("filesystemdb: atomic writes keep the old file when the replacement fails, and leave no temporary", async () => {
  await using dir = await tempDir();
  await writeFilesAtomic(dir.path, [{ name: "a.json", data: new TextEncoder().encode("old") }]);
  await Deno.mkdir(join(dir.path, "b.json"));
  await Deno.writeTextFile(join(dir.path, "b.json", "x"), "occupied");
  await assert.rejects(
    writeFilesAtomic(dir.path, [{ name: "b.json", data: new TextEncoder().encode("new") }]),
  );
  assert.equal(Deno.readTextFileSync(join(dir.path, "a.json")), "old");
  assert.deepEqual([...Deno.readDirSync(dir.path)].map((e) => e.name).sort(), ["a.json", "b.json"]);
});

/** Every collection's index.json lists exactly the document files there, with the facts of each document. */
async function assertIndexesConsistent(root: string): Promise<void> {
  for (const collection of Deno.readDirSync(root)) {
    if (!collection.isDirectory || collection.name === "SystemMetadata") continue;
    const directory = join(root, collection.name);
    const files = [...Deno.readDirSync(directory)].map((e) => e.name).filter((n) => /^[0-9a-f]{24}\.json$/.test(n));
    const index = CollectionIndex.parse(await Deno.readTextFile(join(directory, "index.json")));
    assert.deepEqual(index.ouid, files.map((n) => n.slice(0, 24)).sort(), `${collection.name}: ouid = files`);
    const rebuilt = CollectionIndex.empty();
    for (const name of files) {
      rebuilt.add(documentFacts(parseOrdered(await Deno.readTextFile(join(directory, name))) as JsonObject));
    }
    for (const key of ["version", "configurations.name", "entities.name", "runs.name"] as const) {
      const sorted = (m: Map<string, string[]>) => [...m].sort((x, y) => x[0] < y[0] ? -1 : 1);
      assert.deepEqual(sorted(index.map(key)), sorted(rebuilt.map(key)), `${collection.name}: ${key}`);
    }
  }
}

Deno.test("filesystemdb: a removal is streamed into index.json as the full model writes it; an emptied name goes", async () => {
  await using dir = await tempDir();
  const store = openStore(dir.path);
  await Promise.all([1, 2, 3].map((run) => store.putRun(preparedRun(run), "initial")));
  await store.close();
  const backend = new FilesystemBackend({
    path: dir.path,
    uri: "",
    durable: false,
    lockTimeoutMs: 1000,
    clock: () => SPEC_TIME,
  });
  const path = join(dir.path, "RunHistory", "index.json");
  const expected = CollectionIndex.parse(Deno.readTextFileSync(path));
  const victims = (await backend.locateConfiguration("2/standard00042", "RunHistory")).map((ref) => ref.id);
  assert.ok(victims.length > 1);
  for (const id of victims) expected.remove(id);
  await backend.remove("RunHistory", victims);
  const text = Deno.readTextFileSync(path);
  assert.equal(text, expected.toText());
  assert.ok(!text.includes('"2/standard00042"'), "run 2's configuration left every map, assigned included");
  assert.deepEqual(await backend.findConfiguration("2/standard00042", "RunHistory"), []);
  assert.equal((await backend.findConfiguration("3/standard00042", "RunHistory")).length, victims.length);
  await backend.close();
});

Deno.test("filesystemdb: removals and additions meeting in one commit are streamed in order, as the full model applies them", async () => {
  await using dir = await tempDir();
  await using other = await tempDir();
  const store = openStore(dir.path);
  await Promise.all([1, 2, 3].map((run) => store.putRun(preparedRun(run), "initial")));
  await store.close();
  const elsewhere = openStore(other.path);
  await elsewhere.putRun(preparedRun(4), "initial");
  await elsewhere.close();
  const options = { uri: "", durable: false, lockTimeoutMs: 10_000, clock: () => SPEC_TIME };
  const run4 = await new FilesystemBackend({ ...options, path: other.path }).findConfiguration(
    "4/standard00042",
    "RunHistory",
  );
  const backend = new FilesystemBackend({ ...options, path: dir.path });
  const victims = (await backend.locateConfiguration("2/standard00042", "RunHistory")).map((ref) => ref.id);
  const path = join(dir.path, "RunHistory", "index.json");
  const expected = CollectionIndex.parse(Deno.readTextFileSync(path));
  for (const id of victims) expected.remove(id);
  for (const stored of run4) expected.add(documentFacts(stored.doc));

  // Another process holds the index lock, so the removal and the addition wait for it together, in one batch.
  const holder = await holdLock(join(dir.path, "RunHistory", LOCK_FILE), 500);
  await Promise.all([backend.remove("RunHistory", victims), backend.upsert("RunHistory", run4)]);
  assert.equal((await holder.status).code, 0);
  await holder.stdout.cancel().catch(() => {});
  assert.equal(Deno.readTextFileSync(path), expected.toText());
  assert.deepEqual((await backend.findConfiguration("4/standard00042", "RunHistory")).length, run4.length);
  await backend.close();
});
