/**
 * The shared store suite on MongoDB: an in-process CongoDB by default, the real server of
 * `ARTDAQDB_TEST_MONGO_URI` when set (the same steps, unchanged). Plus what only MongoDB has: the BSON types the
 * C++ readers rely on, the SystemMetadata record without credentials, and credential redaction in errors.
 *
 * @module
 */

import assert from "node:assert/strict";
import { MongoClient } from "mongodb";
import { StoreError, TransientError } from "../../core/errors.ts";
import { clearSecrets } from "../../core/redact.ts";
import { createBackend } from "../../plugins/artdaqdb-conftool/mod.ts";
import { ConftoolStore } from "../../plugins/artdaqdb-conftool/store.ts";
import { startMongo, uniqueDatabaseName } from "../_helpers/mongo.ts";
import { preparedRun, steppingClock } from "./_fixtures.ts";
import { storeSuite } from "./suite.ts";

Deno.test("artdaqdb-conftool shared suite: mongodb", async (t) => {
  await using mongo = await startMongo();
  await storeSuite(t, {
    label: `mongodb (${mongo.kind})`,
    preservesDuplicateKeys: mongo.preservesDuplicateKeys,
    fresh() {
      const uri = mongo.uriFor(uniqueDatabaseName());
      return Promise.resolve({
        uri,
        backend: (clock) => createBackend({ database_uri: uri }, { clock }),
        cleanup: () => Promise.resolve(),
      });
    },
  });
});

Deno.test("artdaqdb-conftool mongodb: BSON types and SystemMetadata as the C++ provider writes them", async () => {
  await using mongo = await startMongo();
  const uri = mongo.uriFor(uniqueDatabaseName());
  const clock = steppingClock();
  const store = new ConftoolStore(createBackend({ database_uri: uri }, { clock }), { clock });
  const client = new MongoClient(uri, { serverMonitoringMode: "poll" });
  try {
    await store.putRun(preparedRun(12345), "initial");
    const db = client.db();
    const boot = await db.collection("RunHistory").findOne({ "entities.name": "boot" }, { promoteValues: false });
    assert.ok(boot);
    assert.equal(boot._id._bsontype, "ObjectId");
    assert.equal(boot.comments[0].linenum._bsontype, "Int32");
    assert.equal(boot.bookkeeping.isdeleted, false);
    assert.equal(boot.bookkeeping.isreadonly, false);
    assert.equal(typeof boot.document.data.main.debug_level, "string");
    assert.equal(boot.configurations[0].name, "12345/standard00042");
    const metadata = await db.collection("SystemMetadata").find({}, { promoteValues: false }).toArray();
    assert.equal(metadata.length, 1);
    assert.equal(metadata[0].document.name, "artdaq");
    assert.equal(metadata[0].document.database_format._bsontype, "Int32");
    assert.equal(metadata[0].document.uri, uri);
    const indexes = await db.collection("RunHistory").listIndexes().toArray();
    assert.ok(indexes.some((index) => index.key["configurations.name"] === 1), "configurations.name is indexed");
  } finally {
    await client.close();
    await store.close();
  }
});

Deno.test("artdaqdb-conftool mongodb: credentials never appear in descriptions or errors", async () => {
  const secret = "s3cret-Pa55";
  const uri = `mongodb://daq:${secret}@127.0.0.1:1/artdaq_database_archive?serverSelectionTimeoutMS=300`;
  const store = new ConftoolStore(createBackend({ database_uri: uri }), {});
  try {
    assert.equal(
      store.describe(),
      "artdaqdb-conftool mongodb://daq:***@127.0.0.1:1/artdaq_database_archive?serverSelectionTimeoutMS=300",
    );
    await assert.rejects(store.listRuns(), (e: Error) => {
      assert.ok(e instanceof TransientError || e instanceof StoreError, e.name);
      assert.ok(!e.message.includes(secret), e.message);
      assert.match(e.message, /daq:\*\*\*@127\.0\.0\.1:1/);
      return true;
    });
  } finally {
    await store.close();
    clearSecrets();
  }
});
