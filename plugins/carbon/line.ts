/**
 * The Graphite plaintext line: `<prefix>.<path> <value> <unix seconds>\n`, exactly as the Python archiver's
 * `post_metric` wrote it (value printed like Python's `str`, timestamp truncated to whole seconds).
 *
 * @example
 * ```ts
 * import { carbonLine } from "./line.ts";
 * carbonLine("exp.run_archiver.prod", "migrate.runs_processed", 5, 1700000000.7);
 * // "exp.run_archiver.prod.migrate.runs_processed 5 1700000000\n"
 * ```
 *
 * @module
 */

/** Whitespace or control characters would split one line into garbage for carbon: they become `_`. */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const UNSAFE_PATH_CHARS = /[\s\x00-\x1f\x7f]+/g;

/** A metric path with characters that break the plaintext protocol replaced by `_`. */
function sanitizePath(path: string): string {
  return path.replace(UNSAFE_PATH_CHARS, "_");
}

/** `prefix.path`, or `path` alone when the prefix is empty. Both parts are sanitized. */
function metricPath(prefix: string, path: string): string {
  const clean = sanitizePath(path);
  return prefix ? `${sanitizePath(prefix)}.${clean}` : clean;
}

/**
 * One plaintext-protocol line, newline included; null when `value` or `timestamp` is not a finite number
 * (carbon would reject the line or store nonsense).
 */
export function carbonLine(prefix: string, path: string, value: number, timestampSeconds: number): string | null {
  if (!Number.isFinite(value) || !Number.isFinite(timestampSeconds)) return null;
  return `${metricPath(prefix, path)} ${String(value)} ${Math.trunc(timestampSeconds)}\n`;
}
