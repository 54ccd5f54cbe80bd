/**
 * The bulk-tools store in local mode, against the stand-in tools (tests/bin): both directions with the conftool
 * store, idempotent puts, the stop-time update, a failing tool, a hanging tool killed by the timeout, and that the
 * database URI reaches the tool through its environment only.
 */

import assert from "node:assert/strict";
import type { ArchiverConfig } from "../../core/config/types.ts";
import { ArchiverError, NotFoundError, RunInputError, StoreError } from "../../core/errors.ts";
import type { Logger } from "../../core/roles.ts";
import { roleChoice } from "../../core/wiring.ts";
import { builtinRegistry } from "../../plugins/mod.ts";
import { artdaqdbBulktools } from "../../plugins/artdaqdb-bulktools/mod.ts";
import { artdaqdbConftool } from "../../plugins/artdaqdb-conftool/mod.ts";
import { fileText, preparedRun } from "../artdaqdb-conftool/_fixtures.ts";
import { alive, assertSameExport, BIN, documentCount, eventually, leftovers, scratch, standinTools } from "./_env.ts";

const text = (data: Uint8Array) => new TextDecoder().decode(data);

Deno.test("local: a run loaded by bulkloader is listed, exported by bulkdownloader and by the conftool store", async () => {
  await using db = await scratch();
  const store = artdaqdbBulktools({ database_uri: db.uri, ...standinTools() });
  const conftool = artdaqdbConftool({ database_uri: db.uri });
  try {
    const run = preparedRun(12345);
    await store.putRun(run, "initial");
    assert.deepEqual(await store.listRuns(), [12345]);
    assert.equal(await store.configurationName(12345), "12345/standard00042");
    assert.equal(await store.hasUpdate(12345), false);
    await store.putRun(run, "update");
    assert.equal(await store.hasUpdate(12345), true);

    const tools = await store.exportRun(12345);
    assert.equal(tools.configuration, "12345/standard00042");
    // bulkdownloader writes the non-SystemLayout documents under `standard/`; the store returns the canonical
    // flat layout (core/roles.ts ExportedRun), sorted by path.
    assert.deepEqual(tools.files.map((f) => f.path), [
      "RunHistory.fcl",
      "RunHistory2.fcl",
      "boot.fcl",
      "component01.fcl",
      "metadata.fcl",
      "schema.fcl",
      "settings.fcl",
    ]);
    assert.match(tools.storedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.match(fileText(tools.files, "RunHistory2.fcl"), /DAQInterface_stop_time/);

    // The conftool store reads what the tools wrote: the same files, bytes, time and blob.
    assert.deepEqual(await conftool.listRuns(), [12345]);
    assertSameExport(tools, await conftool.exportRun(12345), "bulktools-stored run");
  } finally {
    await store.close();
    await conftool.close();
  }
});

Deno.test("local: a run stored by the conftool store is exported by bulkdownloader", async () => {
  await using db = await scratch();
  const conftool = artdaqdbConftool({ database_uri: db.uri });
  const store = artdaqdbBulktools({ database_uri: db.uri, ...standinTools() });
  try {
    const run = preparedRun(777, { configName: "demo00001" });
    await conftool.putRun(run, "initial");
    await conftool.putRun(run, "update");
    assert.deepEqual(await store.listRuns(), [777]);
    assert.equal(await store.hasUpdate(777), true, "the conftool update (version …v1) counts as stored");
    // conftool adds the hashes entity; bulkdownloader exports every entity, the update's RunHistory2 included.
    const native = await conftool.exportRun(777);
    assert.equal(native.files.some((f) => f.path === "hashes.fcl"), true);
    assertSameExport(await store.exportRun(777), native, "conftool-stored run");
  } finally {
    await store.close();
    await conftool.close();
  }
});

Deno.test("local: runs stored in two steps, by one store or by both, export the same under both stores", async () => {
  await using db = await scratch();
  const conftool = artdaqdbConftool({ database_uri: db.uri });
  const store = artdaqdbBulktools({ database_uri: db.uri, ...standinTools() });
  try {
    // Initial by one store, stop-time update by the other (a site that switched use_tools mid-run), both ways;
    // an all-digit configuration name (bulkdownloader's prefix directory is then empty) on the second.
    await conftool.putRun(preparedRun(801, { configName: "physics00003" }), "initial");
    await store.putRun(preparedRun(801, { configName: "physics00003" }), "update");
    await store.putRun(preparedRun(802, { configName: "00042" }), "initial");
    await conftool.putRun(preparedRun(802, { configName: "00042" }), "update");
    // Both schema documents of a run whose update went through bulkloader share one version, so which one `load`
    // picks is decided by their random ids: a few runs, so that both outcomes are dated the same way as natively.
    for (const run of [803, 804, 805]) {
      await store.putRun(preparedRun(run), "initial");
      await store.putRun(preparedRun(run), "update");
    }
    for (const run of [801, 802, 803, 804, 805]) {
      const native = await conftool.exportRun(run);
      assert.equal(native.files.some((f) => f.path === "RunHistory2.fcl"), true, String(run));
      assertSameExport(await store.exportRun(run), native, `run ${run}`);
    }
  } finally {
    await store.close();
    await conftool.close();
  }
});

Deno.test("local: puts are idempotent (no duplicate documents) and the update needs the initial archive", async () => {
  await using db = await scratch();
  const store = artdaqdbBulktools({ database_uri: db.uri, ...standinTools() });
  try {
    const run = preparedRun(5);
    await assert.rejects(store.putRun(run, "update"), (error: unknown) => {
      assert.ok(error instanceof StoreError);
      assert.match(error.message, /initial archive of 5\/standard00042 is not complete/);
      return true;
    });
    await store.putRun(run, "initial");
    const after = await documentCount(db, "RunHistory");
    await store.putRun(run, "initial");
    assert.equal(await documentCount(db, "RunHistory"), after, "a second initial put loads nothing");
    await store.putRun(run, "update");
    await store.putRun(run, "update");
    assert.equal(await documentCount(db, "RunHistory"), after + 1, "RunHistory2 once");
    assert.equal(await documentCount(db, "SystemLayout"), 2, "the initial and the update schema");
    await assert.rejects(store.exportRun(6), NotFoundError);
  } finally {
    await store.close();
  }
});

Deno.test("local: an interrupted initial put is completed without loading its documents twice", async () => {
  await using db = await scratch();
  const store = artdaqdbBulktools({ database_uri: db.uri, ...standinTools() });
  try {
    const run = preparedRun(9);
    const body = run.documents.filter((d) => d.name !== "schema.fcl");
    // An earlier attempt's first bulkloader call stored three documents, then the attempt died.
    const partial = `${db.root}/partial`;
    await Deno.mkdir(partial);
    for (const document of body.slice(0, 3)) await Deno.writeTextFile(`${partial}/${document.name}`, document.text);
    const earlier = await new Deno.Command(`${BIN}bulkloader`, {
      args: ["-r", "9", "-c", "standard00042", "-p", partial, "-t", "1"],
      env: { ARTDAQ_DATABASE_URI: db.uri },
    }).output();
    assert.equal(earlier.code, 0, text(earlier.stderr));
    assert.deepEqual(await store.listRuns(), [], "without its schema document the run is not listed");
    assert.equal(await documentCount(db, "RunHistory"), 3);
    await store.putRun(run, "initial");
    assert.equal(await documentCount(db, "RunHistory"), body.length, "only the missing documents were loaded");
    assert.deepEqual(await store.listRuns(), [9]);
  } finally {
    await store.close();
  }
});

Deno.test("local: a failing bulkloader is a StoreError and the run is not listed", async () => {
  await using db = await scratch();
  const store = artdaqdbBulktools({ database_uri: db.uri, ...standinTools() });
  try {
    const run = preparedRun(42, { documents: [{ name: "broken.fcl", text: "a: {\n" }] });
    await assert.rejects(store.putRun(run, "initial"), (error: unknown) => {
      assert.ok(error instanceof StoreError);
      assert.match(
        error.message,
        /^bulkloader for run 42 \(42\/standard00042\) on this host failed with exit status 1/,
      );
      assert.match(error.message, /Failed to load 1 file/);
      assert.equal(error.run, 42);
      return true;
    });
    assert.deepEqual(await store.listRuns(), []);
  } finally {
    await store.close();
  }
});

Deno.test("local: bad input is refused before any tool runs", async () => {
  await using db = await scratch();
  const store = artdaqdbBulktools({ database_uri: db.uri, bulkloader: "/nonexistent/bulkloader" });
  try {
    const cases: Array<[ReturnType<typeof preparedRun>, RegExp]> = [
      [{ ...preparedRun(1), configName: "-t0" }, /starts with '-'/],
      [{ ...preparedRun(1), configName: "a/b" }, /contains '\/'/],
      [preparedRun(1, { documents: [{ name: "notes.txt", text: "x" }] }), /not a relative \.fcl file/],
      [
        preparedRun(1, { documents: [{ name: "sub/boot.fcl", text: "a: 1" }] }),
        /would both be loaded as entity 'boot'/,
      ],
      [
        { ...preparedRun(1), documents: preparedRun(1).documents.filter((d) => d.name !== "schema.fcl") },
        /no schema\.fcl/,
      ],
    ];
    for (const [run, message] of cases) {
      await assert.rejects(store.putRun(run, "initial"), (error: unknown) => {
        assert.ok(error instanceof RunInputError, String(error));
        assert.match(error.message, message);
        return true;
      });
    }
    await assert.rejects(
      store.putRun(preparedRun(1), "initial"),
      /cannot start bulkloader \(\/nonexistent\/bulkloader\)/,
    );
  } finally {
    await store.close();
  }
});

Deno.test("local: the URI reaches the tool through its environment, never its arguments; -t is never 0", async () => {
  await using db = await scratch("db-URI-MARKER");
  const store = artdaqdbBulktools({
    database_uri: db.uri,
    bulkloader: `${BIN}record-tool`,
    bulkdownloader: `${BIN}record-tool-downloader`,
  });
  try {
    await store.putRun(preparedRun(31), "initial");
    await store.exportRun(31);
    const record = await Deno.readTextFile(`${db.dbPath}.record`);
    const argv = record.split("\n").filter((line) => line.startsWith("argv:"));
    assert.equal(argv.length, 3, "two bulkloader calls (documents, then schema) and one bulkdownloader call");
    for (const line of argv) {
      assert.match(line, /^argv: -r 31 -c standard00042 -p \S+ -t [1-9]\d*$/);
      assert.doesNotMatch(line, /URI-MARKER/);
    }
    assert.ok(record.split("\n").filter((l) => l.startsWith("uri:")).every((l) => l === `uri:${db.uri}`));
  } finally {
    await store.close();
  }
});

Deno.test("local: a hanging tool is killed at the timeout; the URI is on no command line", async () => {
  await using db = await scratch("db-URI-MARKER");
  const store = artdaqdbBulktools({
    database_uri: db.uri,
    bulkloader: `${BIN}hang-tool`,
    tools_timeout_seconds: 1,
  });
  try {
    const started = Date.now();
    const put = store.putRun(preparedRun(3), "initial");
    assert.ok(await eventually(() => leftovers(db.root).then((names) => names.includes("db-URI-MARKER.pid")), 5_000));
    const ps = await new Deno.Command("ps", { args: ["-eo", "args"] }).output();
    assert.doesNotMatch(text(ps.stdout), /URI-MARKER/, "the database URI is visible in ps");
    await assert.rejects(put, (error: unknown) => {
      assert.ok(error instanceof ArchiverError);
      assert.match(error.message, /bulkloader for run 3 .* timed out after 1 s and was killed/);
      return true;
    });
    assert.ok(Date.now() - started < 8_000);
    const pid = Number(await Deno.readTextFile(`${db.dbPath}.pid`));
    assert.ok(await eventually(() => !alive(pid), 5_000), `tool process ${pid} still alive`);
  } finally {
    await store.close();
  }
});

Deno.test("wiring: use_tools: true picks this plugin with the artdaq_db section as loaded from the config", async () => {
  await using db = await scratch();
  const section = {
    fcl_conf_dir: "/etc/archiver/fcl",
    database_uri: db.uri,
    use_tools: true,
    remote_host: null,
    tools_dir: BIN,
    tools_timeout_seconds: 300,
    ssh_port: 22,
    ssh_key_file: null,
    ssh_known_hosts: null,
    ssh_host_fingerprint: null,
  };
  const config = { artdaq_db: section, plugins: {} } as unknown as ArchiverConfig;
  const choice = roleChoice(config, "store");
  assert.equal(choice.ref, "artdaqdb-bulktools");
  const quiet: Logger = {
    debug() {},
    info() {},
    warn() {},
    error() {},
    critical() {},
    child: () => quiet,
  };
  const store = await builtinRegistry().create("store", choice.ref, choice.options, {
    logger: quiet,
    metrics: { send() {}, flush: () => Promise.resolve(), close: () => Promise.resolve() },
    workDir: db.root,
    configDir: db.root,
  });
  try {
    assert.equal(store.kind, "artdaqdb-bulktools");
    assert.equal(store.describe(), `artdaqdb-bulktools ${db.uri} (tools on local)`);
    await store.putRun(preparedRun(4242), "initial");
    assert.deepEqual(await store.listRuns(), [4242]);
    assert.equal((await store.exportRun(4242)).files.length, 6, "found through tools_dir");
  } finally {
    await store.close();
  }
});
