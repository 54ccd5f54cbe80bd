/**
 * Unit tests of the artdaqdb-conftool building blocks: URIs, timestamps, names, ids, schema rules, hashes and the
 * raw BSON codec.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { BSON } from "bson";
import { ConfigurationError, RunInputError } from "../../core/errors.ts";
import { fhiclToDbJson } from "../../core/fhicl/mod.ts";
import { JsonNumber, type JsonObject, parseOrdered } from "../../core/json/mod.ts";
import { clearSecrets, redact } from "../../core/redact.ts";
import { hashesText } from "../../plugins/artdaqdb-conftool/hashes.ts";
import { documentId, randomOid } from "../../plugins/artdaqdb-conftool/ids.ts";
import { fromBson, toBson } from "../../plugins/artdaqdb-conftool/mongo/bson.ts";
import { runOfConfiguration, updateNumber, updateVersion } from "../../plugins/artdaqdb-conftool/naming.ts";
import {
  parseEntityExpression,
  placeDocument,
  pythonRegex,
  schemaRules,
} from "../../plugins/artdaqdb-conftool/schema_rules.ts";
import { artdaqTimestampToIso } from "../../plugins/artdaqdb-conftool/timestamp.ts";
import { parseDatabaseUri } from "../../plugins/artdaqdb-conftool/uri.ts";
import { DUNE35T_SCHEMA, fields, SBN_SCHEMA, SPEC_DOCUMENT } from "./_fixtures.ts";

const noEnv = () => undefined;

Deno.test("uri: filesystemdb paths, env fallback, expansion", () => {
  assert.deepEqual(parseDatabaseUri("filesystemdb:///data/artdaq_database_archive/", noEnv), {
    provider: "filesystem",
    path: "/data/artdaq_database_archive",
    uri: "filesystemdb:///data/artdaq_database_archive",
  });
  const env = (name: string) =>
    ({ ARTDAQ_DATABASE_URI: "filesystemdb://${DATA}/db", DATA: "/srv", HOME: "/home/daq" })[name];
  assert.equal((parseDatabaseUri("", env) as { path: string }).path, "/srv/db");
  assert.equal((parseDatabaseUri("filesystemdb://~/db", env) as { path: string }).path, "/home/daq/db");
  assert.equal(
    (parseDatabaseUri("filesystemdb://rel/db", noEnv, "/etc/archiver") as { path: string }).path,
    "/etc/archiver/rel/db",
  );
  assert.throws(() => parseDatabaseUri("", noEnv), /ARTDAQ_DATABASE_URI is not set/);
  assert.throws(() => parseDatabaseUri("ucon://x", noEnv), ConfigurationError);
  assert.throws(() => parseDatabaseUri("filesystemdb://${NOPE}/x", noEnv), /\$\{NOPE\}, which is not set/);
});

Deno.test("uri: mongodb credentials are registered and masked, the database is required", () => {
  try {
    const uri = parseDatabaseUri(
      "mongodb://daq:p%40ss-word@db1:27017,db2/artdaq_database_archive?authSource=admin",
      noEnv,
    );
    assert.equal(uri.provider, "mongo");
    if (uri.provider !== "mongo") return;
    assert.equal(uri.database, "artdaq_database_archive");
    assert.equal(uri.masked, "mongodb://daq:***@db1:27017,db2/artdaq_database_archive?authSource=admin");
    assert.equal(redact("connect p@ss-word failed"), "connect *** failed");
    assert.throws(() => parseDatabaseUri("mongodb://daq:p%40ss-word@db1:27017", noEnv), (e: Error) => {
      assert.match(e.message, /names no database/);
      assert.ok(!e.message.includes("ss-word"));
      return true;
    });
  } finally {
    clearSecrets();
  }
});

Deno.test("timestamps: artdaq layout to UTC, legacy layout, garbage", () => {
  assert.equal(artdaqTimestampToIso("2024-03-04T12:05:01.337-0600"), "2024-03-04T18:05:01.337Z");
  assert.equal(artdaqTimestampToIso("2024-03-04T12:05:01.337+0530"), "2024-03-04T06:35:01.337Z");
  assert.equal(
    artdaqTimestampToIso("Mon Feb  6 18:45:29 2017"),
    new Date(2017, 1, 6, 18, 45, 29).toISOString(),
  );
  assert.equal(artdaqTimestampToIso("2024-03-04T12:05:01Z"), null);
});

Deno.test("names: versions and run numbers as artdaq_database and the Python archiver spell them", () => {
  assert.equal(updateVersion("12345/std", 1), "12345/stdv1");
  assert.equal(updateNumber("12345/stdv12", "12345/std"), 12);
  assert.equal(updateNumber("12345/std", "12345/std"), 0);
  assert.equal(updateNumber("12345/std_longv1", "12345/std"), null);
  assert.equal(runOfConfiguration(" 00123/x"), 123);
  assert.equal(runOfConfiguration("demo00001"), null);
});

Deno.test("ids: derived ids are stable 24-hex, random ids look like artdaq_database's", () => {
  const identity = { collection: "RunHistory", configuration: "1/a", version: "1/a", entity: "boot" };
  assert.equal(documentId(identity), documentId({ ...identity }));
  assert.notEqual(documentId(identity), documentId({ ...identity, version: "1/av1" }));
  assert.match(documentId(identity), /^[0-9a-f]{24}$/);
  assert.match(randomOid(), /^[0-9a-f]{24}$/);
});

Deno.test("schema rules: the SBN schema places run files, unmatched files stay in RunHistory", () => {
  const rules = schemaRules(fhiclToDbJson(SBN_SCHEMA, "schema"), 1);
  assert.deepEqual(placeDocument("boot.fcl", rules), { collection: "RunHistory", entity: "boot" });
  assert.deepEqual(placeDocument("RunHistory2.fcl", rules), { collection: "RunHistory", entity: "RunHistory2" });
  assert.deepEqual(placeDocument("icarustpc01.fcl", rules), { collection: "RunHistory", entity: "icarustpc01" });
  assert.deepEqual(placeDocument("flags.fcl", rules), { collection: "Flags", entity: "flags" });
  assert.deepEqual(placeDocument("schema.fcl", rules), { collection: "SystemLayout", entity: "schema" });
  assert.deepEqual(placeDocument("ranks.fcl", rules), { collection: "RunHistory", entity: "ranks" });
});

Deno.test("schema rules: entity expressions of the 2018 protoDUNE schema, without eval", () => {
  const rules = schemaRules(fhiclToDbJson(DUNE35T_SCHEMA, "schema"), 1);
  assert.deepEqual(placeDocument("BoardReader_TOY1_topol.fnal.gov_5205.fcl", rules), {
    collection: "RunHistory",
    entity: "BoardReader_TOY1_topol.fnal.gov_5205",
  });
  assert.deepEqual(placeDocument("common_code/schema.fcl", rules), { collection: "SystemLayout", entity: "schema" });
  assert.deepEqual(parseEntityExpression("match.group(3)+'_'+ match.group(4)"), [
    { group: 3 },
    { literal: "_" },
    { group: 4 },
  ]);
  assert.equal(parseEntityExpression("__import__('os').system('x')"), null);
  const evil = fhiclToDbJson(
    "run_history: [{ collection: RunHistory pattern: '(.*/)(x)(\\.fcl$)' entity: \"__import__('os')\" }]\n",
    "schema",
  );
  assert.throws(() => schemaRules(evil, 7), (e: Error) => {
    assert.ok(e instanceof RunInputError);
    assert.match(e.message, /^run 7: schema\.fcl: run_history\[0\] entity .*\(nothing else is evaluated\)/);
    return true;
  });
});

Deno.test("schema rules: Python regex syntax and anchoring as re.match", () => {
  const named = pythonRegex("(?P<dir>.*/)(?P<name>boot)(?P=name)?(\\.fcl\\Z)");
  assert.ok(named.exec("/x/boot.fcl"));
  const anchored = pythonRegex("(boot)");
  anchored.lastIndex = 0;
  assert.equal(anchored.exec("/boot"), null, "re.match only matches at the start");
});

Deno.test("hashes: sorted entity digests, schema excluded, configuration digest over the Python lines", async () => {
  const text = hashesText([
    { entity: "metadata", text: "b: 2" },
    { entity: "boot", text: "a: 1" },
    { entity: "schema", text: "ignored" },
  ]);
  const md5 = async (s: string) => {
    const { createHash } = await import("node:crypto");
    return createHash("md5").update(s).digest("hex");
  };
  const boot = await md5("a: 1");
  const metadata = await md5("b: 2");
  assert.equal(
    text,
    `boot:"${boot}"\nmetadata:"${metadata}"\nconfiguration:"${await md5(`boot:${boot},metadata:${metadata}`)}"`,
  );
  fhiclToDbJson(text, "hashes"); // always valid FHiCL, even for digests starting with a digit
});

Deno.test("hashes: an entity held as bytes is hashed as its bytes, the same digest as its text", () => {
  const boot = '\uFEFFa: "é"\r\n';
  const asText = hashesText([{ entity: "boot", text: boot }]);
  const bytes = new TextEncoder().encode(boot);
  const asBytes = hashesText([{
    entity: "boot",
    bytes,
    get text(): string {
      throw new Error("the text is not decoded");
    },
  }]);
  assert.equal(asBytes, asText);
});

Deno.test("hashes: an entity with its SHA-256 is hashed once per digest (the digest's MD5 is remembered)", () => {
  const bytes = new TextEncoder().encode("a: 1");
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const plain = hashesText([{ entity: "boot", text: "a: 1" }]);
  assert.equal(hashesText([{ entity: "boot", bytes, sha256, text: "a: 1" }]), plain);
  // The same digest again: its MD5 is taken as remembered, the content is not hashed (emptied bytes show it).
  assert.equal(hashesText([{ entity: "boot", bytes: new Uint8Array(0), sha256, text: "" }]), plain);
  assert.notEqual(hashesText([{ entity: "boot", bytes: new Uint8Array(0), text: "" }]), plain);
});

Deno.test("bson: duplicate keys, key order and the C++ types survive a raw round trip", () => {
  const doc = parseOrdered(
    '{"document":{"data":{"main":{"a":"1","a":"2"}}},"comments":[{"linenum":1,"value":"x"}],' +
      '"bookkeeping":{"isdeleted":false},"_id":{"$oid":"65e60e7d2b3f4c0d9a1e7f42"},"big":12345678901,"r":2.5}',
  ) as JsonObject;
  const bytes = BSON.serialize(toBson(doc) as Map<string, unknown>);
  const plain = BSON.deserialize(bytes, { promoteValues: false });
  assert.equal(plain._id._bsontype, "ObjectId");
  assert.equal(plain.comments[0].linenum._bsontype, "Int32");
  assert.equal(plain.big._bsontype, "Long");
  const back = fromBson(bytes);
  assert.deepEqual(back.keys(), ["_id", "document", "comments", "bookkeeping", "big", "r"]);
  assert.deepEqual(fields(back).filter((l) => l.startsWith("$.document")), [
    '$.document.data.main.a = "1"',
    '$.document.data.main.a = "2"',
  ]);
  assert.ok(back.get("big") instanceof JsonNumber);
  assert.equal(back.get("r"), 2.5);
});

Deno.test("bson: the spec document round-trips field by field (except _id moving first)", () => {
  const doc = parseOrdered(SPEC_DOCUMENT) as JsonObject;
  const back = fromBson(BSON.serialize(toBson(doc) as Map<string, unknown>));
  const normalise = (lines: string[]) =>
    lines.filter((l) => !l.startsWith("$._id")).map((l) => l.replace(/ = (\d+)$/, " = n$1"));
  assert.deepEqual(normalise(fields(back)), normalise(fields(doc)));
});
