/**
 * The FHiCL robustness check shared by `scripts/fhicl-fuzz.ts` and the tests: every input must end in a tree or a
 * clean `FhiclSyntaxError` whose position is consistent with the text, in bounded time.
 *
 * @module
 */

import { join, relative } from "node:path";
import { locate } from "../json/location.ts";
import { encodeArtdaq, type JsonObject } from "../json/mod.ts";
import { fhiclToDbJson } from "./dbjson.ts";
import { encodeDbJsonTrees } from "./dbjson_bytes.ts";
import { FhiclSyntaxError } from "./errors.ts";
import { dbJsonToFhicl } from "./export.ts";
import { mutate, Random, randomCommentedText, randomDocument, randomGarbage } from "./generate.ts";
import { parse } from "./mod.ts";
import { print } from "./printer.ts";

/** One fuzz input. */
export interface FuzzInput {
  /** How it was made, e.g. `mutated wib101.fcl x2` (reported with failures). */
  origin: string;
  text: string;
}

/**
 * Outcome of one input: whether the full parser and the artdaq_database conversion accepted it, the time of the
 * parse, the conversion through the model and the export (`ms`), and that of the direct conversion (`directMs`).
 */
export interface FuzzResult {
  parsed: boolean;
  stored: boolean;
  ms: number;
  directMs: number;
}

/** Every `.fcl` file under `dir` (recursively), sorted by path: the real corpus the fuzzer mutates and tests read. */
export function listFcl(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of Deno.readDirSync(d)) {
      const path = join(d, entry.name);
      if (entry.isDirectory) walk(path);
      else if (entry.isFile && entry.name.endsWith(".fcl")) out.push(path);
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * `files` (default: every `.fcl` file under `dir`) read as fuzz inputs, each named by its path relative to `dir`.
 *
 * @example
 * ```ts ignore
 * for (const input of fuzzInputs(1, 100, corpusInputs("fixtures/real"))) checkFuzzInput(input);
 * ```
 */
export function corpusInputs(dir: string, files: string[] = listFcl(dir)): FuzzInput[] {
  return files.map((path) => ({ origin: relative(dir, path), text: Deno.readTextFileSync(path) }));
}

/** An input that crashed, reported a wrong position, or broke an invariant. */
export class FuzzFailure extends Error {}

function checkError(error: unknown, text: string, filename: string, origin: string, step: string): void {
  if (!(error instanceof FhiclSyntaxError)) {
    throw new FuzzFailure(`${origin}: ${step} crashed with ${error instanceof Error ? error.stack : String(error)}`);
  }
  const { offset, location } = error;
  if (!(offset >= 0 && offset <= text.length)) {
    throw new FuzzFailure(`${origin}: ${step} error offset ${offset} outside the text (${text.length})`);
  }
  const expected = locate(text, offset);
  if (expected.line !== location.line || expected.column !== location.column) {
    throw new FuzzFailure(
      `${origin}: ${step} error at ${location.line}:${location.column}, offset says ${expected.line}:${expected.column}`,
    );
  }
  if (!error.message.startsWith(`${filename}:${location.line}:${location.column}: `) || error.message.includes("\n")) {
    throw new FuzzFailure(`${origin}: ${step} error message is not one located line: ${error.message}`);
  }
}

/**
 * True when `#include` appears other than as `#include "file"` at the start of a line. artdaq_database rewrites
 * every `#include\s[^'"]*` match, wherever it is (a comment, after a value, across a line break), and its export
 * can then print text that its own reader rewrites differently; such inputs are not expected to reload.
 */
function hasOddInclude(text: string): boolean {
  for (let at = text.indexOf("#include"); at !== -1; at = text.indexOf("#include", at + 1)) {
    const lineStart = text.lastIndexOf("\n", at) + 1;
    if (text.slice(lineStart, at).trim() !== "" || !/^[ \t]+"/.test(text.slice(at + 8, at + 40))) return true;
  }
  return false;
}

/**
 * Runs one input through the full parser (and printer round trip when it parses) and through FHiCL → DB-JSON →
 * FHiCL. Throws {@link FuzzFailure} on any crash, inconsistent error position or broken round trip.
 */
export function checkFuzzInput(input: FuzzInput): FuzzResult {
  const started = performance.now();
  const filename = "fuzz.fcl";
  let parsed = false;
  try {
    const tree = parse(input.text, { filename });
    parsed = true;
    const printed = print(tree);
    if (print(parse(printed, { filename })) !== printed) {
      throw new FuzzFailure(`${input.origin}: print → parse → print changed the text`);
    }
  } catch (error) {
    if (error instanceof FuzzFailure) throw error;
    checkError(error, input.text, filename, input.origin, "parse");
  }
  let stored = false;
  /** Time spent in the direct conversion and in encoding the reference's trees to compare it. */
  let checking = 0;
  let directMs = 0;
  try {
    const dbJson = fhiclToDbJson(input.text, "fuzz", { sourceName: filename, timestamp: "" });
    [directMs, checking] = timedCheck(input, dbJson);
    const exported = dbJsonToFhicl(dbJson);
    stored = true;
    // A repeated top-level key prints the first occurrence's comment every time (as artdaq_database does), so an
    // export can be far larger than its input; the reload check is skipped for such blown-up exports.
    if (exported.length <= 4 * input.text.length + 10_000 && !hasOddInclude(input.text)) {
      dbJsonToFhicl(fhiclToDbJson(exported, "fuzz", { sourceName: filename, timestamp: "" }));
    }
  } catch (error) {
    if (error instanceof FuzzFailure) throw error;
    if (stored) {
      throw new FuzzFailure(`${input.origin}: the export of an accepted document does not load again: ${error}`);
    }
    checkError(error, input.text, filename, input.origin, "fhiclToDbJson");
    [directMs, checking] = timedCheck(input, null);
  }
  return { parsed, stored, ms: performance.now() - started - checking, directMs };
}

/** {@link checkBytes}, timed: the direct conversion's milliseconds, and those of the whole check. */
function timedCheck(input: FuzzInput, dbJson: JsonObject | null): [number, number] {
  const started = performance.now();
  const encoding = checkBytes(input, dbJson);
  const total = performance.now() - started;
  return [total - encoding, total];
}

/**
 * The direct conversion (dbjson_bytes.ts) against the reference's `dbJson` (null: it refused the text): the same
 * bytes for every tree (and the export's rendering when it made one), or null where the reference refuses; it may
 * leave to the reference only a text with a character past ASCII. Returns the milliseconds spent encoding the reference's trees for the comparison.
 */
function checkBytes(input: FuzzInput, dbJson: JsonObject | null): number {
  const trees = encodeDbJsonTrees(input.text);
  if (dbJson === null) {
    if (trees !== null) {
      throw new FuzzFailure(`${input.origin}: the direct conversion accepted what the reference refuses`);
    }
    return 0;
  }
  if (trees === null) {
    if (!/[^\p{ASCII}]/u.test(input.text)) {
      throw new FuzzFailure(`${input.origin}: the direct conversion left an ASCII text to the reference`);
    }
    return 0;
  }
  const started = performance.now();
  const document = dbJson.get("document") as JsonObject;
  const expected: Array<[string, Uint8Array[], Uint8Array]> = [
    ["document.data", trees.data, encodeArtdaq(document.get("data")!)],
    ["document.metadata", trees.metadata, encodeArtdaq(document.get("metadata")!)],
    ["comments", [trees.comments], encodeArtdaq(dbJson.get("comments")!)],
  ];
  if (trees.fhicl !== null) expected.push(["rendering", trees.fhicl, new TextEncoder().encode(dbJsonToFhicl(dbJson))]);
  for (const [name, parts, bytes] of expected) {
    let at = 0;
    const same = parts.every((part) => {
      for (let i = 0; i < part.length; i++) if (part[i] !== bytes[at + i]) return false;
      at += part.length;
      return true;
    }) && at === bytes.length;
    if (!same) throw new FuzzFailure(`${input.origin}: the direct conversion wrote another ${name} than the reference`);
  }
  return performance.now() - started;
}

/**
 * The deterministic input stream for `seed`: random documents (plain and with comments), one to three mutations
 * of a corpus file, random text over FHiCL's alphabet, and pathological shapes (deep nesting, long runs).
 */
export function* fuzzInputs(seed: number, count: number, corpus: FuzzInput[]): Generator<FuzzInput> {
  const rng = new Random(seed);
  for (let i = 0; i < count; i++) {
    const r = rng.next();
    if (r < 0.2) {
      yield { origin: `case ${i}: random document`, text: print(randomDocument(rng, { multilineStrings: true })) };
    } else if (r < 0.3) {
      yield { origin: `case ${i}: random commented document`, text: randomCommentedText(rng, { storable: true }) };
    } else if (r < 0.85 && corpus.length > 0) {
      const base = rng.pick(corpus);
      let text = base.text;
      const times = 1 + rng.int(3);
      for (let m = 0; m < times; m++) text = mutate(rng, text);
      yield { origin: `case ${i}: ${base.origin} mutated x${times}`, text };
    } else if (r < 0.95) {
      yield { origin: `case ${i}: random text`, text: randomGarbage(rng, 1 + rng.int(3000)) };
    } else {
      yield { origin: `case ${i}: pathological`, text: pathological(rng) };
    }
  }
}

function pathological(rng: Random): string {
  const n = 1000 + rng.int(30000);
  switch (rng.int(8)) {
    case 0:
      return "a: " + "[".repeat(n);
    case 1:
      return "a: " + "{ b: ".repeat(n);
    case 2:
      return 'a: "' + "\\".repeat(n) + '"';
    case 3:
      return "a: [" + "1, ".repeat(n) + "]";
    case 4:
      return "#".repeat(n) + "\n" + "a: 1 ".repeat(n / 5);
    case 5:
      return "a: 1\n".repeat(n / 4);
    case 6:
      return "BEGIN_PROLOG\n" + "p: 1\n".repeat(n / 8) + "END_PROLOG\n" + "p: 2\n".repeat(n / 8);
    default:
      return "'\"".repeat(n / 2) + "# c";
  }
}
