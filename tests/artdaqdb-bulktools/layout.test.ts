/**
 * The canonical export layout (core/roles.ts `ExportedRun`) on the bulk-tools side: bulkdownloader's
 * `<config prefix>/` directory removed, collisions and files outside the tool's layout refused, and an export
 * that does not hold exactly the database's documents refused.
 */

import assert from "node:assert/strict";
import { StoreError } from "../../core/errors.ts";
import type { ExportedFile } from "../../core/roles.ts";
import { canonicalFiles, configurationPrefix } from "../../plugins/artdaqdb-bulktools/layout.ts";
import type { ToolRunner } from "../../plugins/artdaqdb-bulktools/runner.ts";
import { BulktoolsStore } from "../../plugins/artdaqdb-bulktools/store.ts";
import { artdaqdbBulktools } from "../../plugins/artdaqdb-bulktools/mod.ts";
import { artdaqdbConftool, createBackend } from "../../plugins/artdaqdb-conftool/mod.ts";
import { documentFacts } from "../../plugins/artdaqdb-conftool/document.ts";
import { preparedRun } from "../artdaqdb-conftool/_fixtures.ts";
import { scratch, standinTools } from "./_env.ts";

const encoder = new TextEncoder();
const file = (path: string, text = path) => ({ path, data: encoder.encode(text) });
const paths = (files: readonly ExportedFile[]) => files.map((f) => f.path);

/** A runner whose download returns `files` (loads are not expected). */
function fixedDownload(files: ExportedFile[]): ToolRunner {
  return {
    load: () => Promise.reject(new Error("no load expected")),
    download: () => Promise.resolve(files),
    describe: () => "test runner",
    close: () => Promise.resolve(),
  };
}

Deno.test("layout: bulkdownloader's prefix directory is removed, top-level files stay, result sorted by path", () => {
  assert.equal(configurationPrefix("standard00042"), "standard");
  assert.equal(configurationPrefix("demo_safemode00003"), "demo_safemode");
  assert.equal(configurationPrefix("demo"), "demo");
  assert.equal(configurationPrefix("00042"), "");
  const out = canonicalFiles(1, "standard00042", [
    file("schema.fcl"),
    file("standard/boot.fcl", "boot"),
    file("standard/RunHistory2.fcl"),
    file("standard/standard.fcl"),
  ]);
  assert.deepEqual(paths(out), ["RunHistory2.fcl", "boot.fcl", "schema.fcl", "standard.fcl"]);
  assert.equal(new TextDecoder().decode(out[1].data), "boot", "content travels with its file");
  // An all-digit name: the tool writes everything at the top level already.
  assert.deepEqual(paths(canonicalFiles(2, "00042", [file("schema.fcl"), file("boot.fcl")])), [
    "boot.fcl",
    "schema.fcl",
  ]);
  // A name without trailing digits is its own prefix.
  assert.deepEqual(paths(canonicalFiles(3, "demo", [file("demo/boot.fcl"), file("schema.fcl")])), [
    "boot.fcl",
    "schema.fcl",
  ]);
});

Deno.test("layout: two files that become one path, and files outside the tool's layout, are refused", () => {
  assert.throws(
    () => canonicalFiles(7, "standard00042", [file("boot.fcl"), file("standard/boot.fcl")]),
    (error: unknown) => {
      assert.ok(error instanceof StoreError);
      assert.equal(error.run, 7);
      assert.match(
        error.message,
        /^run 7: bulkdownloader exported both 'boot\.fcl' and 'standard\/boot\.fcl', which are one file 'boot\.fcl'.*use_tools: false/,
      );
      return true;
    },
  );
  for (const path of ["other/boot.fcl", "standard/sub/boot.fcl", "standardx/boot.fcl"]) {
    assert.throws(
      () => canonicalFiles(8, "standard00042", [file("schema.fcl"), file(path)]),
      new RegExp(`: run 8: bulkdownloader wrote '${path}', outside its documented layout`),
      path,
    );
  }
  assert.throws(
    () => canonicalFiles(9, "00042", [file("schema.fcl"), file("x/boot.fcl")]),
    /outside its documented layout \(<entity>\.fcl, or <config prefix>\/<entity>\.fcl\)/,
  );
});

Deno.test("layout: an entity stored in two collections is refused (bulkdownloader writes it to one file)", async () => {
  await using db = await scratch();
  const tools = artdaqdbBulktools({ database_uri: db.uri, ...standinTools() });
  const conftool = artdaqdbConftool({ database_uri: db.uri });
  const backend = createBackend({ database_uri: db.uri });
  try {
    await tools.putRun(preparedRun(61), "initial");
    // The same `boot` document also in SystemLayout (as a schema rule could place it).
    const [boot] = (await backend.findConfiguration("61/standard00042", "RunHistory")).filter((d) =>
      documentFacts(d.doc).entities.includes("boot")
    );
    await backend.upsert("SystemLayout", [{ collection: "SystemLayout", id: boot.id, doc: boot.doc }]);
    const native = await conftool.exportRun(61);
    assert.ok(paths(native.files).includes("RunHistory/boot.fcl"), String(paths(native.files)));
    assert.ok(paths(native.files).includes("SystemLayout/boot.fcl"));
    await assert.rejects(tools.exportRun(61), (error: unknown) => {
      assert.ok(error instanceof StoreError);
      assert.match(
        error.message,
        /^run 61: 61\/standard00042 stores entity 'boot' in RunHistory and SystemLayout, which bulkdownloader writes to one file; export this run with the native store/,
      );
      return true;
    });
  } finally {
    await tools.close();
    await conftool.close();
    await backend.close();
  }
});

Deno.test("layout: an export missing a document, or holding one the database lacks, is refused", async () => {
  await using db = await scratch();
  const conftool = artdaqdbConftool({ database_uri: db.uri });
  try {
    await conftool.putRun(preparedRun(62, { configName: "demo00001" }), "initial");
    const native = await conftool.exportRun(62);
    // As bulkdownloader lays it out.
    const toolLayout = native.files.map((f) => f.path === "schema.fcl" ? f : { ...f, path: `demo/${f.path}` });
    const store = (files: ExportedFile[]) =>
      new BulktoolsStore({ runner: fixedDownload(files), backend: createBackend({ database_uri: db.uri }) });

    const complete = store(toolLayout);
    try {
      const exported = await complete.exportRun(62);
      assert.deepEqual(paths(exported.files), paths(native.files));
      assert.equal(exported.storedAt, native.storedAt);
    } finally {
      await complete.close();
    }

    const cases: Array<[ExportedFile[], RegExp]> = [
      [toolLayout.filter((f) => f.path !== "demo/boot.fcl"), /\(missing boot\.fcl\); retry the run/],
      [[...toolLayout, file("demo/extra.fcl")], /\(not in the database extra\.fcl\)/],
    ];
    for (const [files, message] of cases) {
      const partial = store(files);
      try {
        await assert.rejects(partial.exportRun(62), (error: unknown) => {
          assert.ok(error instanceof StoreError, String(error));
          assert.match(error.message, /^run 62: bulkdownloader's export of 62\/demo00001 does not match/);
          assert.match(error.message, message);
          return true;
        });
      } finally {
        await partial.close();
      }
    }
  } finally {
    await conftool.close();
  }
});
