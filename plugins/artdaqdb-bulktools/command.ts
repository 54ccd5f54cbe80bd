/**
 * The command lines of artdaq_database's `bulkloader` and `bulkdownloader` (artdaq-database.md §7) and the
 * meaning of their exit statuses. One argument vector for both tools, in the documented order
 * `-r <run> -c <config> -p <dir> -t <threads>`, with the configuration name **without** the run prefix and a
 * thread count that is never 0 (the tools divide by it).
 *
 * @module
 */

/** The two tools. */
export type ToolName = "bulkloader" | "bulkdownloader";

/**
 * The arguments of one tool call. `threads` is a number ≥ 1 or a shell word that expands to one (remote mode).
 *
 * @example
 * ```ts
 * toolArguments(12345, "standard00042", "/tmp/run12345", 4);
 * // ["-r", "12345", "-c", "standard00042", "-p", "/tmp/run12345", "-t", "4"]
 * ```
 */
export function toolArguments(run: number, configName: string, path: string, threads: number | string): string[] {
  if (typeof threads === "number" && (!Number.isInteger(threads) || threads < 1)) {
    throw new RangeError(`thread count ${threads} is not an integer ≥ 1`);
  }
  return ["-r", String(run), "-c", configName, "-p", path, "-t", String(threads)];
}

/**
 * The thread count used on this host for `"auto"`: half the CPUs, at least 1 (the Python archiver's
 * `$(( $(nproc)/2 ))` is 0 on a 1-CPU host).
 *
 * @example
 * ```ts
 * localThreads("auto"); // 1 on a 2-CPU machine
 * ```
 */
export function localThreads(threads: number | "auto"): number {
  return threads === "auto" ? Math.max(1, Math.floor((navigator.hardwareConcurrency || 2) / 2)) : threads;
}

/** Exit status of the remote wrapper when it could not set up (no URI on stdin, no temp dir, setup file failed). */
export const EXIT_SETUP = 125;
/** Exit status of the remote wrapper when the file transfer into the temp dir failed. */
export const EXIT_TRANSFER = 124;
/** Exit status of the remote wrapper when packing the downloaded files failed. */
export const EXIT_PACK = 123;
/** Exit status of the remote wrapper when it was terminated (signal, timeout watchdog). */
export const EXIT_TERMINATED = 143;

/**
 * What an exit status of `tool` means (artdaq-database.md §7, `SharedCommon/process_exit_codes.h`, plus the
 * remote wrapper's own statuses).
 *
 * @example
 * ```ts
 * exitMeaning("bulkloader", 136); // "killed by SIGFPE (thread count 0 or an empty directory)"
 * ```
 */
export function exitMeaning(tool: ToolName, code: number): string {
  switch (code) {
    case 1:
      return tool === "bulkloader" ? "some files failed to load" : "the configuration's composition failed";
    case 127:
      return `${tool} not found (set artdaq_db.tools_dir, ${tool} or remote_setup)`;
    case 128:
      return "bad option syntax";
    case 129:
      return "missing -p/--path";
    case 130:
      return "missing -c/--configuration";
    case 131:
      return "missing -r/--run";
    case 136:
      return "killed by SIGFPE (thread count 0 or an empty directory)";
    case 144:
      return "uncaught exception in the tool";
    case EXIT_SETUP:
      return "the remote wrapper could not prepare the call (see its message)";
    case EXIT_TRANSFER:
      return "the file transfer to the remote host was cut short";
    case EXIT_PACK:
      return "packing the downloaded files on the remote host failed";
    case EXIT_TERMINATED:
      return "terminated (timeout or signal)";
    default:
      return code > 128 ? `killed by signal ${code - 128}` : "failed";
  }
}

/**
 * Whether a bulkdownloader that exited 0 still failed: it returns 0 even when files failed to export and only says
 * so on stderr (`Error: Failed to export <k>file(s).`).
 */
export function downloadFailedSilently(stderr: string): boolean {
  return /Error: Failed to export/.test(stderr);
}
