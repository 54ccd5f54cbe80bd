/**
 * artdaq_database conformance: the §5.9 fixture pairs and the worked example of artdaq-database.md §3.2/§5.5.
 */
import { join } from "node:path";
import { dbJsonToFhicl, fhiclToDbJson } from "../../core/fhicl/mod.ts";
import { type JsonObject, parseOrdered, stringifyArtdaq } from "../../core/json/mod.ts";
import { assertEquals, assertOk } from "../json/_assert.ts";
import { FCL2DBJSON, FIXTURE_TIMESTAMP, listFcl } from "./_corpus.ts";

const dataOf = (doc: JsonObject) => (doc.get("document") as JsonObject).get("data") as JsonObject;
const toDb = (text: string) => fhiclToDbJson(text, "notprovided", { timestamp: FIXTURE_TIMESTAMP });

Deno.test("RoundConvert_Fhicl2DBJson: canonical fcl → DB-JSON → fcl is byte-identical", () => {
  const files = [...listFcl(join(FCL2DBJSON, "test003")), join(FCL2DBJSON, "test002/test001.fcl")];
  assertEquals(files.length, 14);
  for (const file of files) {
    const text = Deno.readTextFileSync(file);
    assertEquals(dbJsonToFhicl(toDb(text)), text, file);
  }
});

Deno.test("lbne prolog source (test006/test008.fcl) → store → export equals the upstream canonical test003/test011.fcl", () => {
  // Covers #include keys inside the prolog, the duplicate rce_standard (table, then string), @local references,
  // dotted top-level keys and the comment rules, on a real configuration.
  const source = Deno.readTextFileSync(join(FCL2DBJSON, "test006/test008.fcl"));
  assertEquals(dbJsonToFhicl(toDb(source)), Deno.readTextFileSync(join(FCL2DBJSON, "test003/test011.fcl")));
});

Deno.test("lbne prolog source → stored JSON text matches upstream test006/test008.json (length, tail, key parts)", () => {
  // Only the last 2 255 characters of the 18 255-character upstream file are kept (`.json.tail`); with the total
  // length and the distinctive parts below, that pins the JsonWriter text of a prolog with includes and duplicates.
  const stored = stringifyArtdaq(toDb(Deno.readTextFileSync(join(FCL2DBJSON, "test006/test008.fcl"))));
  assertEquals(stored.length, 18255);
  assertOk(stored.endsWith(Deno.readTextFileSync(join(FCL2DBJSON, "test006/test008.json.tail"))), "tail differs");
  for (
    const part of [
      '{\n"document" : {\n"data" : {\n"prolog" : {\n"fhicl_pound_include_0" : "metrics.fcl",\n"rce_standard" : {\n' +
      '"metrics" : "@local::metrics",\n"max_fragment_size_words" : "1048576",',
      '"daq" : "@local::rce_standard",\n"fhicl_pound_include_1" : "rce_expert_run_options.fcl",\n' +
      '"fhicl_pound_include_2" : "user_run_options.fcl",\n"rce_standard" : "@local::daq",\n',
      '"rce04_standard.fragment_receiver.receive_port" : "7995"\n},\n"main" : {\n"rce05_standard" : "@local::rce_standard",',
      '"sleep_on_stop_us" : {\n"type" : "number",\n"comment" : "#    board_id: -1",\n"annotation" : ""\n},',
      '"rce_daq_mode" : {\n"type" : "string_singlequoted",\n"comment" : "# Configuration file",\n' +
      '"annotation" : "# Can be one of Burst, Scope, Trigger"\n},',
      '"daq" : {\n"type" : "string_unquoted",\n"comment" : "",\n"annotation" : ""\n},\n"fhicl_pound_include_1" : {\n' +
      '"type" : "string_doublequoted",',
    ]
  ) assertOk(stored.includes(part), part);
});

Deno.test("Convert_Fhicl2DBJson: fcl → DB-JSON equals the expected JSON (order- and type-sensitive)", () => {
  const bases = ["test001/test003", "test001/test004", "test001/test005", "test006/test007"];
  for (const base of bases) {
    const text = Deno.readTextFileSync(join(FCL2DBJSON, base + ".fcl"));
    const expected = parseOrdered(Deno.readTextFileSync(join(FCL2DBJSON, base + ".json")), { source: base });
    // Writing both through the same writer compares keys, order and value types but not whitespace.
    assertEquals(stringifyArtdaq(toDb(text)), stringifyArtdaq(expected), base);
  }
});

Deno.test("RoundConvert_DBJson2Fhicl: DB-JSON → fcl → DB-JSON is equal", () => {
  for (const file of listFcl(FCL2DBJSON)) {
    const first = toDb(Deno.readTextFileSync(file));
    const fcl = dbJsonToFhicl(first);
    const second = toDb(fcl);
    // Data, types and annotations survive; comments may move once (§5.3), after which the export is fixed.
    assertEquals(stringifyArtdaq(dataOf(second)), stringifyArtdaq(dataOf(first)), file);
    assertEquals(dbJsonToFhicl(second), fcl, file);
  }
});

const BOOT = `# DAQ boot settings
daq_setup_script: "/home/nfs/icarus/setup.sh"   # sourced first
debug_level: 1
hosts: [ "evb01", evb02 ]
limits: { max_events: 10 rate: 2.5 } // per run
`;

Deno.test("worked example of artdaq-database.md §3.2 and §5.5, byte for byte", () => {
  const doc = fhiclToDbJson(BOOT, "boot", { timestamp: "2024-03-04T12:05:01.337-0600" });
  const stored = stringifyArtdaq(doc);
  // The stored document part (§3.2) in JsonWriter layout.
  const expectedDocument = [
    '"document" : {\n"data" : {\n"prolog" : {\n\n},\n"main" : {\n"daq_setup_script" : "/home/nfs/icarus/setup.sh",',
    '"debug_level" : "1",\n"hosts" : [\n"evb01",\n"evb02"\n],\n"limits" : {\n"max_events" : "10",\n"rate" : "2.5"\n}\n}\n},',
    '"metadata" : {\n"prolog" : {\n"type" : "table",\n"comment" : "#prolog",\n"children" : {\n\n}\n},',
    '"main" : {\n"type" : "table",\n"comment" : "#main",\n"children" : {\n"daq_setup_script" : {',
    '"type" : "string_doublequoted",\n"comment" : "# DAQ boot settings",\n"annotation" : "# sourced first"\n},',
    '"debug_level" : {\n"type" : "number",\n"comment" : "# sourced first",\n"annotation" : ""\n},',
    '"hosts" : {\n"type" : "sequence",\n"comment" : "",\n"annotation" : "",\n"children" : {\n"0" : {',
    '"type" : "string_doublequoted",\n"comment" : "",\n"annotation" : ""\n},\n"1" : {\n"type" : "string_unquoted",',
    '"comment" : "",\n"annotation" : ""\n}\n}\n},\n"limits" : {\n"type" : "table",\n"comment" : "",\n"children" : {',
    '"max_events" : {\n"type" : "number",\n"comment" : "",\n"annotation" : "// per run"\n},\n"rate" : {',
    '"type" : "number",\n"comment" : "",\n"annotation" : "// per run"\n}\n}\n}\n}\n}\n}\n},',
    '"comments" : [\n{\n"linenum" : 1,\n"value" : "# DAQ boot settings"\n},\n{\n"linenum" : 2,',
    '"value" : "# sourced first"\n},\n{\n"linenum" : 5,\n"value" : "// per run"\n}\n],',
    '"origin" : {\n"format" : "fhicl",\n"name" : "boot",\n"source" : "fhicl_to_json",',
    '"timestamp" : "2024-03-04T12:05:01.337-0600"\n},\n"version" : "notprovided",\n"entities" : [\n\n],',
    '"configurations" : [\n\n]\n}',
  ].join("\n");
  assertEquals(stored, "{\n" + expectedDocument);
  assertEquals(
    dbJsonToFhicl(doc),
    '# DAQ boot settings\ndaq_setup_script: "/home/nfs/icarus/setup.sh" # sourced first\n# sourced first\n' +
      'debug_level: 1 \n\nhosts: ["evb01", evb02] \n\nlimits: {\n\nmax_events: 10 // per run\n\nrate: 2.5 // per run\n\n}',
  );
});

Deno.test("export special cases: duplicate table→string key, includes, protections, legacy types", () => {
  const text = 'BEGIN_PROLOG\n#include "m.fcl"\nt: { a: 1 }\nt: @local::x\nEND_PROLOG\np @protect_ignore: { q: 1 }\n';
  const doc = toDb(text);
  const fcl = dbJsonToFhicl(doc);
  assertEquals(
    fcl,
    'BEGIN_PROLOG\n \n#include "m.fcl" \n\nt: {\n\na: 1 \n\n}\nt: @local::x\nEND_PROLOG\n\np @protect_ignore: {\n\nq @protect_ignore: 1 \n\n}',
  );
  // Old documents: the `string` type quotes values with special characters; JSON numbers/booleans are printed.
  const legacy = parseOrdered(
    '{"document":{"data":{"prolog":{},"main":{"a":"x-y","b":"plain","c":3,"d":true,"e":1.23456}},' +
      '"metadata":{"prolog":{"children":{}},"main":{"children":{' +
      '"a":{"type":"string","comment":" ","annotation":" "},"b":{"type":"string","comment":"","annotation":""},' +
      '"c":{"type":"number","comment":"","annotation":""},"d":{"type":"bool","comment":"","annotation":""},' +
      '"e":{"type":"number","comment":"","annotation":""}}}}}}',
  );
  assertEquals(dbJsonToFhicl(legacy), ' \na: "x-y"  \n\nb: plain \n\nc: 3 \n\nd: true \n\ne: 1.235 \n');
});
