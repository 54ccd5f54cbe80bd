/**
 * `deno task archive fhicl check|fmt|to-dbjson|from-dbjson FILE`: the FHiCL engine on the command line.
 *
 * ```
 * archive fhicl check FILE|- [--syntax-only]
 * archive fhicl fmt FILE|- [--resolve-includes] [-I DIR]...
 * archive fhicl to-dbjson FILE|- [--name NAME] [--timestamp TS]
 * archive fhicl from-dbjson FILE|-
 * ```
 *
 * - `check`: the file is valid FHiCL **and** artdaq_database can store it (`--syntax-only`: FHiCL only); prints
 *   `FILE: ok`.
 * - `fmt`: the canonical FHiCL of the file (comments are dropped); with `--resolve-includes`, `#include` lines are
 *   replaced by the files found in the `-I` directories (default: the file's directory).
 * - `to-dbjson`: the DB-JSON document artdaq_database's `fhicl_to_json` makes, in its JsonWriter layout, exactly
 *   as the filesystem database stores it (no final newline). `--name` sets `origin.name` (default: the file name
 *   without `.fcl`), `--timestamp` `origin.timestamp` (default: now); the upstream fixtures use
 *   `--name notprovided --timestamp 2017-07-18T12:48:10.123-0500`.
 * - `from-dbjson`: the FHiCL artdaq_database exports for a DB-JSON file (a stored document or a `to-dbjson`
 *   output), byte for byte (no newline is added).
 *
 * Exit codes: 0 ok, 1 bad input (the error names file:line:column and shows the line with a caret), 2 usage.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { basename, dirname } from "node:path";
import { ArchiverError, describeError, RunInputError, UsageError } from "../errors.ts";
import { JsonSyntaxError, parseOrdered } from "../json/parse.ts";
import { stringifyArtdaq } from "../json/stringify.ts";
import { writeStdout } from "../status/stdout.ts";
import { fhiclToDbJson } from "./dbjson.ts";
import { FhiclSyntaxError } from "./errors.ts";
import { dbJsonToFhicl } from "./export.ts";
import { parse, print } from "./mod.ts";

const USAGE = `usage: archive fhicl check FILE|- [--syntax-only]
       archive fhicl fmt FILE|- [--resolve-includes] [-I DIR]...
       archive fhicl to-dbjson FILE|- [--name NAME] [--timestamp YYYY-MM-DDTHH:MM:SS.mmm+hhmm]
       archive fhicl from-dbjson FILE|-`;

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}$/;

/**
 * Entry point of the `fhicl` subcommand; returns the exit code (0 ok, 1 bad input, 2 usage).
 *
 * @example
 * ```ts
 * const code = await main(["to-dbjson", "boot.fcl", "--name", "boot"]);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  try {
    const [action, ...rest] = args;
    switch (action) {
      case "check":
        return await check(rest);
      case "fmt":
        return await fmt(rest);
      case "to-dbjson":
        return await toDbJson(rest);
      case "from-dbjson":
        return await fromDbJson(rest);
      case "--help":
      case "-h":
        console.log(USAGE);
        return 0;
      default:
        throw new UsageError(`unknown fhicl action '${action ?? ""}'\n${USAGE}`);
    }
  } catch (error) {
    const code = error instanceof ArchiverError ? error.exitCode : 1;
    let text: string;
    if (error instanceof FhiclSyntaxError) text = error.report();
    else if (error instanceof JsonSyntaxError) text = `${error.message}\n${error.excerpt}`;
    else if (error instanceof UsageError) text = error.message;
    else text = describeError(error);
    console.error(`error: ${text}`);
    return code;
  }
}

type FlagSpec = Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }>;

function parseFlags(args: string[], options: FlagSpec) {
  try {
    const parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
    if (parsed.positionals.length !== 1) throw new UsageError(`expected exactly one FILE (or -)\n${USAGE}`);
    return { values: parsed.values as Record<string, unknown>, file: parsed.positionals[0] };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${describeError(error)}\n${USAGE}`);
  }
}

/** Reads FILE (or stdin for `-`) as UTF-8; a missing or unreadable file is bad input (exit 1). */
async function readInput(file: string): Promise<string> {
  try {
    if (file === "-") return await new Response(Deno.stdin.readable).text();
    return await Deno.readTextFile(file);
  } catch (error) {
    throw new RunInputError(`cannot read ${file}: ${describeError(error)}; check the path`);
  }
}

function displayName(file: string): string {
  return file === "-" ? "<stdin>" : file;
}

async function check(args: string[]): Promise<number> {
  const { values, file } = parseFlags(args, { "syntax-only": { type: "boolean" } });
  const text = await readInput(file);
  const document = parse(text, { filename: displayName(file) });
  if (!values["syntax-only"]) fhiclToDbJson(text, "check", { sourceName: displayName(file), timestamp: "" });
  writeStdout(`${displayName(file)}: ok (${document.entries.length} top-level entries)\n`);
  return 0;
}

async function fmt(args: string[]): Promise<number> {
  const { values, file } = parseFlags(args, {
    "resolve-includes": { type: "boolean" },
    include: { type: "string", short: "I", multiple: true },
  });
  const text = await readInput(file);
  const includes = values.include as string[] | undefined;
  const document = parse(text, {
    filename: displayName(file),
    resolveIncludes: Boolean(values["resolve-includes"]),
    includePath: includes && includes.length > 0 ? includes : [file === "-" ? "." : dirname(file)],
  });
  writeStdout(print(document));
  return 0;
}

async function toDbJson(args: string[]): Promise<number> {
  const { values, file } = parseFlags(args, { name: { type: "string" }, timestamp: { type: "string" } });
  const timestamp = values.timestamp as string | undefined;
  if (timestamp !== undefined && !TIMESTAMP.test(timestamp)) {
    throw new UsageError(`--timestamp must look like 2024-03-04T12:05:01.337-0600, not '${timestamp}'`);
  }
  const text = await readInput(file);
  const name = (values.name as string | undefined) ?? (file === "-" ? "notprovided" : basename(file, ".fcl"));
  const document = fhiclToDbJson(text, name, { sourceName: displayName(file), timestamp });
  writeStdout(stringifyArtdaq(document));
  return 0;
}

async function fromDbJson(args: string[]): Promise<number> {
  const { file } = parseFlags(args, {});
  const text = await readInput(file);
  let fhicl: string;
  try {
    fhicl = dbJsonToFhicl(parseOrdered(text, { source: displayName(file) }));
  } catch (error) {
    if (error instanceof RunInputError) {
      throw new RunInputError(`${displayName(file)}: ${error.message}`);
    }
    throw error;
  }
  writeStdout(fhicl);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
