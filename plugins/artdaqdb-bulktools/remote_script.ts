/**
 * The POSIX `sh` wrapper that runs one bulk tool on the remote host. It fixes what the Python archiver's
 * `ssh … 'mkdir …; tar xzf -; bulkloader …; cd /; rm -rf …'` got wrong (original-archiver.md §6.5, §16.1-2, §16.2):
 *
 * - the tool's exit status is the wrapper's exit status (the Python script returned `rm -rf`'s);
 * - the database URI arrives as the first line of stdin and reaches the tool through its environment, never on a
 *   command line that `ps` shows;
 * - the temp dir is `mktemp -d` (unique, mode 0700) and removed by an EXIT trap whatever happens: tool failure,
 *   cut transfer, SIGTERM from the client (sent on timeout), or the SSH connection vanishing (a watchdog notices
 *   the session process is gone, or the deadline passed, and kills the tool);
 * - files travel as tar on stdin (load) or stdout (download); the downloader's own output goes to stderr so the
 *   tar stream stays clean.
 *
 * The script is one line run as `exec /bin/sh -c '<script>'`, so the login shell (even csh) only execs `sh`, and
 * `$PPID` in the script is sshd's session process.
 *
 * @module
 */

import { shellQuote } from "../../core/shell.ts";
import { EXIT_PACK, EXIT_SETUP, EXIT_TERMINATED, EXIT_TRANSFER, toolArguments, type ToolName } from "./command.ts";

/** The wrapper's first stderr line is this tag followed by its pid. */
export const WRAPPER_PID_TAG = "bulktools-wrapper-pid:";

/**
 * The wrapper's pid from the start of its stderr, and that stderr without the pid line.
 *
 * @example
 * ```ts
 * splitWrapperPid("bulktools-wrapper-pid:4711\nError: …"); // { pid: 4711, rest: "Error: …" }
 * ```
 */
export function splitWrapperPid(stderr: string): { pid: number | null; rest: string } {
  const match = new RegExp(`^${WRAPPER_PID_TAG}(\\d+)\n?`).exec(stderr);
  return match ? { pid: Number(match[1]), rest: stderr.slice(match[0].length) } : { pid: null, rest: stderr };
}

/** What the wrapper needs to know. */
export interface RemoteCall {
  /** Which tool runs. */
  tool: ToolName;
  /** The executable on the remote host (name looked up in PATH, or path). */
  executable: string;
  /** Run number (`-r`). */
  run: number;
  /** Configuration name without the run prefix (`-c`). */
  configName: string;
  /** A fixed count, or "auto": half the remote CPUs, at least 1. */
  threads: number | "auto";
  /** Absolute directory for the temp dir. */
  tmpBase: string;
  /** Shell file to source first, or null. */
  setup: string | null;
  /** The remote watchdog kills the tool after this many seconds (a backstop; the client times out first). */
  deadlineSeconds: number;
}

/**
 * The command string for `exec` on the SSH connection. The script reads the URI from the first stdin line; for
 * `bulkloader` the rest of stdin is the tar stream of the files to load; for `bulkdownloader` stdout is the tar
 * stream of the downloaded files.
 *
 * @example
 * ```ts
 * remoteCommand({ tool: "bulkloader", executable: "bulkloader", run: 12345, configName: "standard00042",
 *   threads: "auto", tmpBase: "/tmp", setup: null, deadlineSeconds: 330 });
 * // "exec /bin/sh -c 'set -u\n…'"
 * ```
 */
export function remoteCommand(call: RemoteCall): string {
  return `exec /bin/sh -c ${shellQuote(remoteScript(call))}`;
}

/** The wrapper script itself (exported for tests and the documentation). */
export function remoteScript(call: RemoteCall): string {
  const loading = call.tool === "bulkloader";
  const threads = call.threads === "auto"
    ? `t=$(( $(nproc 2>/dev/null || echo 2) / 2 )); [ "$t" -ge 1 ] || t=1`
    : `t=${call.threads}`;
  const args = toolArguments(call.run, call.configName, "DIR", "THREADS")
    .map((arg) => arg === "DIR" ? `"$dir"` : arg === "THREADS" ? `"$t"` : shellQuote(arg));
  const template = shellQuote(`${call.tmpBase}/${call.tool}-${call.run}.XXXXXXXXXX`);
  const fail = (code: number, message: string) => `{ echo ${shellQuote(`bulktools: ${message}`)} >&2; exit ${code}; }`;
  return [
    "set -u",
    // The client kills this wrapper by pid on timeout (SSH signal requests are not always honoured).
    `echo "${WRAPPER_PID_TAG}$$" >&2`,
    `IFS= read -r ARTDAQ_DATABASE_URI || ${fail(EXIT_SETUP, "no database URI on stdin")}`,
    "export ARTDAQ_DATABASE_URI",
    "umask 077",
    `mkdir -p ${shellQuote(call.tmpBase)} && dir=$(mktemp -d ${template}) || ${
      fail(EXIT_SETUP, `cannot create a temporary directory in ${call.tmpBase}`)
    }`,
    "pid=; watch=",
    `cleanup() { [ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null; [ -z "$watch" ] || kill "$watch" 2>/dev/null; ` +
    `cd /; rm -rf "$dir"; }`,
    "trap cleanup EXIT",
    `trap 'exit ${EXIT_TERMINATED}' HUP INT TERM PIPE`,
    // stdin is the tar stream: the setup file must not read it.
    ...(call.setup
      ? [`. ${shellQuote(call.setup)} </dev/null || ${fail(EXIT_SETUP, `sourcing ${call.setup} failed`)}`]
      : []),
    ...(loading ? [`tar -xf - -C "$dir" || ${fail(EXIT_TRANSFER, "the file transfer was cut short")}`] : []),
    threads,
    `cd "$dir"`,
    // The tool runs in the background so that a signal interrupts `wait` at once and the trap can kill it.
    `${shellQuote(call.executable)} ${args.join(" ")} ${loading ? "" : ">&2 "}& pid=$!`,
    `( s=0; while [ "$s" -lt ${call.deadlineSeconds} ] && kill -0 "$PPID" 2>/dev/null; do sleep 1; s=$((s+1)); done; ` +
    `kill -TERM "$pid"; sleep 2; kill -KILL "$pid" ) </dev/null >/dev/null 2>&1 & watch=$!`,
    `wait "$pid"; rc=$?; pid=`,
    `[ "$rc" -eq 0 ] || exit "$rc"`,
    ...(loading ? [] : [`tar -cf - . || ${fail(EXIT_PACK, "packing the downloaded files failed")}`]),
    "exit 0",
    // One line: csh, a possible login shell, rejects newlines inside quotes.
  ].join("; ");
}
