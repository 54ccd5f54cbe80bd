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

export { addRun, checkArchived, cli, cliCommand, makeSite, type Site } from "../pipeline/_e2e.ts";

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

/** Files of `before` that are missing or different in `after` (files only in `after` are new, not changes). */
export function changedFiles(before: Map<string, Uint8Array>, after: Map<string, Uint8Array>): string[] {
  const changed: string[] = [];
  for (const [path, bytes] of before) {
    const now = after.get(path);
    if (!now || now.length !== bytes.length || !now.every((b, i) => b === bytes[i])) changed.push(path);
  }
  return changed;
}
