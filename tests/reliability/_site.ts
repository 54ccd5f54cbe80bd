/**
 * Reliability-test sites: the pipeline's end-to-end site (tests/pipeline/_e2e.ts: run records, filesystemdb,
 * embedded UconDB, the CLI as a subprocess, the "archived exactly once, verified" check) plus what these tests
 * need on top: hundreds of runs made cheaply, the sink pointed at another server, and the state read back.
 *
 * @module
 */
import { join } from "node:path";
import { REPO_ROOT } from "../../core/paths.ts";
import type { Site } from "../pipeline/_e2e.ts";

export { addRun, checkArchived, cli, cliCommand, inspect, makeSite, type Site } from "../pipeline/_e2e.ts";

/** The fixture copied under new run numbers (20 files, ~84 kB, complete with a stop time). */
export const TEMPLATE_RUN = "11001";

/**
 * Add runs as hard links of fixture run `from`: 200 runs in well under a second instead of seconds of copying.
 * Only for runs the test never modifies (a chmod would reach the fixture).
 */
export async function linkRuns(site: Site, runs: number[], from = TEMPLATE_RUN): Promise<void> {
  const source = join(REPO_ROOT, "fixtures/run_records", from);
  const names: string[] = [];
  for await (const entry of Deno.readDir(source)) if (entry.isFile) names.push(entry.name);
  await Promise.all(runs.map(async (run) => {
    const target = join(site.records, String(run));
    await Deno.mkdir(target, { recursive: true });
    for (const name of names) await Deno.link(join(source, name), join(target, name));
  }));
}

/** Consecutive run numbers `first .. first+count-1`. */
export function runRange(first: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => first + i);
}

/**
 * Point the site's sink at `serverUrl` (an http URL or `embedded:<dir>`), with extra `ucon_db` keys
 * (e.g. `timeout_seconds`). Without arguments: back to the site's own embedded server directory.
 */
export async function setSink(
  site: Site,
  serverUrl = `embedded:${join(site.dir, "ucondb")}`,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const original = originalConfigs.get(site.config) ?? await Deno.readTextFile(site.config);
  originalConfigs.set(site.config, original);
  const lines = Object.entries(extra).map(([key, value]) => `  ${key}: ${JSON.stringify(value)}\n`).join("");
  const replaced = original.replace(/\n {2}server_url: [^\n]*\n/, () => `\n  server_url: ${serverUrl}\n${lines}`);
  await Deno.writeTextFile(site.config, replaced);
}

const originalConfigs = new Map<string, string>();

/** A stage's state file (`import` → importer_state.json, `migrate` → migrator_state.json). */
export async function readState(site: Site, stage: "import" | "migrate"): Promise<{
  done: [number, number][];
  failures: Record<string, unknown>;
  in_flight: number[];
  last_contiguous_run: number;
}> {
  const file = stage === "import" ? "importer_state.json" : "migrator_state.json";
  return JSON.parse(await Deno.readTextFile(join(site.work, file)));
}

/** The runs of a state's `done` ranges, expanded. */
export function doneRuns(done: [number, number][]): number[] {
  return done.flatMap(([from, to]) => runRange(from, to - from + 1));
}

/** Every file under `dir` → its bytes (to prove that nothing already archived changed). */
export async function snapshotTree(dir: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const walk = async (path: string): Promise<void> => {
    for await (const entry of Deno.readDir(path)) {
      const full = join(path, entry.name);
      if (entry.isDirectory) await walk(full);
      else if (entry.isFile) out.set(full.slice(dir.length + 1), await Deno.readFile(full));
    }
  };
  await walk(dir);
  return out;
}

/**
 * What changed in already-archived data between two snapshots of an artdaqDB (filesystemdb) or embedded UconDB
 * directory. Growth is allowed, change is not: documents and blobs must be byte-equal, an `index.json` must still
 * list every document it listed (under the same keys), a `journal.jsonl` must start with its old content. Lock
 * files are ignored. Returns one line per problem.
 */
export function archiveChanges(before: Map<string, Uint8Array>, after: Map<string, Uint8Array>): string[] {
  const problems: string[] = [];
  for (const [path, old] of before) {
    if (/(^|\/)(\.index\.json\.lock|server\.lock)$/.test(path)) continue;
    const now = after.get(path);
    if (!now) {
      problems.push(`${path} disappeared`);
    } else if (path.endsWith("index.json")) {
      const missing = missingIndexEntries(JSON.parse(decoder.decode(old)), JSON.parse(decoder.decode(now)));
      if (missing.length > 0) problems.push(`${path} lost entries: ${missing.slice(0, 5).join(", ")}`);
    } else if (path.endsWith("journal.jsonl")) {
      if (!startsWith(now, old)) problems.push(`${path} was rewritten, not appended to`);
    } else if (!startsWith(now, old) || now.length !== old.length) {
      problems.push(`${path} changed`);
    }
  }
  return problems;
}

const decoder = new TextDecoder();

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

/** `key → id` pairs of an artdaq_database index.json (arrays of ids, or objects of arrays) missing from `now`. */
function missingIndexEntries(old: Record<string, unknown>, now: Record<string, unknown>): string[] {
  const pairs = (index: Record<string, unknown>) => {
    const out = new Set<string>();
    for (const [key, value] of Object.entries(index)) {
      if (Array.isArray(value)) { for (const id of value) out.add(`${key}:${id}`); }
      else if (value && typeof value === "object") {
        for (const [sub, ids] of Object.entries(value)) {
          for (const id of Array.isArray(ids) ? ids : [ids]) out.add(`${key}.${sub}:${id}`);
        }
      }
    }
    return out;
  };
  const kept = pairs(now);
  return [...pairs(old)].filter((pair) => !kept.has(pair));
}
