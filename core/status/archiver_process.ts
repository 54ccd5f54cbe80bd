/**
 * Whether an archiver is running right now, from its lock file: the PID the holder wrote, and whether that process
 * exists (`/proc/<pid>`). Read-only — the lock is never tried, so looking never disturbs a starting archiver.
 *
 * @example
 * ```ts
 * import { archiverProcess } from "./archiver_process.ts";
 * const { pid, running } = await archiverProcess("/tmp/run_record_archiver/.archiver.lock");
 * ```
 *
 * @module
 */
import { readHolder } from "../lock/mod.ts";
import { processExists } from "../process.ts";

/** What the lock file says about the archiver. */
export interface ArchiverProcess {
  /** PID written by the last holder of the lock, or null (no lock file, or empty). */
  pid: number | null;
  /** True when that process exists, false when it does not, null when this system has no `/proc` to ask. */
  running: boolean | null;
}

/** Read the lock file's PID and check whether the process is alive. */
export async function archiverProcess(lockFile: string): Promise<ArchiverProcess> {
  const pid = await readHolder(lockFile);
  if (pid === null) return { pid: null, running: false };
  // The lock file keeps the PID after the archiver exits; a reused PID can only make this say "running" for an
  // unrelated process, which is why the page words it "archiver process" with the PID, not a certainty.
  return { pid, running: await processExists(pid) };
}
