/**
 * The one store test suite, run unchanged against every backend: the filesystem database
 * (`filesystem.test.ts`) and MongoDB (`mongo.test.ts`: in-process CongoDB, or a real mongod through
 * `ARTDAQDB_TEST_MONGO_URI`). Each step gets a fresh, empty database.
 *
 * @module
 */

import assert from "node:assert/strict";
import { BSON } from "bson";
import { ConflictError, NotFoundError, RunInputError, StoreError } from "../../core/errors.ts";
import { type JsonObject, parseOrdered } from "../../core/json/mod.ts";
import type { Logger, Store } from "../../core/roles.ts";
import type { Backend, DocumentBatch, EncodedBatch, StoredDocument } from "../../plugins/artdaqdb-conftool/backend.ts";
import { buildStoredDocument, documentFacts } from "../../plugins/artdaqdb-conftool/document.ts";
import { fhiclToDbJson } from "../../core/fhicl/mod.ts";
import { artdaqdbConftool, ConftoolStore } from "../../plugins/artdaqdb-conftool/mod.ts";
import { fromBson, toBson } from "../../plugins/artdaqdb-conftool/mongo/bson.ts";
import { artdaqTimestampToIso, type Clock } from "../../plugins/artdaqdb-conftool/timestamp.ts";
import {
  DUNE35T_SCHEMA,
  DUPLICATE_KEY_SETTINGS,
  fields,
  fileText,
  INITIAL_EXPORT_PATHS,
  preparedRun,
  SPEC_DOCUMENT,
  SPEC_OID,
  SPEC_TIME,
  steppingClock,
} from "./_fixtures.ts";

/** One empty database of the backend under test. */
export interface FreshDatabase {
  /** The `database_uri` of this database. */
  uri: string;
  /** A new backend on it (each call a new instance, as a new process would have). */
  backend(clock: Clock): Backend;
  cleanup(): Promise<void>;
}

/** The backend under test. */
export interface SuiteTarget {
  label: string;
  /** Whether the server keeps duplicate keys of stored documents (CongoDB does not). */
  preservesDuplicateKeys: boolean;
  fresh(): Promise<FreshDatabase>;
}

/** Runs every shared step against `target`. */
export async function storeSuite(t: Deno.TestContext, target: SuiteTarget): Promise<void> {
  const step = (name: string, body: (db: FreshDatabase) => Promise<void>) =>
    t.step(`${target.label}: ${name}`, async () => {
      const db = await target.fresh();
      try {
        await body(db);
      } finally {
        await db.cleanup();
      }
    });
  const open = (db: FreshDatabase, clock: Clock = steppingClock()): Store & { backend: Backend } => {
    const backend = db.backend(clock);
    const store = new ConftoolStore(backend, { clock });
    return Object.assign(store, { backend });
  };

  await step("an empty database lists nothing, exports nothing", async (db) => {
    const store = open(db);
    try {
      assert.deepEqual(await store.listRuns(), []);
      assert.equal(await store.configurationName(1), null);
      assert.equal(await store.hasUpdate(1), false);
      await assert.rejects(store.exportRun(1), NotFoundError);
    } finally {
      await store.close();
    }
  });

  await step("the plugin factory stores through the same URI", async (db) => {
    const store = artdaqdbConftool({ database_uri: db.uri }, { clock: steppingClock(), durable: false });
    try {
      await store.putRun(preparedRun(7), "initial");
      assert.deepEqual(await store.listRuns(), [7]);
      assert.match(store.describe(), /^artdaqdb-conftool (filesystemdb|mongodb):\/\//);
    } finally {
      await store.close();
    }
  });

  await step("initial archive: listed, named, exported as conftool writes it", async (db) => {
    const store = open(db);
    try {
      await store.putRun(preparedRun(12345), "initial");
      assert.deepEqual(await store.listRuns(), [12345]);
      assert.equal(await store.configurationName(12345), "12345/standard00042");
      assert.equal(await store.hasUpdate(12345), false);
      const exported = await store.exportRun(12345);
      assert.equal(exported.configuration, "12345/standard00042");
      assert.deepEqual(exported.files.map((f) => f.path), INITIAL_EXPORT_PATHS);
      // artdaq-database.md §5.5: the export of the §3.2 boot.fcl, byte for byte.
      assert.equal(
        fileText(exported.files, "boot.fcl"),
        '# DAQ boot settings\ndaq_setup_script: "/home/nfs/icarus/setup.sh" # sourced first\n# sourced first\n' +
          'debug_level: 1 \n\nhosts: ["evb01", evb02] \n\nlimits: {\n\nmax_events: 10 // per run\n\nrate: 2.5 // per run\n\n}',
      );
      // The newest document's creation time, in UTC: 2024-03-04T12:05:01.337-0600 (first clock tick).
      assert.equal(exported.storedAt, "2024-03-04T18:05:01.337Z");
      assert.match(fileText(exported.files, "hashes.fcl"), /^\nRunHistory: "[0-9a-f]{32}" \n/);
    } finally {
      await store.close();
    }
  });

  await step("documents go to their schema-rule collections", async (db) => {
    const store = open(db);
    try {
      await store.putRun(preparedRun(5, { documents: [{ name: "flags.fcl", text: "masked: []\n" }] }), "initial");
      const stored = await store.backend.findConfiguration("5/standard00042");
      const where = Object.fromEntries(stored.map((s) => [documentFacts(s.doc).entities[0], s.collection]));
      assert.deepEqual(where, {
        RunHistory: "RunHistory",
        boot: "RunHistory",
        component01: "RunHistory",
        flags: "Flags", // system_layout rule
        hashes: "RunHistory",
        metadata: "RunHistory",
        schema: "SystemLayout",
        settings: "RunHistory", // no rule: kept in RunHistory, not dropped (§16.1-9)
      });
    } finally {
      await store.close();
    }
  });

  await step("a document we write equals the spec's §3.2 example field by field", async (db) => {
    const store = open(db, () => SPEC_TIME);
    try {
      await store.putRun(preparedRun(12345), "initial");
      const stored = await store.backend.findConfiguration("12345/standard00042");
      const boot = stored.find((s) => documentFacts(s.doc).entities[0] === "boot");
      assert.ok(boot, "boot document stored");
      assert.match(boot.id, /^[0-9a-f]{24}$/);
      const expected = fields(parseOrdered(SPEC_DOCUMENT));
      const actual = fields(boot.doc).map((line) =>
        line === `$._id.$oid = "${boot.id}"` ? `$._id.$oid = "${SPEC_OID}"` : line
      );
      assert.deepEqual(actual, expected);
    } finally {
      await store.close();
    }
  });

  await step("putRun again is a no-op: identical documents are not duplicated", async (db) => {
    const clock = steppingClock();
    const store = open(db, clock);
    try {
      await store.putRun(preparedRun(3), "initial");
      const before = await snapshot(store.backend, "3/standard00042");
      const exported = await store.exportRun(3);
      await store.putRun(preparedRun(3), "initial");
      assert.deepEqual(await snapshot(store.backend, "3/standard00042"), before);
      assert.deepEqual(await store.exportRun(3), exported);
    } finally {
      await store.close();
    }
  });

  await step("stop-time update: versioned extra documents that win on export", async (db) => {
    const store = open(db);
    try {
      await store.putRun(preparedRun(9), "initial");
      await store.putRun(preparedRun(9), "update");
      assert.equal(await store.hasUpdate(9), true);
      const versions = (await store.backend.findConfiguration("9/standard00042"))
        .map((s) => `${s.collection}/${documentFacts(s.doc).entities[0]}@${documentFacts(s.doc).version}`).sort();
      assert.deepEqual(versions.filter((v) => v.includes("v1")), [
        "RunHistory/RunHistory2@9/standard00042v1",
        "SystemLayout/schema@9/standard00042v1",
      ]);
      const exported = await store.exportRun(9);
      assert.ok(exported.files.some((f) => f.path === "RunHistory2.fcl"));
      assert.match(
        fileText(exported.files, "RunHistory2.fcl"),
        /DAQInterface_stop_time: "Mon Mar {2}4 13:00:00 CST 2024"/,
      );
      // storedAt is the newest exported document's creation time: the update's.
      const update = (await store.backend.findConfiguration("9/standard00042"))
        .find((s) => documentFacts(s.doc).entities[0] === "RunHistory2")!;
      assert.equal(exported.storedAt, artdaqTimestampToIso(documentFacts(update.doc).created));
      assert.ok(exported.storedAt > "2024-03-04T18:05:01.337Z");
      // The same update again changes nothing; a different one becomes v2.
      await store.putRun(preparedRun(9), "update");
      assert.equal((await store.backend.findConfiguration("9/standard00042")).length, versions.length);
      await store.putRun(preparedRun(9, { stopTime: "Mon Mar  4 14:00:00 CST 2024" }), "update");
      const v2 = (await store.backend.findConfiguration("9/standard00042"))
        .filter((s) => documentFacts(s.doc).version === "9/standard00042v2");
      assert.equal(v2.length, 2);
      assert.match(fileText((await store.exportRun(9)).files, "RunHistory2.fcl"), /14:00:00/);
    } finally {
      await store.close();
    }
  });

  await step("an update before the initial archive is refused", async (db) => {
    const store = open(db);
    try {
      await assert.rejects(store.putRun(preparedRun(11), "update"), StoreError);
      assert.deepEqual(await store.listRuns(), []);
    } finally {
      await store.close();
    }
  });

  await step("different content for an archived run is a conflict and changes nothing", async (db) => {
    const store = open(db);
    try {
      await store.putRun(preparedRun(4), "initial");
      const before = await snapshot(store.backend, "4/standard00042");
      const changed = preparedRun(4, { documents: [{ name: "boot.fcl", text: "debug_level: 2\n" }] });
      await assert.rejects(store.putRun(changed, "initial"), (e: Error) => {
        assert.ok(e instanceof ConflictError);
        assert.match(e.message, /run 4: 4\/standard00042 is already archived .* boot, hashes; nothing was changed/);
        return true;
      });
      assert.deepEqual(await snapshot(store.backend, "4/standard00042"), before);
    } finally {
      await store.close();
    }
  });

  await step("an interrupted initial write is unlisted, then completed by the retry", async (db) => {
    const clock = steppingClock();
    // First attempt: every collection but SystemLayout is written, then the "process dies".
    const crashing = failingOn(db.backend(clock), "SystemLayout");
    const first = new ConftoolStore(crashing, { clock });
    const withExtra = preparedRun(21, { documents: [{ name: "component02.fcl", text: "a: 1\n" }] });
    await assert.rejects(first.putRun(withExtra, "initial"), /simulated crash/);
    await first.close();
    const store = open(db, clock);
    try {
      assert.deepEqual(await store.listRuns(), []);
      assert.equal(await store.configurationName(21), null);
      await assert.rejects(store.exportRun(21), NotFoundError);
      // The retry: the run directory changed meanwhile (component02.fcl is gone).
      await store.putRun(preparedRun(21), "initial");
      assert.deepEqual(await store.listRuns(), [21]);
      const stored = await store.backend.findConfiguration("21/standard00042");
      const entities = stored.map((s) => documentFacts(s.doc).entities[0]).sort();
      assert.deepEqual(entities, [
        "RunHistory",
        "boot",
        "component01",
        "hashes",
        "metadata",
        "schema",
        "settings",
      ]);
    } finally {
      await store.close();
    }
  });

  await step("an interrupted update is completed under its own version", async (db) => {
    const clock = steppingClock();
    const store = open(db, clock);
    try {
      await store.putRun(preparedRun(31), "initial");
      const crashing = new ConftoolStore(failingOn(db.backend(clock), "SystemLayout"), { clock });
      await assert.rejects(crashing.putRun(preparedRun(31), "update"), /simulated crash/);
      await crashing.close();
      assert.equal(await store.hasUpdate(31), false);
      await store.putRun(preparedRun(31), "update");
      assert.equal(await store.hasUpdate(31), true);
      const versions = (await store.backend.findConfiguration("31/standard00042"))
        .map((s) => documentFacts(s.doc).version).filter((v) => v.endsWith("v1") || v.endsWith("v2"));
      assert.deepEqual(versions.sort(), ["31/standard00042v1", "31/standard00042v1"]);
    } finally {
      await store.close();
    }
  });

  await step("duplicate top-level keys survive store and export", async (db) => {
    const store = open(db);
    try {
      const prepared = preparedRun(8, { documents: [DUPLICATE_KEY_SETTINGS] });
      await store.putRun(prepared, "initial");
      const settings = fileText((await store.exportRun(8)).files, "settings.fcl");
      if (target.preservesDuplicateKeys) {
        assert.equal(
          settings,
          "\npackage_hashes_to_save: [artdaq] \n\nmax_fragment_size: 100 \n\nmax_fragment_size: 200 \n",
        );
      } else {
        // CongoDB merges duplicate keys when it stores a document (components.md §2): assert that gap explicitly,
        // and that the bytes we send keep both entries. A real mongod (ARTDAQDB_TEST_MONGO_URI) takes the branch
        // above, the full store → export assertion.
        assert.equal(settings, "\npackage_hashes_to_save: [artdaq] \n\nmax_fragment_size: 200 \n");
        const sent = buildStoredDocument(fhiclToDbJson(DUPLICATE_KEY_SETTINGS.text, "settings"), {
          collection: "RunHistory",
          configuration: "8/standard00042",
          version: "8/standard00042",
          entity: "settings",
          run: "8",
          id: SPEC_OID,
          timestamp: SPEC_TIME,
        });
        const wire = fromBson(BSON.serialize(toBson(sent) as Map<string, unknown>));
        const main = ((wire.get("document") as JsonObject).get("data") as JsonObject).get("main") as JsonObject;
        assert.deepEqual(main.getAll("max_fragment_size"), ["100", "200"]);
      }
    } finally {
      await store.close();
    }
  });

  await step("many runs: ascending listing, newest configuration wins", async (db) => {
    const clock = steppingClock();
    const store = open(db, clock);
    try {
      const runs = [105, 3, 1000000, 42, 7];
      await Promise.all(runs.map((run) => store.putRun(preparedRun(run), "initial")));
      await store.putRun(preparedRun(42, { configName: "other" }), "initial");
      assert.deepEqual(await store.listRuns(), [3, 7, 42, 105, 1000000]);
      assert.equal(await store.configurationName(42), "42/other");
      assert.equal(await store.configurationName(4), null);
    } finally {
      await store.close();
    }
  });

  await step("bad input names run and file, and stores nothing", async (db) => {
    const store = open(db);
    try {
      const cases: Array<[ReturnType<typeof preparedRun>, RegExp]> = [
        [
          { ...preparedRun(62), documents: preparedRun(62).documents.filter((d) => d.name !== "schema.fcl") },
          /run 62: .*no schema\.fcl/,
        ],
        [preparedRun(63, { documents: [{ name: "sub/boot.fcl", text: "a: 1\n" }] }), /run 63: .*entity 'boot'/],
        [preparedRun(64, { documents: [{ name: "tpc01.fcl", text: "a: [1,\n" }] }), /run 64: tpc01\.fcl:\d+:\d+/],
        [{ ...preparedRun(65), configName: "a/b" }, /run 65: configuration name 'a\/b'/],
      ];
      for (const [prepared, message] of cases) {
        await assert.rejects(store.putRun(prepared, "initial"), (e: Error) => {
          assert.ok(e instanceof RunInputError, `${e.name}: ${e.message}`);
          assert.match(e.message, message);
          assert.ok(!e.message.includes("\n"), "one-line message");
          return true;
        });
      }
      assert.deepEqual(await store.listRuns(), []);
    } finally {
      await store.close();
    }
  });

  await step("files that are not FHiCL are not stored, with a warning naming them", async (db) => {
    const warnings: string[] = [];
    const clock = steppingClock();
    const store = new ConftoolStore(db.backend(clock), { clock, logger: collectingLogger(warnings) });
    try {
      await store.putRun(
        preparedRun(61, { documents: [{ name: "config.txt", text: "DAQ setup script: x" }] }),
        "initial",
      );
      assert.deepEqual(await store.listRuns(), [61]);
      assert.ok(!(await store.exportRun(61)).files.some((f) => f.path.startsWith("config")));
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /^run 61: config\.txt is not FHiCL and cannot be stored in artdaq_database/);
    } finally {
      await store.close();
    }
  });

  await step("schema entity expressions (2018 protoDUNE schema) name the entities", async (db) => {
    const store = open(db);
    try {
      const prepared = preparedRun(1001506, {
        configName: "np04_WibsReal_Ssps00145",
        documents: [
          { name: "schema.fcl", text: DUNE35T_SCHEMA },
          { name: "EventBuilder_np04-srv-001_5235.fcl", text: "a: 1\n" },
          { name: "cob2_rce01.fcl", text: "b: 2\n" },
        ],
      });
      await store.putRun(prepared, "initial");
      const paths = (await store.exportRun(1001506)).files.map((f) => f.path);
      assert.ok(paths.includes("EventBuilder_np04-srv-001_5235.fcl"), paths.join(","));
      assert.ok(paths.includes("cob2_rce01.fcl"), paths.join(","));
    } finally {
      await store.close();
    }
  });
}

/** A logger that keeps warnings. */
function collectingLogger(warnings: string[]): Logger {
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: (message) => void warnings.push(message),
    error: () => {},
    critical: () => {},
    child: () => logger,
  };
  return logger;
}

/** Every stored document of a configuration as text, keyed by collection/id (for "nothing changed" checks). */
async function snapshot(backend: Backend, configuration: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const stored of await backend.findConfiguration(configuration)) {
    out[`${stored.collection}/${stored.id}`] = fields(stored.doc).join("\n");
  }
  return out;
}

/** A backend that fails every write into `collection`, as a process killed at that point would leave things. */
function failingOn(backend: Backend, collection: string): Backend {
  const crash = () => Promise.reject(new Error(`simulated crash before writing ${collection}`));
  return new Proxy(backend, {
    get(target, property, receiver) {
      if (property === "upsert") {
        return (into: string, documents: readonly StoredDocument[]) =>
          into === collection ? crash() : target.upsert(into, documents);
      }
      if (property === "upsertAll" && target.upsertAll) {
        // Everything but `collection` is written and findable, then the process dies.
        return async (batches: ReadonlyArray<DocumentBatch>) => {
          await target.upsertAll!(batches.filter((batch) => batch.collection !== collection));
          return crash();
        };
      }
      if (property === "upsertEncoded" && target.upsertEncoded) {
        return async (batches: ReadonlyArray<EncodedBatch>) => {
          await target.upsertEncoded!(batches.filter((batch) => batch.collection !== collection));
          return crash();
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
