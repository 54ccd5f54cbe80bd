/**
 * Small text helpers shared by the converters. They reproduce the Python archiver's `fhiclutils/utils.py` where its
 * output is valid FHiCL and make it valid where it was not (see docs/run-records.md, "Differences").
 *
 * @module
 */

/**
 * True when `value` can be written as a bare FHiCL number: digits with at most one inner dot (`10`, `1.5`).
 * The Python `is_numeric` also accepted `.`, `1.` and `.5`; a bare `.` is not FHiCL, so those are quoted here.
 *
 * @example
 * ```ts
 * isNumeric("6400"); // true
 * isNumeric("-1"); // false (the Python archiver quoted negative numbers too)
 * ```
 */
export function isNumeric(value: string): boolean {
  return /^[0-9]+(\.[0-9]+)?$/.test(value);
}

/**
 * A FHiCL double-quoted string literal for `value`: `\` and `"` escaped. The Python archiver escaped only `"`
 * (`quote_value`) or nothing (array items), which produced unparsable documents for values holding `\` or `"`.
 *
 * @example
 * ```ts
 * fhiclString('say "hi"'); // "\"say \\\"hi\\\"\""
 * ```
 */
export function fhiclString(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/**
 * True when `value` already is one complete double-quoted FHiCL string (`"abc"`, `"a \"b\""`), i.e. it can be
 * emitted verbatim.
 */
export function isQuotedString(value: string): boolean {
  return /^"(?:[^"\\]|\\.)*"$/.test(value);
}

/**
 * The Python `quote_value`, made safe: trimmed; kept verbatim when it already is one complete quoted string or a
 * bare number; otherwise quoted with escaping. (Python also kept anything between `[` and `]` verbatim, which let
 * unparsable text through; such values are quoted here.)
 *
 * @example
 * ```ts
 * quoteValue(" standard "); // "\"standard\""
 * quoteValue("1500"); // "1500"
 * ```
 */
export function quoteValue(value: string): string {
  const trimmed = value.trim();
  if (isQuotedString(trimmed) || isNumeric(trimmed)) return trimmed;
  return fhiclString(trimmed);
}

/** `["a", "b"]` (items escaped), or `[]` for an empty list: the Python `format_fhicl_array`, made safe. */
export function fhiclArray(items: readonly string[]): string {
  return items.length === 0 ? "[]" : `[${items.map(fhiclString).join(", ")}]`;
}

/**
 * A valid FHiCL name made from `key`: every character outside `[A-Za-z0-9_]` becomes `_`, and a leading digit gets
 * a `_` prefix. Keys that are already valid (the normal case) are returned unchanged.
 *
 * @example
 * ```ts
 * fhiclName("pmt_logfile(s)"); // "pmt_logfile_s_"
 * fhiclName("topol.fnal.gov"); // "topol_fnal_gov"
 * ```
 */
export function fhiclName(key: string): string {
  const name = key.replace(/[^A-Za-z0-9_]/g, "_");
  if (name === "") return "_";
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

/**
 * The Python `normalize_key`: trimmed, every run of whitespace, `-`, `(`, `)`, `/`, `#` or `.` becomes one `_`;
 * then made a valid FHiCL name.
 */
export function normalizeKey(key: string): string {
  return fhiclName(key.trim().replace(/[\s\-()/#.]+/g, "_"));
}

/** Every code point ≥ 128 replaced by `.` (the Python `clean_non_ascii`, kept where the original applied it). */
export function cleanNonAscii(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[^\u0000-\u007f]/gu, ".");
}

/**
 * Split text into lines exactly as Python's `str.splitlines()` does for the line ends DAQInterface can produce
 * (`\n`, `\r\n`, `\r`); a final line end does not produce an empty last line.
 */
export function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/**
 * The lines the converters read: trimmed, without empty lines and `#` comment lines.
 *
 * @example
 * ```ts
 * contentLines("# header\n  a b  \n\nc\n"); // ["a b", "c"]
 * ```
 */
export function contentLines(text: string): string[] {
  return splitLines(text).map((line) => line.trim()).filter((line) => line !== "" && !line.startsWith("#"));
}

/** Output lines joined with `\n` plus a final `\n`, or `""` when there are none (the converters' common ending). */
export function joinLines(lines: readonly string[]): string {
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

/** `key` and `value` of a `key: value` line split at the first `:` (both trimmed), or null without a colon. */
export function splitKeyValue(line: string): { key: string; value: string } | null {
  const colon = line.indexOf(":");
  if (colon < 0) return null;
  return { key: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() };
}
