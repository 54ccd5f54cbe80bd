/**
 * Whether a process exists, asked of Linux `/proc` (no signal is sent, so any user's process can be checked and
 * nothing is disturbed).
 *
 * @module
 */
import { pathExists } from "./paths.ts";

/**
 * Whether process `pid` exists: true or false from `/proc/<pid>`, or null where this system has no `/proc` to
 * ask, so that each caller decides what "unknown" means. A PID reused by an unrelated process also reads as true.
 *
 * @example
 * ```ts
 * import { processExists } from "./process.ts";
 * await processExists(Deno.pid); // true on Linux, null without /proc
 * ```
 */
export async function processExists(pid: number): Promise<boolean | null> {
  if (!(await pathExists("/proc/self"))) return null;
  return await pathExists(`/proc/${pid}`);
}
