/**
 * TEST DOUBLES of artdaq_database's `bulkloader` and `bulkdownloader` (the C++ tools cannot be built here,
 * artdaq-database.md §9). They follow the documented command-line contract of §7 — options, required arguments,
 * exit statuses, output lines, the `-t 0` crash, the output layout — and read and write the database named by
 * `ARTDAQ_DATABASE_URI` through our conftool plugin's backend, documents built exactly as `store` builds them. They
 * exist so that the bulk-tools store can be tested end to end; never install them as the real tools.
 *
 * Differences from the real tools, on purpose: documents are written one collection at a time whatever `-t` says
 * (the real threads race on `index.json`), an unset `ARTDAQ_DATABASE_URI` is an error (the real tools fall back
 * to a default database), and `-d` only validates its argument.
 *
 * @module
 */

import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fhiclToDbJson } from "../../core/fhicl/mod.ts";
import type { StoredDocument } from "../../plugins/artdaqdb-conftool/backend.ts";
import { buildStoredDocument } from "../../plugins/artdaqdb-conftool/document.ts";
import { exportDocuments } from "../../plugins/artdaqdb-conftool/export.ts";
import { randomOid } from "../../plugins/artdaqdb-conftool/ids.ts";
import { createBackend } from "../../plugins/artdaqdb-conftool/mod.ts";
import { fileStem, RUN_HISTORY, SCHEMA_ENTITY, SYSTEM_LAYOUT } from "../../plugins/artdaqdb-conftool/schema_rules.ts";
import { systemClock } from "../../plugins/artdaqdb-conftool/timestamp.ts";

/** Exit statuses of `SharedCommon/process_exit_codes.h`. */
const EXIT = { ok: 0, failure: 1, badSyntax: 128, noPath: 129, noConfig: 130, noRun: 131, sigfpe: 136, uncaught: 144 };

/** Parsed command line. */
interface Arguments {
  path: string;
  run: number;
  configuration: string;
  threads: number;
}

const OPTIONS: Record<string, string> = {
  p: "path",
  r: "run",
  c: "configuration",
  t: "threads",
  d: "debug",
  h: "help",
};

/** Parses like Boost.Program_options: `-p x`, `-px`, `--path x`, `--path=x`; returns an exit status on error. */
function parse(tool: string, argv: readonly string[]): Arguments | number {
  const values = new Map<string, string>();
  const allowed = tool === "bulkloader" ? Object.values(OPTIONS) : Object.values(OPTIONS).filter((o) => o !== "debug");
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    let name: string | undefined;
    let value: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      if (eq >= 0) value = arg.slice(eq + 1);
    } else if (arg.startsWith("-") && arg.length >= 2) {
      name = OPTIONS[arg[1]];
      if (arg.length > 2) value = arg.slice(2);
    }
    if (!name || !allowed.includes(name)) return usageError(tool, `unrecognised option '${arg}'`);
    if (name === "help") {
      console.log(usage(tool));
      return EXIT.failure;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) return usageError(tool, `the required argument for option '--${name}' is missing`);
    }
    if (values.has(name)) return usageError(tool, `option '--${name}' cannot be specified more than once`);
    values.set(name, value);
  }
  if (!values.has("path")) return missing(tool, "path", EXIT.noPath);
  if (!values.has("configuration")) return missing(tool, "configuration", EXIT.noConfig);
  if (!values.has("run")) return missing(tool, "run", EXIT.noRun);
  const unsigned = (text: string): number | null => /^\d+$/.test(text) ? Number(text) : null;
  const run = unsigned(values.get("run")!);
  if (run === null) return usageError(tool, `the argument ('${values.get("run")}') for option '--run' is invalid`);
  const threadsText = values.get("threads") ?? String(navigator.hardwareConcurrency || 1);
  const threads = unsigned(threadsText);
  if (threads === null) return usageError(tool, `the argument ('${threadsText}') for option '--threads' is invalid`);
  const debug = values.get("debug");
  if (debug !== undefined && !/^(true|false|1|0|yes|no|on|off)$/.test(debug)) {
    return usageError(tool, `the argument ('${debug}') for option '--debug' is invalid`);
  }
  return { path: values.get("path")!, run, configuration: values.get("configuration")!, threads };
}

function usage(tool: string): string {
  return `Usage: ${tool} -p <path> -r <run> -c <configuration> [-t <threads>]${
    tool === "bulkloader" ? " [-d <bool>]" : ""
  }\n  (test double of artdaq_database's ${tool})`;
}

function usageError(tool: string, message: string): number {
  console.error(`Exception from command line processing in ${tool}: ${message}`);
  console.error(usage(tool));
  return EXIT.badSyntax;
}

function missing(tool: string, name: string, code: number): number {
  console.error(`Exception from command line processing in ${tool}: the option '--${name}' is required but missing`);
  return code;
}

/** The real tools compute a per-thread share and an average: `-t 0` or no files divide by zero (SIGFPE). */
function sigfpe(): number {
  console.error("Floating point exception");
  return EXIT.sigfpe;
}

function backend() {
  const uri = Deno.env.get("ARTDAQ_DATABASE_URI");
  if (!uri) throw new Error("ARTDAQ_DATABASE_URI is not set (test double: no default database)");
  // The URI never travels in argv; the backend reads it from the environment exactly as the tools do.
  return createBackend({ database_uri: "" }, { durable: false });
}

/** Every regular file under `root` whose path contains `.fcl` (`rfind(".fcl")`), recursively. */
async function fclFiles(root: string, relative = ""): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(root, relative), { withFileTypes: true })) {
    const path = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...await fclFiles(root, path));
    else if (entry.isFile() && path.includes(".fcl")) out.push(path);
  }
  return out.sort();
}

/** `bulkloader`: loads every `.fcl` under `-p` as `<run>/<config>`, version = configuration. */
export async function bulkloader(argv: readonly string[]): Promise<number> {
  const args = parse("bulkloader", argv);
  if (typeof args === "number") return args;
  if (args.threads === 0) return sigfpe();
  const started = performance.now();
  const files = await fclFiles(args.path);
  if (files.length === 0) return sigfpe();
  const db = backend();
  try {
    await db.ensureDatabase();
    const configuration = `${args.run}/${args.configuration}`;
    const byCollection = new Map<string, StoredDocument[]>();
    const failures: string[] = [];
    for (const file of files) {
      try {
        const isSchema = file.includes("schema.fcl");
        const entity = isSchema ? SCHEMA_ENTITY : fileStem(file);
        const collection = isSchema ? SYSTEM_LAYOUT : RUN_HISTORY;
        const timestamp = systemClock();
        const text = await readFile(join(args.path, file), "utf8");
        const id = randomOid();
        const doc = buildStoredDocument(fhiclToDbJson(text, entity, { timestamp }), {
          collection,
          configuration,
          version: configuration,
          entity,
          run: String(args.run),
          id,
          timestamp,
        });
        const list = byCollection.get(collection) ?? [];
        list.push({ collection, id, doc });
        byCollection.set(collection, list);
      } catch (error) {
        console.error(`Failed loading file:${join(args.path, file)}`);
        console.error(`Error message:${(error as Error).message.split("\n")[0]}`);
        failures.push(file);
      }
    }
    for (const [collection, documents] of byCollection) await db.upsert(collection, documents);
    const ms = Math.round(performance.now() - started);
    console.log(`Loaded ${files.length - failures.length} files with ${args.threads} threads in ${ms} msecs.`);
    console.log(`Avarage file load time is ${(ms / files.length).toFixed(3)} msecs.`);
    if (failures.length > 0) {
      console.error(`Error: Failed to load ${failures.length} file(s).`);
      return EXIT.failure;
    }
    return EXIT.ok;
  } finally {
    await db.close();
  }
}

/** `bulkdownloader`: writes `<run>/<config>` under `-p`, SystemLayout at the top, the rest under the config prefix. */
export async function bulkdownloader(argv: readonly string[]): Promise<number> {
  const args = parse("bulkdownloader", argv);
  if (typeof args === "number") return args;
  if (args.threads === 0) return sigfpe();
  const started = performance.now();
  const db = backend();
  try {
    const configuration = `${args.run}/${args.configuration}`;
    const documents = await db.findConfiguration(configuration);
    if (documents.length === 0) {
      console.error(`Error: failed to build the composition of configuration ${configuration}: no documents`);
      return EXIT.failure;
    }
    const byCollection = new Map<string, StoredDocument[]>();
    for (const stored of documents) {
      const list = byCollection.get(stored.collection) ?? [];
      list.push(stored);
      byCollection.set(stored.collection, list);
    }
    const prefix = args.configuration.replace(/\d+$/, "");
    let count = 0;
    for (const [collection, stored] of byCollection) {
      // Per collection, so that `load` picks each entity's greatest version exactly as exportDocuments does.
      for (const file of exportDocuments(stored).files) {
        const target = collection === SYSTEM_LAYOUT ? join(args.path, file.path) : join(args.path, prefix, file.path);
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, file.data);
        count++;
      }
    }
    const ms = Math.round(performance.now() - started);
    console.log(`Downloaded ${count} files with ${args.threads} threads in ${ms} msecs.`);
    return EXIT.ok;
  } finally {
    await db.close();
  }
}

/** Runs `tool` as a process would: uncaught exceptions become exit status 144, as in the C++ `main`. */
export async function run(tool: "bulkloader" | "bulkdownloader", argv: readonly string[]): Promise<number> {
  try {
    return await (tool === "bulkloader" ? bulkloader(argv) : bulkdownloader(argv));
  } catch (error) {
    console.error(`Exception caught in ${tool}: ${(error as Error).message.split("\n")[0]}`);
    return EXIT.uncaught;
  }
}
