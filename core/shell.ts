/**
 * Shell quoting for the commands the archiver shows operators to copy (retry commands in notifications, reports
 * and the status pages).
 *
 * @module
 */

/**
 * One POSIX shell word: left as is when it has only safe characters, else single-quoted (`'` as `'\''`).
 *
 * @example
 * ```ts
 * import { shellQuote } from "./shell.ts";
 * shellQuote("/etc/archiver/config.yaml"); // "/etc/archiver/config.yaml"
 * shellQuote("my config's.yaml"); // "'my config'\\''s.yaml'"
 * ```
 */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
