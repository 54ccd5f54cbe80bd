/**
 * The seam between the store and where the tools run: {@link ToolRunner} is implemented by the local runner
 * (`local.ts`, a child process) and the remote runner (`remote.ts`, over SSH). Both report a failed call the same
 * way, through {@link toolFailure}.
 *
 * @module
 */

import { StoreError } from "../../core/errors.ts";
import { redact } from "../../core/redact.ts";
import type { ExportedFile, PreparedDocument } from "../../core/roles.ts";
import { downloadFailedSilently, exitMeaning, type ToolName } from "./command.ts";
import { lastLines } from "./output.ts";

/** One call of a tool: which run and configuration (name without the run prefix). */
export interface ToolCall {
  /** Run number (`-r`). */
  run: number;
  /** Configuration name without the run prefix (`-c`). */
  configName: string;
}

/** Runs the tools somewhere. */
export interface ToolRunner {
  /** Loads `documents` (file name → text) with bulkloader; throws `StoreError` unless the tool succeeded. */
  load(call: ToolCall, documents: readonly PreparedDocument[]): Promise<void>;
  /** Downloads the configuration with bulkdownloader; the files as the tool laid them out, sorted by path. */
  download(call: ToolCall): Promise<ExportedFile[]>;
  /** Where the tools run (`local` or `user@host:port`). */
  describe(): string;
  /** Releases the connection, if any. */
  close(): Promise<void>;
}

/** How a tool call ended. */
export interface ToolOutcome {
  /** Exit status, or null when killed by a signal. */
  code: number | null;
  /** The signal that ended the tool, or null. */
  signal: string | null;
  /** The tool's report (tail). */
  stdout: string;
  /** The tool's error output (tail). */
  stderr: string;
  /** True when the call was killed at the timeout. */
  timedOut: boolean;
}

/** Largest download accepted (a run's configuration is far smaller; a bigger stream is a fault). */
export const MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024;

/**
 * The `StoreError` for a failed call, or null when it succeeded. A bulkdownloader that exits 0 but reports failed
 * exports on stderr has failed too. Tool output is redacted (it may echo the database URI).
 *
 * @example
 * ```ts
 * const error = toolFailure("bulkloader", { run: 1, configName: "std" }, "local", outcome, 300_000);
 * if (error) throw error;
 * ```
 */
export function toolFailure(
  tool: ToolName,
  call: ToolCall,
  where: string,
  outcome: ToolOutcome,
  timeoutMs: number,
): StoreError | null {
  const subject = `${tool} for run ${call.run} (${call.run}/${call.configName}) on ${where}`;
  const detail = lastLines(redact(outcome.stderr)) || lastLines(redact(outcome.stdout));
  const tail = detail ? `: ${detail}` : "";
  const options = { run: call.run };
  if (outcome.timedOut) {
    return new StoreError(
      `${subject} timed out after ${timeoutMs / 1000} s and was killed${tail}; raise artdaq_db.tools_timeout_seconds ` +
        `if the database is just slow`,
      options,
    );
  }
  if (outcome.code === null) {
    return new StoreError(`${subject} was killed by ${outcome.signal ?? "a signal"}${tail}`, options);
  }
  if (outcome.code !== 0) {
    return new StoreError(
      `${subject} failed with exit status ${outcome.code} (${exitMeaning(tool, outcome.code)})${tail}`,
      options,
    );
  }
  if (tool === "bulkdownloader" && downloadFailedSilently(outcome.stderr)) {
    return new StoreError(`${subject} exited 0 but failed to export files${tail}`, options);
  }
  return null;
}
