/**
 * A hand-written FHiCL scanner and recursive-descent parser over char codes: one pass, no regular expressions,
 * no backtracking. Produces the syntax tree of `ast.ts` and reports errors with file:line:column.
 *
 * Two dialects share the code:
 * - **full** (default): `#include "f"` lines are directives, `@table::x` in entry position is a splice.
 * - **snippet**: what artdaq_database's patched fhiclcpp accepts when storing (artdaq-database.md §5.1): the text
 *   has already had its `#include` lines rewritten to `fhicl_pound_include_<n>:` bindings, a `#` always starts a
 *   comment, and `@table::`/`@sequence::` in entry position or a dotted key inside a table are errors.
 *
 * @module
 */

import type {
  FhiclAtom,
  FhiclAtomType,
  FhiclDocument,
  FhiclEntry,
  FhiclModifier,
  FhiclSequence,
  FhiclTable,
  FhiclTopEntry,
  FhiclValue,
} from "./ast.ts";
import { FhiclSyntaxError } from "./errors.ts";

/** Deepest nesting of tables and sequences accepted; real configurations use fewer than 15 levels. */
export const MAX_FHICL_DEPTH = 500;

/** Options of {@link parseSyntax}. */
export interface SyntaxOptions {
  /** Name used in error messages. */
  filename: string;
  /** Parse the artdaq_database storing dialect (see the module doc). */
  snippet?: boolean;
}

const MODIFIERS: ReadonlySet<string> = new Set([
  "@protect_ignore",
  "@protect_error",
  "@initial",
  "@replace",
  "@replace_compat",
  "@add_or_replace_compat",
]);

const REFERENCE_PREFIXES = ["@local::", "@table::", "@sequence::", "@id::", "@db::"];

// Character classes as lookup tables indexed by char code (ASCII only; other code points are never in a class).
// 256 entries, so that a UTF-8 byte can index them too (dbjson_bytes.ts).
/** Characters that may begin a key or a name: `[A-Za-z_]`. */
export const IS_NAME_START: Uint8Array = new Uint8Array(256);
/** Characters of a key or a name: `[A-Za-z0-9_]`. */
export const IS_NAME: Uint8Array = new Uint8Array(256);
/** Unquoted value characters: `[A-Za-z0-9_:@.]`. */
export const IS_TOKEN: Uint8Array = new Uint8Array(256);
/** Characters scanned for a number token before validation: `[A-Za-z0-9_.+-]`. */
export const IS_NUMBER_TOKEN: Uint8Array = new Uint8Array(256);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  const alpha = /[A-Za-z]/.test(ch);
  const digit = c >= 0x30 && c <= 0x39;
  IS_NAME_START[c] = alpha || ch === "_" ? 1 : 0;
  IS_NAME[c] = alpha || digit || ch === "_" ? 1 : 0;
  IS_TOKEN[c] = alpha || digit || "_:@.".includes(ch) ? 1 : 0;
  IS_NUMBER_TOKEN[c] = alpha || digit || "_.+-".includes(ch) ? 1 : 0;
}

const CH_TAB = 0x09, CH_LF = 0x0a, CH_VT = 0x0b, CH_FF = 0x0c, CH_CR = 0x0d, CH_SPACE = 0x20;
const CH_DQUOTE = 0x22, CH_HASH = 0x23, CH_SQUOTE = 0x27, CH_LPAREN = 0x28, CH_RPAREN = 0x29;
const CH_PLUS = 0x2b, CH_COMMA = 0x2c, CH_MINUS = 0x2d, CH_DOT = 0x2e, CH_SLASH = 0x2f, CH_COLON = 0x3a;
const CH_AT = 0x40, CH_LBRACKET = 0x5b, CH_BACKSLASH = 0x5c, CH_RBRACKET = 0x5d, CH_LBRACE = 0x7b;
const CH_RBRACE = 0x7d;

function isSpace(c: number): boolean {
  return c === CH_SPACE || c === CH_TAB || c === CH_LF || c === CH_CR || c === CH_VT || c === CH_FF;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * Validates a number token (without complex numbers): decimal integers and reals with optional exponent,
 * `0x` hex, `0b` binary and `±infinity`, with an optional sign. Hand-written so that no input can backtrack.
 */
export function isNumberToken(token: string): boolean {
  let i = 0;
  const len = token.length;
  let c = token.charCodeAt(0);
  if (c === CH_PLUS || c === CH_MINUS) c = token.charCodeAt(++i);
  if (len - i === 8 && token.endsWith("infinity")) return true;
  if (c === 0x30 && len - i > 2) {
    const x = token.charCodeAt(i + 1) | 0x20;
    if (x === 0x78 /* x */ || x === 0x62 /* b */) {
      for (let j = i + 2; j < len; j++) {
        const d = token.charCodeAt(j);
        const ok = x === 0x62 ? d === 0x30 || d === 0x31 : isDigit(d) || ((d | 0x20) >= 0x61 && (d | 0x20) <= 0x66);
        if (!ok) return false;
      }
      return true;
    }
  }
  let digits = 0;
  while (i < len && isDigit(token.charCodeAt(i))) i++, digits++;
  if (i < len && token.charCodeAt(i) === CH_DOT) {
    i++;
    while (i < len && isDigit(token.charCodeAt(i))) i++, digits++;
  }
  if (digits === 0) return false;
  if (i < len && (token.charCodeAt(i) | 0x20) === 0x65) {
    i++;
    if (i < len && (token.charCodeAt(i) === CH_PLUS || token.charCodeAt(i) === CH_MINUS)) i++;
    if (i >= len) return false;
    while (i < len && isDigit(token.charCodeAt(i))) i++;
  }
  return i === len;
}

/** Parses FHiCL text into a syntax tree without resolving anything. Throws {@link FhiclSyntaxError}. */
export function parseSyntax(text: string, options: SyntaxOptions): FhiclDocument {
  return new Parser(text, options).document();
}

class Parser {
  private pos = 0;
  private readonly len: number;
  private readonly text: string;
  private readonly filename: string;
  private readonly snippet: boolean;

  constructor(text: string, options: SyntaxOptions) {
    this.text = text;
    this.len = text.length;
    this.filename = options.filename;
    this.snippet = options.snippet ?? false;
  }

  private fail(reason: string, at: number = this.pos): never {
    throw new FhiclSyntaxError(this.filename, this.text, at, reason);
  }

  private describe(at: number): string {
    if (at >= this.len) return "end of file";
    const c = this.text.charCodeAt(at);
    if (c === CH_LF || c === CH_CR) return "end of line";
    return JSON.stringify(String.fromCodePoint(this.text.codePointAt(at) ?? c));
  }

  document(): FhiclDocument {
    const entries = this.entries(-1, 0, true) as FhiclTopEntry[];
    return { filename: this.filename, entries };
  }

  /** True when the `#` at `at` opens an `#include` directive (first non-blank of its line, full dialect only). */
  private isIncludeDirective(at: number): boolean {
    if (this.snippet || !this.text.startsWith("#include", at)) return false;
    const next = this.text.charCodeAt(at + 8);
    if (next !== CH_SPACE && next !== CH_TAB) return false;
    for (let i = at - 1; i >= 0; i--) {
      const c = this.text.charCodeAt(i);
      if (c === CH_LF) return true;
      if (c !== CH_SPACE && c !== CH_TAB && c !== CH_CR) return false;
    }
    return true;
  }

  /** Skips whitespace and comments; stops before an `#include` directive. */
  private trivia(): void {
    const text = this.text;
    const len = this.len;
    let pos = this.pos;
    while (pos < len) {
      const c = text.charCodeAt(pos);
      if (isSpace(c)) {
        pos++;
      } else if (c === CH_HASH || (c === CH_SLASH && text.charCodeAt(pos + 1) === CH_SLASH)) {
        if (c === CH_HASH && this.isIncludeDirective(pos)) break;
        const eol = text.indexOf("\n", pos);
        pos = eol === -1 ? len : eol + 1;
      } else {
        break;
      }
    }
    this.pos = pos;
  }

  /** True when `word` stands at the current position as a whole word. */
  private atWord(word: string): boolean {
    if (!this.text.startsWith(word, this.pos)) return false;
    const next = this.text.charCodeAt(this.pos + word.length);
    return !(next < 128 && IS_TOKEN[next]);
  }

  /**
   * Parses entries until `close` (a char code) or, for the top level (`close` = -1), until the end of the text.
   * `inProlog`: inside a `BEGIN_PROLOG` block, where `END_PROLOG` ends the list.
   */
  private entries(close: number, depth: number, topLevel: boolean, inProlog = false): FhiclTopEntry[] {
    const out: FhiclTopEntry[] = [];
    const openedAt = this.pos - 1;
    for (;;) {
      this.trivia();
      if (this.pos >= this.len) {
        if (inProlog) this.fail("missing END_PROLOG before the end of the file");
        if (close !== -1) this.fail("missing '}' for the table opened here", openedAt);
        return out;
      }
      const start = this.pos;
      const c = this.text.charCodeAt(start);
      if (c === close) {
        this.pos++;
        return out;
      }
      if (c === CH_HASH) {
        out.push(this.include());
        continue;
      }
      if (c === CH_AT) {
        out.push(this.splice());
        continue;
      }
      if (topLevel && this.atWord("BEGIN_PROLOG")) {
        if (inProlog) this.fail("BEGIN_PROLOG inside a prolog");
        this.pos += 12;
        out.push({ kind: "prolog", entries: this.entries(-1, depth, true, true) as FhiclEntry[], start });
        continue;
      }
      if (topLevel && this.atWord("END_PROLOG")) {
        if (!inProlog) this.fail("END_PROLOG without BEGIN_PROLOG");
        this.pos += 10;
        return out;
      }
      if (c === CH_RBRACE || c === CH_RBRACKET) this.fail(`unexpected ${this.describe(start)}`);
      out.push(this.binding(depth, topLevel));
    }
  }

  private include(): FhiclEntry {
    const start = this.pos;
    this.pos += 8; // "#include"
    while (this.text.charCodeAt(this.pos) === CH_SPACE || this.text.charCodeAt(this.pos) === CH_TAB) this.pos++;
    if (this.text.charCodeAt(this.pos) !== CH_DQUOTE) this.fail('expected "file name" after #include');
    const close = this.text.indexOf('"', this.pos + 1);
    const eol = this.text.indexOf("\n", this.pos);
    if (close === -1 || (eol !== -1 && close > eol)) this.fail("unterminated file name after #include");
    const path = this.text.slice(this.pos + 1, close);
    if (path.length === 0) this.fail("empty file name after #include");
    this.pos = close + 1;
    this.restOfLineIsTrivia("#include");
    return { kind: "include", path, start };
  }

  private restOfLineIsTrivia(what: string): void {
    while (this.pos < this.len) {
      const c = this.text.charCodeAt(this.pos);
      if (c === CH_LF) return;
      if (c === CH_SPACE || c === CH_TAB || c === CH_CR) this.pos++;
      else if (c === CH_HASH || (c === CH_SLASH && this.text.charCodeAt(this.pos + 1) === CH_SLASH)) return;
      else this.fail(`unexpected ${this.describe(this.pos)} after ${what}`);
    }
  }

  private splice(): FhiclEntry {
    const start = this.pos;
    const token = this.token();
    if (!token.startsWith("@table::") || token.length === 8) {
      this.fail(`expected a key or @table::name, found ${JSON.stringify(token)}`, start);
    }
    if (this.snippet) this.fail("@table:: in place of a key cannot be stored by artdaq_database", start);
    return { kind: "splice", text: token, start };
  }

  /** Reads `[A-Za-z0-9_:@.]*` plus `[digits]` index parts (for references such as `@local::a[0].b`). */
  private token(): string {
    const text = this.text;
    const start = this.pos;
    let pos = start;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c < 128 && IS_TOKEN[c]) pos++;
      else if (c === CH_LBRACKET && text.charCodeAt(start) === CH_AT && isDigit(text.charCodeAt(pos + 1))) {
        let end = pos + 1;
        while (isDigit(text.charCodeAt(end))) end++;
        if (text.charCodeAt(end) !== CH_RBRACKET) break;
        pos = end + 1;
      } else break;
    }
    this.pos = pos;
    return text.slice(start, pos);
  }

  private key(topLevel: boolean): string {
    const text = this.text;
    const start = this.pos;
    let pos = start;
    const first = text.charCodeAt(pos);
    if (!(first < 128 && IS_NAME_START[first])) {
      this.fail(`expected a key, found ${this.describe(pos)}`);
    }
    let compound = false; // dotted or indexed
    for (;;) {
      while (pos < this.len && text.charCodeAt(pos) < 128 && IS_NAME[text.charCodeAt(pos)]) pos++;
      const c = text.charCodeAt(pos);
      if (c === CH_DOT) {
        const n = text.charCodeAt(pos + 1);
        if (!(n < 128 && IS_NAME_START[n])) this.fail("expected a name after '.' in the key", pos + 1);
        pos++;
      } else if (c === CH_LBRACKET) {
        let end = pos + 1;
        while (isDigit(text.charCodeAt(end))) end++;
        if (end === pos + 1 || text.charCodeAt(end) !== CH_RBRACKET) this.fail("expected [index] in the key", pos);
        pos = end + 1;
      } else break;
      compound = true;
    }
    if (this.snippet && !topLevel && compound) {
      this.fail("a dotted or indexed key inside a table cannot be stored by artdaq_database", start);
    }
    this.pos = pos;
    return text.slice(start, pos);
  }

  private nameLength(start: number): number {
    let pos = start;
    while (pos < this.len && this.text.charCodeAt(pos) < 128 && IS_NAME[this.text.charCodeAt(pos)]) pos++;
    return pos - start;
  }

  private binding(depth: number, topLevel: boolean): FhiclEntry {
    const start = this.pos;
    const key = this.key(topLevel);
    this.trivia();
    let modifier: FhiclModifier | undefined;
    if (this.text.charCodeAt(this.pos) === CH_AT) {
      const at = this.pos;
      const word = "@" + this.text.slice(at + 1, at + 1 + this.nameLength(at + 1));
      this.pos = at + word.length;
      if (!MODIFIERS.has(word) || (this.snippet && word !== "@protect_ignore" && word !== "@protect_error")) {
        this.fail(`unknown binding modifier ${JSON.stringify(word)}`, at);
      }
      modifier = word as FhiclModifier;
      this.trivia();
    }
    if (this.text.charCodeAt(this.pos) !== CH_COLON) {
      this.fail(`expected ':' after the key ${JSON.stringify(key)}, found ${this.describe(this.pos)}`);
    }
    this.pos++;
    this.trivia();
    const value = this.value(depth);
    return modifier === undefined
      ? { kind: "binding", key, value, start }
      : { kind: "binding", key, modifier, value, start };
  }

  private value(depth: number): FhiclValue {
    const text = this.text;
    const start = this.pos;
    if (start >= this.len) this.fail("expected a value, found end of file");
    const c = text.charCodeAt(start);
    if (c === CH_LBRACE) {
      if (depth >= MAX_FHICL_DEPTH) this.fail(`nesting deeper than ${MAX_FHICL_DEPTH} levels`);
      this.pos++;
      const table: FhiclTable = {
        kind: "table",
        entries: this.entries(CH_RBRACE, depth + 1, false) as FhiclEntry[],
        start,
      };
      return table;
    }
    if (c === CH_LBRACKET) {
      if (depth >= MAX_FHICL_DEPTH) this.fail(`nesting deeper than ${MAX_FHICL_DEPTH} levels`);
      return this.sequence(depth + 1);
    }
    let atom: FhiclAtom;
    if (c === CH_DQUOTE) {
      let pos = start + 1;
      for (;;) {
        const q = text.indexOf('"', pos);
        if (q === -1) this.fail("unterminated double-quoted string", start);
        // An odd run of backslashes before the quote escapes it.
        let b = q - 1;
        while (b > start && text.charCodeAt(b) === CH_BACKSLASH) b--;
        if ((q - 1 - b) % 2 === 0) {
          atom = { kind: "atom", type: "string_doublequoted", text: text.slice(start + 1, q), start };
          this.pos = q + 1;
          break;
        }
        pos = q + 1;
      }
    } else if (c === CH_SQUOTE) {
      const q = text.indexOf("'", start + 1);
      if (q === -1) this.fail("unterminated single-quoted string", start);
      atom = { kind: "atom", type: "string_singlequoted", text: text.slice(start + 1, q), start };
      this.pos = q + 1;
    } else if (c === CH_LPAREN) {
      atom = this.complex();
    } else if (c === CH_AT) {
      const token = this.token();
      let type: FhiclAtomType = "string_unquoted";
      if (token === "@nil") type = "nil";
      else if (token === "@erase" || REFERENCE_PREFIXES.some((p) => token.length > p.length && token.startsWith(p))) {
        type = "reference";
      } else if (!this.snippet) this.fail(`unknown directive ${JSON.stringify(token)}`, start);
      atom = { kind: "atom", type, text: token, start };
    } else if (isDigit(c) || c === CH_PLUS || c === CH_MINUS || c === CH_DOT) {
      let pos = start + 1;
      while (pos < this.len && text.charCodeAt(pos) < 128 && IS_NUMBER_TOKEN[text.charCodeAt(pos)]) {
        const d = text.charCodeAt(pos);
        // A sign only continues the token right after an exponent marker (1e+5); otherwise it ends it.
        if ((d === CH_PLUS || d === CH_MINUS) && (text.charCodeAt(pos - 1) | 0x20) !== 0x65) break;
        pos++;
      }
      const token = text.slice(start, pos);
      if (!isNumberToken(token)) this.fail(`invalid number ${JSON.stringify(token)}`, start);
      atom = { kind: "atom", type: "number", text: token, start };
      this.pos = pos;
    } else if (c < 128 && IS_NAME_START[c]) {
      const token = this.token();
      const type: FhiclAtomType = token === "true" || token === "false"
        ? "bool"
        : token === "infinity"
        ? "number"
        : "string_unquoted";
      atom = { kind: "atom", type, text: token, start };
    } else {
      this.fail(`expected a value, found ${this.describe(start)}`);
    }
    this.endOfScalar();
    return atom;
  }

  /** After a scalar: whitespace, `,`, `]`, `}`, a comment or the end of the text must follow. */
  private endOfScalar(): void {
    if (this.pos >= this.len) return;
    const c = this.text.charCodeAt(this.pos);
    if (isSpace(c) || c === CH_COMMA || c === CH_RBRACKET || c === CH_RBRACE || c === CH_HASH) return;
    if (c === CH_SLASH && this.text.charCodeAt(this.pos + 1) === CH_SLASH) return;
    this.fail(`unexpected ${this.describe(this.pos)} after the value`);
  }

  private sequence(depth: number): FhiclSequence {
    const start = this.pos;
    this.pos++;
    const items: FhiclValue[] = [];
    this.trivia();
    if (this.text.charCodeAt(this.pos) === CH_RBRACKET) {
      this.pos++;
      return { kind: "sequence", items, start };
    }
    for (;;) {
      this.trivia();
      if (this.pos >= this.len) this.fail("missing ']' for the sequence opened here", start);
      const c = this.text.charCodeAt(this.pos);
      if (c === CH_RBRACKET) this.fail("a trailing ',' before ']' is not allowed");
      if (c === CH_HASH) this.fail("#include inside a sequence is not allowed");
      items.push(this.value(depth));
      this.trivia();
      const next = this.text.charCodeAt(this.pos);
      if (next === CH_COMMA) {
        this.pos++;
        continue;
      }
      if (next === CH_RBRACKET) {
        this.pos++;
        return { kind: "sequence", items, start };
      }
      if (this.pos >= this.len) this.fail("missing ']' for the sequence opened here", start);
      this.fail(`expected ',' or ']' in the sequence, found ${this.describe(this.pos)}`);
    }
  }

  /** `(real, real)`; the atom text is the source slice from `(` to `)`. */
  private complex(): FhiclAtom {
    const start = this.pos;
    this.pos++;
    const part = (): void => {
      this.trivia();
      const at = this.pos;
      while (
        this.pos < this.len && this.text.charCodeAt(this.pos) < 128 && IS_NUMBER_TOKEN[this.text.charCodeAt(this.pos)]
      ) {
        const d = this.text.charCodeAt(this.pos);
        if (
          (d === CH_PLUS || d === CH_MINUS) && this.pos > at && (this.text.charCodeAt(this.pos - 1) | 0x20) !== 0x65
        ) {
          break;
        }
        this.pos++;
      }
      if (!isNumberToken(this.text.slice(at, this.pos))) this.fail("expected a real number in the complex value", at);
      this.trivia();
    };
    part();
    if (this.text.charCodeAt(this.pos) !== CH_COMMA) this.fail("expected ',' in the complex value");
    this.pos++;
    part();
    if (this.text.charCodeAt(this.pos) !== CH_RPAREN) this.fail("expected ')' to close the complex value");
    this.pos++;
    return { kind: "atom", type: "complex", text: this.text.slice(start, this.pos), start };
  }
}
