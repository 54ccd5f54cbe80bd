/**
 * Run discovery: the direct children of the run-records directory whose names are ASCII digits. Names only — no
 * run is opened — so listing 100,000 runs costs one directory read (plus one stat per symlinked run directory).
 *
 * @module
 */
import { join } from "node:path";
import { ArchiverError, describeError } from "../../core/errors.ts";
import type { SourceRun } from "../../core/roles.ts";

/**
 * Largest run number accepted: art's `RunNumber_t` and artdaq_database's `bulkloader -r` are 32-bit unsigned.
 * A directory with a larger number is reported and skipped.
 */
const MAX_RUN_NUMBER = 4_294_967_295;

/** Result of one listing. */
export interface RunListing {
  /** One entry per run number, ascending; `dirName` is the name found (possibly zero-padded). */
  runs: SourceRun[];
  /** Run numbers with more than one directory (`123` and `0123`): name → every directory name. */
  ambiguous: Map<number, string[]>;
  /** Digit-named directories that are not usable run numbers (too large), with the reason. */
  rejected: { dirName: string; reason: string }[];
}

/**
 * List the run directories of `dir`. Hidden files (`.record_directory_info`), non-numeric names and plain files are
 * ignored; a symlink to a directory counts (as in the original). Zero-padded names are listed under their number
 * with the name as found, so the run is read from the directory that was discovered.
 *
 * @example
 * ```ts
 * const { runs } = await listRunDirectories("/daq/run_records");
 * // [{ run: 11001, dirName: "11001" }, ...]
 * ```
 */
export async function listRunDirectories(dir: string, after = -1): Promise<RunListing> {
  // The name found per run; a list only for the rare run with several (`123` and `0123`).
  const byRun = new Map<number, string | string[]>();
  const rejected: RunListing["rejected"] = [];
  try {
    // readDirSync: one synchronous call per entry instead of an async round trip each; listing 100,000 runs
    // drops from ~370 ms to ~100 ms on a loaded 2-core host (BENCHMARKS.md). The loop awaits only for symlinks.
    for (const entry of Deno.readDirSync(dir)) {
      if (!isDigits(entry.name)) continue;
      const run = Number(entry.name);
      // Before any other work: an incremental listing of 100,000 runs keeps the few above its start.
      if (run <= after) continue;
      if (!entry.isDirectory && !(entry.isSymlink && await isDirectory(join(dir, entry.name)))) continue;
      if (run > MAX_RUN_NUMBER) {
        rejected.push({
          dirName: entry.name,
          reason: `run number ${entry.name} is larger than ${MAX_RUN_NUMBER}; rename or move the directory`,
        });
        continue;
      }
      const names = byRun.get(run);
      if (names === undefined) byRun.set(run, entry.name);
      else if (typeof names === "string") byRun.set(run, [names, entry.name]);
      else names.push(entry.name);
    }
  } catch (error) {
    throw new ArchiverError(
      `cannot read run records directory '${dir}': ${describeError(error)}; ` +
        `check source_files.run_records_dir and its permissions`,
      { cause: error },
    );
  }
  const runs: SourceRun[] = [];
  const ambiguous = new Map<number, string[]>();
  for (const [run, names] of byRun) {
    if (typeof names === "string") {
      runs.push({ run, dirName: names });
      continue;
    }
    names.sort();
    // The canonical spelling wins when both exist; the run itself is refused by prepare (see ambiguous).
    runs.push({ run, dirName: names.includes(String(run)) ? String(run) : names[0] });
    ambiguous.set(run, names);
  }
  runs.sort((a, b) => a.run - b.run);
  return { runs, ambiguous, rejected };
}

/** True when `name` is non-empty ASCII digits (a RegExp test per entry costs more on 100,000 names). */
function isDigits(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code < 48 || code > 57) return false;
  }
  return true;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}
