/**
 * `settings.txt` → `settings.fcl` (original-archiver.md §5.6.4).
 *
 * @module
 */
import { contentLines, fhiclString, isNumeric, joinLines, normalizeKey, quoteValue, splitKeyValue } from "./text.ts";

/**
 * Convert the text of `settings.txt`: `normalized_key: value` per setting; numbers and `true`/`false` bare,
 * `[ a, b ]` lists as FHiCL sequences, everything else a quoted string.
 *
 * Fixed against the original: an inline comment (`all_events_to_all_dispatchers: false #true`) is kept as a FHiCL
 * comment after the value instead of inside the string; list items keep their text (`artdaq-demo` stayed
 * `artdaq_demo` before) and are quoted unless they are plain names or numbers; a value that starts with `[` but does
 * not end with `]` is a string; `.`/`1.` are strings, not bare numbers.
 *
 * @example
 * ```ts
 * convertSettings("boardreader timeout: 30\npackage_hashes_to_save: [ artdaq, artdaq-demo ]\n");
 * // 'boardreader_timeout: 30\npackage_hashes_to_save: [ artdaq, "artdaq-demo" ]\n'
 * ```
 */
export function convertSettings(text: string): string {
  const out: string[] = [];
  for (const line of contentLines(text)) {
    const pair = splitKeyValue(line);
    if (pair === null) continue;
    const { value, comment } = splitInlineComment(pair.value);
    const converted = `${normalizeKey(pair.key)}: ${convertValue(value)}`;
    out.push(comment === "" ? converted : `${converted} ${comment}`);
  }
  return joinLines(out);
}

function convertValue(value: string): string {
  if (value.startsWith("[") && value.endsWith("]")) {
    const items = value.slice(1, -1).split(",").map((item) => item.trim()).filter((item) => item !== "")
      .map((item) => item.replace(/^"(.*)"$|^'(.*)'$/, (_m, dq, sq) => dq ?? sq));
    return `[ ${items.map(listItem).join(", ")} ]`;
  }
  if (isNumeric(value)) return value;
  if (/^(true|false)$/i.test(value)) return value.toLowerCase();
  return quoteValue(value);
}

/** A bare FHiCL atom when it is a plain name or number (as the original wrote every item), else a quoted string. */
function listItem(item: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(item) || isNumeric(item) ? item : fhiclString(item);
}

/**
 * Split `false #true` into the value and a trailing `#` comment. A `#` counts only after whitespace and outside
 * quotes, so `"/data/run%06r_%04#.root"` and `a#b` stay whole.
 */
function splitInlineComment(value: string): { value: string; comment: string } {
  let quote: string | null = null;
  for (let i = 0; i < value.length; i++) {
    const char = value[i];
    if (quote !== null) {
      if (char === "\\") i++;
      else if (char === quote) quote = null;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === "#" && i > 0 && /\s/.test(value[i - 1])) {
      return { value: value.slice(0, i).trim(), comment: value.slice(i) };
    }
  }
  return { value, comment: "" };
}
