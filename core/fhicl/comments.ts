/**
 * artdaq_database's comment collection and `#include` rewriting (artdaq-database.md §5.1 steps 1–2), reproduced
 * exactly, quirks included, because the stored comments and annotations depend on them.
 *
 * @module
 */

const CH_DQUOTE = 0x22, CH_SQUOTE = 0x27, CH_SLASH = 0x2f;

/** The comments of a FHiCL text: line number (1-based) → comment text (marker included, trailing blanks kept). */
export type CommentMap = Map<number, string>;

const NON_ASCII = /[\u0080-\uffff]/;
const UTF8 = new TextEncoder();
/** Scratch space for {@link isAscii} (kept up to 1 MiB). */
let scratch = new Uint8Array(0);

/**
 * True when every character of `text` is ASCII: its UTF-8 fills exactly `text.length` bytes (a character past ASCII
 * needs two or more, and the encoder stops before it). The native encoder does this ~10× faster than a regular
 * expression's search for the first non-ASCII character, which is left to texts that have one.
 */
function isAscii(text: string): boolean {
  const buffer = text.length <= scratch.length ? scratch : new Uint8Array(text.length);
  if (buffer.length <= 1 << 20) scratch = buffer;
  return UTF8.encodeInto(text, buffer.subarray(0, text.length)).read === text.length;
}

/**
 * Collects comments like artdaq_database's reader: scanning forward, a quoted span with at least one character
 * (`"[^"]+"` or `'[^']+'`, newlines allowed) is skipped; the first `#` or `//` outside such a span starts a comment
 * that runs to the end of the line. The scan stops at the first non-ASCII character (a comment in progress keeps
 * the text before it), because the C++ scanner accepts ASCII only.
 *
 * The scan jumps from one `"`, `'`, `#` or `/` to the next with `indexOf` (the engine's native search) and counts
 * lines only where a comment is found: machine-written files are long and have few comments, and a look at every
 * character was a tenth of a large file's conversion.
 *
 * @example
 * ```ts
 * scanComments('a: "x#y" # note\nb: 1'); // Map { 1 => "# note" }
 * ```
 */
export function scanComments(text: string): CommentMap {
  const comments: CommentMap = new Map();
  const len = text.length;
  const nonAscii = isAscii(text) ? -1 : text.search(NON_ASCII);
  const limit = nonAscii < 0 ? len : nonAscii;
  // The next `"`, `'`, `#` and `/` at or after `pos` (len when there is none), looked up again once passed.
  let dquote = -1, squote = -1, hash = -1, slash = -1;
  const next = (char: string, from: number): number => {
    const at = text.indexOf(char, from);
    return at < 0 ? len : at;
  };
  let line = 1;
  let counted = 0; // newlines before `counted` are in `line`
  let pos = 0;
  while (pos < limit) {
    if (dquote < pos) dquote = next('"', pos);
    if (squote < pos) squote = next("'", pos);
    if (hash < pos) hash = next("#", pos);
    if (slash < pos) slash = next("/", pos);
    const at = Math.min(dquote, squote, hash, slash);
    if (at >= limit) break;
    const c = text.charCodeAt(at);
    if (c === CH_DQUOTE || c === CH_SQUOTE) {
      const close = text.indexOf(c === CH_DQUOTE ? '"' : "'", at + 1);
      if (close <= at + 1) {
        pos = at + 1; // no match of "[^"]+" here: the regex engine moves on by one character
        continue;
      }
      if (close > limit) break; // the span holds the first non-ASCII character
      pos = close + 1;
    } else if (c === CH_SLASH && text.charCodeAt(at + 1) !== CH_SLASH) {
      pos = at + 1;
    } else {
      for (let nl = text.indexOf("\n", counted); nl !== -1 && nl < at; nl = text.indexOf("\n", nl + 1)) line++;
      counted = at;
      let end = text.indexOf("\n", at);
      if (end === -1) end = len;
      const stop = Math.min(end, limit);
      comments.set(line, text.slice(at, stop));
      if (stop < end) break;
      pos = end;
    }
  }
  return comments;
}

/** The prefix artdaq_database gives the bindings it makes of `#include` lines. */
export const INCLUDE_KEY_PREFIX = "fhicl_pound_include_";

function isRegexSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** The rewritten text and a way back from its offsets to the original text's (for error positions). */
export interface RewrittenText {
  text: string;
  /** Offset in the original text of an offset in the rewritten one (an offset inside a replacement maps to its start). */
  originalOffset(offset: number): number;
}

/**
 * Replaces every match of `#include\s[^'"]*` with `fhicl_pound_include_<n>:` (n = 0, 1, ... in order), anywhere
 * in the text, comments and strings included, as artdaq_database does before parsing.
 *
 * @example
 * ```ts
 * rewriteIncludes('#include "a.fcl"\nx: 1'); // 'fhicl_pound_include_0:"a.fcl"\nx: 1'
 * ```
 */
export function rewriteIncludes(text: string): string {
  return rewriteIncludesMapped(text).text;
}

/** {@link rewriteIncludes}, also returning the offset mapping back to `text`. */
export function rewriteIncludesMapped(text: string): RewrittenText {
  // Replacements as [start in rewritten text, end in rewritten text, start in original, end in original].
  const replacements: Array<[number, number, number, number]> = [];
  let at = text.indexOf("#include");
  let out = "";
  let copied = 0;
  let n = 0;
  while (at !== -1) {
    if (!isRegexSpace(text.charCodeAt(at + 8))) {
      at = text.indexOf("#include", at + 1);
      continue;
    }
    let end = at + 9;
    while (end < text.length) {
      const c = text.charCodeAt(end);
      if (c === CH_DQUOTE || c === CH_SQUOTE) break;
      end++;
    }
    out += text.slice(copied, at);
    const replacement = INCLUDE_KEY_PREFIX + n++ + ":";
    replacements.push([out.length, out.length + replacement.length, at, end]);
    out += replacement;
    copied = end;
    at = text.indexOf("#include", end);
  }
  if (replacements.length === 0) return { text, originalOffset: (offset) => offset };
  out += text.slice(copied);
  return {
    text: out,
    originalOffset(offset: number): number {
      let shift = 0;
      for (const [newStart, newEnd, oldStart, oldEnd] of replacements) {
        if (offset < newStart) break;
        if (offset < newEnd) return oldStart;
        shift = oldEnd - newEnd;
      }
      return offset + shift;
    },
  };
}
