/**
 * A small deterministic sample of the fuzzer (scripts/fhicl-fuzz.ts runs 100 000 cases): every input ends in a
 * tree or a located FhiclSyntaxError, quickly.
 */
import { checkFuzzInput, corpusInputs, FuzzFailure, type FuzzInput, fuzzInputs } from "../../core/fhicl/fuzz.ts";
import { FhiclSyntaxError, fhiclToDbJson, parse } from "../../core/fhicl/mod.ts";
import { assertEquals, assertOk, assertThrows } from "../json/_assert.ts";
import { listFcl, REAL_FIXTURES } from "./_corpus.ts";

const corpus: FuzzInput[] = corpusInputs(REAL_FIXTURES, listFcl(REAL_FIXTURES).filter((_, i) => i % 10 === 0));

Deno.test("fuzz sample: 1500 seeded cases end in a tree or a consistent FhiclSyntaxError within 1 s each", () => {
  let parsed = 0, errors = 0, slowest = 0;
  for (const input of fuzzInputs(20261129, 1500, corpus)) {
    const result = checkFuzzInput(input);
    if (result.parsed) parsed++;
    else errors++;
    slowest = Math.max(slowest, result.ms, result.directMs);
  }
  // Both outcomes must be exercised for the sample to mean anything.
  assertOk(parsed > 200 && errors > 200, `parsed ${parsed}, errors ${errors}`);
  assertOk(slowest < 1000, `slowest input took ${slowest} ms`);
});

Deno.test("the fuzz check itself fails on a crash or a wrong position", () => {
  // A correct error passes; the checker rejects inputs only through FuzzFailure.
  assertEquals(checkFuzzInput({ origin: "ok", text: "a: [1," }).parsed, false);
  const error = assertThrows(() => parse("a: [1,", { filename: "f.fcl" }), FhiclSyntaxError);
  assertEquals(error.location.line, 1);
  assertThrows(() => checkFuzzInput({ origin: "crash", text: null as unknown as string }), FuzzFailure, "crashed");
});

Deno.test("errors from the artdaq_database dialect point into the text as written, #include lines included", () => {
  const error = assertThrows(
    () => fhiclToDbJson('x: 1\n#include "a.fcl" y: [1,]\n', "b", { sourceName: "b.fcl" }),
    FhiclSyntaxError,
    "trailing ','",
  );
  assertEquals([error.location.line, error.location.column], [2, 24]);
  assertEquals(error.excerpt, '#include "a.fcl" y: [1,]\n                       ^');
});
