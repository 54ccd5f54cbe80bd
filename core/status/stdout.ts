/**
 * Write text to stdout completely: `Deno.stdout.writeSync` may write only part of a large buffer to a pipe, and a
 * report of 100,000 runs in JSON is large.
 *
 * @example
 * ```ts
 * import { writeStdout } from "./stdout.ts";
 * writeStdout("report\n");
 * ```
 *
 * @module
 */

const encoder = new TextEncoder();

/** Write all of `text` to stdout (UTF-8). */
export function writeStdout(text: string): void {
  const bytes = encoder.encode(text);
  let written = 0;
  while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
}
