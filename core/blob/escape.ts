/**
 * The escaping rule that makes the blob lossless. A blob's structure is made of whole lines `#####` (section
 * separator) and `End of Record` (footer). File content may contain those lines too, so inside content:
 *
 * - a line that is a reserved line preceded by k ≥ 0 backslashes (`#####`, `\#####`, `\\#####`, ...,
 *   `End of Record`, `\End of Record`, ...) is written with one more backslash in front;
 * - every other byte is copied unchanged.
 *
 * Unescaping removes one leading backslash from lines of the form `\`^k + reserved with k ≥ 1. The mapping is a
 * bijection, so a content line is never exactly a reserved line in the blob and the first reserved line after a
 * section's start always ends it. Lines are split on `\n` only: `#####\r` (CRLF) is not reserved and is copied
 * as is. Content without any reserved text is copied byte for byte (zero-copy), which keeps such blobs identical
 * to the Python archiver's layout.
 *
 * @module
 */
import { concatBytes, matchesAt } from "./bytes.ts";

const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const encoder = new TextEncoder();

/** The lines that carry structure in a blob. */
export const RESERVED_LINES: readonly string[] = ["#####", "End of Record"];
const RESERVED_BYTES = RESERVED_LINES.map((line) => encoder.encode(line));
/** First bytes a line must start with to be (an escaped form of) a reserved line: `\`, `#`, `E`. */
const HASH = RESERVED_BYTES[0][0], UPPER_E = RESERVED_BYTES[1][0];
const ONE_BACKSLASH = new Uint8Array([BACKSLASH]);

/** Number of leading backslashes of the line [start, end) when the rest is a reserved line, else -1. */
function reservedDepth(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end && bytes[i] === BACKSLASH) i++;
  const restLength = end - i;
  for (const reserved of RESERVED_BYTES) {
    if (reserved.length !== restLength) continue;
    let equal = true;
    for (let j = 0; j < restLength; j++) {
      if (bytes[i + j] !== reserved[j]) {
        equal = false;
        break;
      }
    }
    if (equal) return i - start;
  }
  return -1;
}

/**
 * Start offsets of the lines of `bytes` that are a reserved line behind at least `minDepth` backslashes. One pass
 * over the bytes, looking closer only at lines whose first byte can start such a line (a native `indexOf` per
 * line cost more than the byte loop: most lines are short).
 */
function reservedLineStarts(bytes: Uint8Array, minDepth: number): number[] {
  const starts: number[] = [];
  const length = bytes.length;
  for (let start = 0; start < length;) {
    const first = bytes[start];
    if (first === BACKSLASH || first === HASH || first === UPPER_E) {
      let end = bytes.indexOf(NEWLINE, start);
      if (end < 0) end = length;
      if (reservedDepth(bytes, start, end) >= minDepth) starts.push(start);
      start = end + 1;
      continue;
    }
    let i = start;
    while (i < length && bytes[i] !== NEWLINE) i++;
    start = i + 1;
  }
  return starts;
}

/**
 * The pieces of `content` escaped for a blob: views of `content` plus single backslashes. Returns `[content]`
 * when nothing needs escaping.
 *
 * @example
 * ```ts
 * const parts = escapeContent(new TextEncoder().encode("a\n#####\nb"));
 * new TextDecoder().decode(concatBytes(parts)); // "a\n\\#####\nb"
 * ```
 */
export function escapeContent(content: Uint8Array): Uint8Array[] {
  const starts = reservedLineStarts(content, 0);
  if (starts.length === 0) return [content];
  const parts: Uint8Array[] = [];
  let copiedUpTo = 0;
  for (const start of starts) {
    if (start > copiedUpTo) parts.push(content.subarray(copiedUpTo, start));
    parts.push(ONE_BACKSLASH);
    copiedUpTo = start;
  }
  parts.push(content.subarray(copiedUpTo));
  return parts;
}

/**
 * Inverse of `escapeContent`: the original content. Returns `escaped` itself (no copy) when nothing was escaped.
 *
 * @example
 * ```ts
 * new TextDecoder().decode(unescapeContent(new TextEncoder().encode("\\#####"))); // "#####"
 * ```
 */
export function unescapeContent(escaped: Uint8Array): Uint8Array {
  const starts = reservedLineStarts(escaped, 1);
  if (starts.length === 0) return escaped;
  const parts: Uint8Array[] = [];
  let copiedUpTo = 0;
  for (const start of starts) {
    if (start > copiedUpTo) parts.push(escaped.subarray(copiedUpTo, start));
    copiedUpTo = start + 1;
  }
  parts.push(escaped.subarray(copiedUpTo));
  return concatBytes(parts);
}

/**
 * Offset of the first `\n` at or after `from` that begins `\n<line>\n` for one of `lines` (each given with its
 * trailing newline), or -1. Used to find a blob's structural lines in one linear scan.
 */
export function findLine(bytes: Uint8Array, from: number, lines: readonly Uint8Array[]): number {
  let newline = bytes.indexOf(NEWLINE, from);
  while (newline >= 0) {
    for (const line of lines) if (matchesAt(bytes, line, newline + 1)) return newline;
    newline = bytes.indexOf(NEWLINE, newline + 1);
  }
  return -1;
}
