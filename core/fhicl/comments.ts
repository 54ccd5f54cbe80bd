/**
 * artdaq_database's comment collection and `#include` rewriting (artdaq-database.md §5.1 steps 1–2), reproduced
 * exactly, quirks included, because the stored comments and annotations depend on them.
 *
 * @module
 */

const CH_LF = 0x0a, CH_DQUOTE = 0x22, CH_HASH = 0x23, CH_SQUOTE = 0x27, CH_SLASH = 0x2f;

/** ASCII characters the comment scanner passes over without a look: all but line feed, quotes, `#` and `/`. */
const PLAIN = new Uint8Array(128).fill(1);
for (const c of [CH_LF, CH_DQUOTE, CH_HASH, CH_SQUOTE, CH_SLASH]) PLAIN[c] = 0;

/** The comments of a FHiCL text: line number (1-based) → comment text (marker included, trailing blanks kept). */
export type CommentMap = Map<number, string>;

/**
 * Collects comments like artdaq_database's reader: scanning forward, a quoted span with at least one character
 * (`"[^"]+"` or `'[^']+'`, newlines allowed) is skipped; the first `#` or `//` outside such a span starts a comment
 * that runs to the end of the line. The scan stops at the first non-ASCII character (a comment in progress keeps
 * the text before it), because the C++ scanner accepts ASCII only.
 *
 * @example
 * ```ts
 * scanComments('a: "x#y" # note\nb: 1'); // Map { 1 => "# note" }
 * ```
 */
export function scanComments(text: string): CommentMap {
  const comments: CommentMap = new Map();
  const len = text.length;
  let line = 1;
  let pos = 0;
  while (pos < len) {
    let c = text.charCodeAt(pos);
    while (c < 0x80 && PLAIN[c] === 1) c = text.charCodeAt(++pos);
    if (pos >= len) break;
    if (c === CH_LF) {
      line++;
      pos++;
    } else if (c > 0x7f) {
      break;
    } else if (c === CH_DQUOTE || c === CH_SQUOTE) {
      const close = text.indexOf(c === CH_DQUOTE ? '"' : "'", pos + 1);
      if (close <= pos + 1) {
        pos++; // no match of "[^"]+" here: the regex engine moves on by one character
        continue;
      }
      let ascii = true;
      for (let i = pos + 1; i < close; i++) {
        const q = text.charCodeAt(i);
        if (q === CH_LF) line++;
        else if (q > 0x7f) {
          ascii = false;
          break;
        }
      }
      if (!ascii) break;
      pos = close + 1;
    } else if (c === CH_HASH || (c === CH_SLASH && text.charCodeAt(pos + 1) === CH_SLASH)) {
      let end = text.indexOf("\n", pos);
      if (end === -1) end = len;
      let stop = pos;
      while (stop < end && text.charCodeAt(stop) <= 0x7f) stop++;
      comments.set(line, text.slice(pos, stop));
      if (stop < end) break;
      pos = end;
    } else {
      pos++;
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
