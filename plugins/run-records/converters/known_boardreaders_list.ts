/**
 * `known_boardreaders_list.txt` → `known_boardreaders_list.fcl` (original-archiver.md §5.6.3).
 *
 * @module
 */
import { contentLines, fhiclName, fhiclString, isQuotedString, joinLines } from "./text.ts";

/**
 * Convert the text of `known_boardreaders_list.txt`: one `label: ["host", "port", ...]` line per entry, comments and
 * blank lines dropped, lines with fewer than two fields dropped, duplicate labels kept (as DAQInterface wrote them).
 *
 * Identical to the original for every well-formed line, including its `" ]"` ending when a field was quoted. Fixed:
 * a label that is not a FHiCL name is made one (`-` → `_`), and an unterminated quoted field is closed and escaped
 * instead of producing an unparsable document.
 *
 * @example
 * ```ts
 * convertKnownBoardreadersList('pmt01 daq02 -1 1 "taskset -c 0-3"\n');
 * // 'pmt01: ["daq02", "-1", "1", "taskset -c 0-3" ]\n'
 * ```
 */
export function convertKnownBoardreadersList(text: string): string {
  const out: string[] = [];
  for (const line of contentLines(text)) {
    const tokens = tokenize(line);
    if (tokens.length < 2) continue;
    let quoted = false;
    const fields = tokens.slice(1).map((token) => {
      if (isQuotedString(token)) {
        quoted = true;
        return token;
      }
      if (token.startsWith('"')) {
        quoted = true;
        return fhiclString(token.slice(1).replace(/"$/, ""));
      }
      return fhiclString(token);
    });
    out.push(`${fhiclName(tokens[0])}: [${fields.join(", ")}${quoted ? " ]" : "]"}`);
  }
  return joinLines(out);
}

/**
 * The original tokenizer: whitespace separates tokens outside quotes; a `"` opens a quoted token (kept in it), the
 * closing `"` ends it; an unterminated quote takes the rest of the line.
 */
function tokenize(line: string): string[] {
  const tokens: string[] = [];
  let current = "";
  let inQuote = false;
  for (const char of line) {
    if (inQuote) {
      current += char;
      if (char === '"') {
        tokens.push(current);
        current = "";
        inQuote = false;
      }
    } else if (char === '"') {
      current += char;
      inQuote = true;
    } else if (/\s/.test(char)) {
      if (current !== "") tokens.push(current);
      current = "";
    } else {
      current += char;
    }
  }
  if (current !== "") tokens.push(current);
  return tokens;
}
