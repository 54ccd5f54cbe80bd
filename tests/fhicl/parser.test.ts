/**
 * The FHiCL parser and printer: language features, located errors, include resolution, the real corpus.
 */
import { join } from "node:path";
import {
  type FhiclAtom,
  type FhiclBinding,
  type FhiclSequence,
  FhiclSyntaxError,
  type FhiclTable,
  parse,
  print,
} from "../../core/fhicl/mod.ts";
import { RunInputError } from "../../core/errors.ts";
import { assertEquals, assertOk, assertThrows } from "../json/_assert.ts";
import { listFcl, REAL_FIXTURES } from "./_corpus.ts";
import { shape } from "./_shape.ts";

function binding(text: string, index = 0): FhiclBinding {
  const entry = parse(text).entries[index];
  assertOk(entry.kind === "binding", `entry ${index} is a ${entry.kind}`);
  return entry;
}

function atom(text: string): FhiclAtom {
  const value = binding(text).value;
  assertOk(value.kind === "atom");
  return value;
}

Deno.test("scalars keep their kind and exact spelling", () => {
  const cases: Array<[string, string, string]> = [
    ["a: 14", "number", "14"],
    ["a: .68", "number", ".68"],
    ["a: -0.45600E+3", "number", "-0.45600E+3"],
    ["a: 1.2e8", "number", "1.2e8"],
    ["a: 0x2097152", "number", "0x2097152"],
    ["a: 0xDeAdBEEF", "number", "0xDeAdBEEF"],
    ["a: 0b1011", "number", "0b1011"],
    ["a: 123456789012345678901234567890", "number", "123456789012345678901234567890"],
    ["a: -infinity", "number", "-infinity"],
    ["a: infinity", "number", "infinity"],
    ["a: true", "bool", "true"],
    ["a: TRUE", "string_unquoted", "TRUE"],
    ["a: @nil", "nil", "@nil"],
    ["a: (1.23, -0.45)", "complex", "(1.23, -0.45)"],
    ['a: "x\\"y#z"', "string_doublequoted", 'x\\"y#z'],
    ["a: 'x\"y'", "string_singlequoted", 'x"y'],
    ["a: '{\n \"ctb\": {\n # not a comment\n }\n}'", "string_singlequoted", '{\n "ctb": {\n # not a comment\n }\n}'],
    ["a: ToySimulator", "string_unquoted", "ToySimulator"],
    ["a: @local::daq.fragment_receiver", "reference", "@local::daq.fragment_receiver"],
    ["a: @local::x[0].y", "reference", "@local::x[0].y"],
    ["a: @table::x", "reference", "@table::x"],
    ["a: @sequence::s", "reference", "@sequence::s"],
    ["a: @id::0123abc", "reference", "@id::0123abc"],
    ["a: @erase", "reference", "@erase"],
  ];
  for (const [text, type, spelling] of cases) {
    const value = atom(text);
    assertEquals([value.type, value.text], [type, spelling], text);
  }
});

Deno.test("structure: tables, sequences, prolog, includes, keys, modifiers, duplicates", () => {
  const text = [
    '#include "top.fcl"',
    "BEGIN_PROLOG",
    "  std: { x: 1 }",
    "END_PROLOG",
    "daq.fragment_receiver.WIB.FEMBs[0].FEMB_channel_map: 0",
    "t @protect_ignore: 1",
    "u @protect_error : 2",
    "v @initial: 3",
    "daq:",
    "{",
    '\t#include "inner.fcl"',
    "  @table::std",
    '  host:"192.168.191.18" port :5 // comment',
    "  m: [ [0, 0], # row 0",
    "       [1, 2] ]",
    "  s: [ { host: a rank: 0 }, {} , [] ]",
    "}",
    "daq: 2",
    "services.TimeTracker: @erase",
    "last: 1",
  ].join("\n"); // no final newline
  const doc = parse(text, { filename: "x.fcl" });
  const kinds = doc.entries.map((e) => e.kind === "binding" ? e.key : e.kind);
  assertEquals(kinds, [
    "include",
    "prolog",
    "daq.fragment_receiver.WIB.FEMBs[0].FEMB_channel_map",
    "t",
    "u",
    "v",
    "daq",
    "daq",
    "services.TimeTracker",
    "last",
  ]);
  const modifiers = doc.entries.slice(3, 6).map((e) => (e as FhiclBinding).modifier);
  assertEquals(modifiers, ["@protect_ignore", "@protect_error", "@initial"]);
  const daq = (doc.entries[6] as FhiclBinding).value as FhiclTable;
  assertEquals(daq.entries.map((e) => e.kind === "binding" ? e.key : e.kind), [
    "include",
    "splice",
    "host",
    "port",
    "m",
    "s",
  ]);
  const m = (daq.entries[4] as FhiclBinding).value as FhiclSequence;
  assertEquals(m.items.map((row) => (row as FhiclSequence).items.length), [2, 2]);
});

Deno.test("printer: parse → print → parse gives the same tree, and printing is idempotent", () => {
  const text = 'BEGIN_PROLOG\nx: { y: [1, "a", \'b\', {c: @nil}] }\nEND_PROLOG\n#include "f.fcl"\n' +
    "a.b[1] @protect_ignore: (1,2)\nt: { @table::x u: [] v: {} w: [[1],[2, 3]] }\n";
  const doc = parse(text);
  const printed = print(doc);
  assertEquals(shape(parse(printed)), shape(doc));
  assertEquals(print(parse(printed)), printed);
  assertEquals(print(parse("a:{b:[1,'x']}")), "a: {\n  b: [1, 'x']\n}\n");
});

function errorAt(text: string, line: number, column: number, includes: string): FhiclSyntaxError {
  const error = assertThrows(
    () => parse(text, { filename: "bad.fcl" }),
    FhiclSyntaxError,
    includes,
    JSON.stringify(text),
  );
  assertEquals(
    [error.location.line, error.location.column],
    [line, column],
    `${JSON.stringify(text)}: ${error.message}`,
  );
  assertOk(error.message.startsWith(`bad.fcl:${line}:${column}: `), error.message);
  assertOk(!error.message.includes("\n"), "message is one line");
  return error;
}

Deno.test("syntax errors name file:line:column and show the line with a caret", () => {
  const error = errorAt("a: 1\n\tb: [1, 2,]\n", 2, 11, "trailing ','");
  assertEquals(error.excerpt, "\tb: [1, 2,]\n\t         ^");
  assertEquals(error.report(), error.message + "\n" + error.excerpt);
  assertOk(error instanceof RunInputError);
  errorAt("a 1", 1, 3, "expected ':'");
  errorAt("a: {\n b: 1\n", 1, 4, "missing '}'");
  errorAt("a: [1, 2", 1, 4, "missing ']'");
  errorAt('a: "abc', 1, 4, "unterminated double-quoted string");
  errorAt("a: 'abc", 1, 4, "unterminated single-quoted string");
  errorAt("a: 1abc", 1, 4, "invalid number");
  errorAt("a: 1 2", 1, 6, "expected a key");
  errorAt("a: }", 1, 4, "expected a value");
  errorAt("a:", 1, 3, "expected a value, found end of file");
  errorAt("x: 1\n}", 2, 1, 'unexpected "}"');
  errorAt("a: (1, )", 1, 8, "expected a real number");
  errorAt("a @bogus: 1", 1, 3, "unknown binding modifier");
  errorAt("a: @bogus::x", 1, 4, "unknown directive");
  errorAt("BEGIN_PROLOG\na: 1\n", 3, 1, "missing END_PROLOG");
  errorAt("END_PROLOG\n", 1, 1, "END_PROLOG without BEGIN_PROLOG");
  errorAt('#include "a.fcl" x\n', 1, 18, "after #include");
  errorAt("a.: 1", 1, 3, "expected a name after '.'");
  errorAt('a: "x"y', 1, 7, "after the value");
  errorAt("a: " + "[".repeat(600) + "]".repeat(600), 1, 504, "nesting deeper");
});

Deno.test("includes: resolved from the search path, in tables and prologs; cycles and missing files are errors", () => {
  const files: Record<string, string> = {
    "/cfg/a.fcl": 'x: 1\n#include "b.fcl"\n',
    "/cfg/b.fcl": "y: 2\n",
    "/cfg/p.fcl": "BEGIN_PROLOG\nq: 1\nEND_PROLOG\n",
    "/cfg/loop.fcl": '#include "loop.fcl"\n',
  };
  const readFile = (path: string) => files[path];
  const doc = parse('t: {\n#include "a.fcl"\n}\n#include "p.fcl"\n', {
    filename: "/cfg/main.fcl",
    resolveIncludes: true,
    readFile,
  });
  assertEquals(print(doc), "t: {\n  x: 1\n  y: 2\n}\nBEGIN_PROLOG\n  q: 1\nEND_PROLOG\n");
  assertThrows(
    () => parse('#include "nope.fcl"', { filename: "/cfg/m.fcl", resolveIncludes: true, readFile }),
    FhiclSyntaxError,
    'cannot find included file "nope.fcl"',
  );
  assertThrows(
    () => parse('#include "loop.fcl"', { filename: "/cfg/m.fcl", resolveIncludes: true, readFile }),
    FhiclSyntaxError,
    "circular #include",
  );
  assertThrows(
    () => parse('t: {\n#include "p.fcl"\n}', { filename: "/cfg/m.fcl", resolveIncludes: true, readFile }),
    FhiclSyntaxError,
    "has a prolog and is included in a table",
  );
});

Deno.test("includes against the real corpus: DAQInterface's expansion of dune_sample_system gives the same tree", () => {
  const configDir = join(REAL_FIXTURES, "artdaq_daqinterface/simple_test_config/dune_sample_system");
  const recordDir = join(REAL_FIXTURES, "run_records/1342");
  for (const name of ["DFO.fcl", "EventBuilder1.fcl", "DataLogger1.fcl"]) {
    const resolved = parse(Deno.readTextFileSync(join(configDir, name)), {
      filename: join(configDir, name),
      resolveIncludes: true,
    });
    const expanded = parse(Deno.readTextFileSync(join(recordDir, name)), { filename: join(recordDir, name) });
    assertEquals(shape(resolved), shape(expanded), name);
  }
});

Deno.test("every .fcl under the real fixtures parses, and prints back to the same tree", () => {
  const files = listFcl(REAL_FIXTURES);
  assertOk(files.length >= 600, `only ${files.length} .fcl files found under ${REAL_FIXTURES}`);
  for (const file of files) {
    const doc = parse(Deno.readTextFileSync(file), { filename: file });
    assertEquals(shape(parse(print(doc), { filename: file })), shape(doc), file);
  }
});
