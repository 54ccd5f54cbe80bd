/**
 * FHiCL fuzzing, bench-style: N seeded inputs (random documents, mutations of the real corpus, random text,
 * pathological shapes) each must end in a tree or a clean `FhiclSyntaxError` with a consistent position, and an
 * input of 100 KB or less must take under `--max-ms` (default 1000 ms), through the model and converted directly each.
 *
 * ```
 * deno run -A scripts/fhicl-fuzz.ts [--cases 100000] [--seed 1] [--corpus DIR] [--max-ms 1000]
 * ```
 *
 * Prints progress, then the totals and the slowest input; exits 1 on the first failure (with the input's origin,
 * and the input itself written to `fhicl-fuzz-failure.fcl`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { checkFuzzInput, corpusInputs, fuzzInputs } from "../core/fhicl/fuzz.ts";
import { realFixturesDir } from "../core/paths.ts";

/** Runs the fuzzer; returns the exit code. */
export function run(args: string[]): number {
  const { values } = parseArgs({
    args,
    options: {
      cases: { type: "string", default: "100000" },
      seed: { type: "string", default: "1" },
      corpus: { type: "string", default: realFixturesDir() },
      "max-ms": { type: "string", default: "1000" },
    },
  });
  const cases = Number(values.cases);
  const seed = Number(values.seed);
  const maxMs = Number(values["max-ms"]);
  const corpus = corpusInputs(String(values.corpus));
  console.log(`fhicl-fuzz: ${cases} cases, seed ${seed}, corpus ${corpus.length} files from ${values.corpus}`);
  let parsed = 0, stored = 0, done = 0;
  let slowest = { ms: 0, origin: "", size: 0 };
  const started = performance.now();
  for (const input of fuzzInputs(seed, cases, corpus)) {
    let result;
    try {
      result = checkFuzzInput(input);
    } catch (error) {
      Deno.writeTextFileSync("fhicl-fuzz-failure.fcl", input.text);
      console.error(`FAIL ${error instanceof Error ? error.message : String(error)}`);
      console.error("the input is in fhicl-fuzz-failure.fcl");
      return 1;
    }
    if (result.parsed) parsed++;
    if (result.stored) stored++;
    const ms = Math.max(result.ms, result.directMs);
    if (ms > slowest.ms) slowest = { ms, origin: input.origin, size: input.text.length };
    if (input.text.length <= 100_000 && ms > maxMs) {
      Deno.writeTextFileSync("fhicl-fuzz-failure.fcl", input.text);
      console.error(`FAIL ${input.origin}: ${ms.toFixed(1)} ms for ${input.text.length} characters`);
      return 1;
    }
    if (++done % 10000 === 0) console.log(`  ${done} cases, ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `ok: ${done} cases in ${seconds.toFixed(1)} s; ${parsed} parsed, ${done - parsed} syntax errors; ` +
      `${stored} storable by artdaq_database`,
  );
  console.log(`slowest input: ${slowest.ms.toFixed(1)} ms (${slowest.size} characters, ${slowest.origin})`);
  return 0;
}

if (import.meta.main) Deno.exit(run(Deno.args));
