/**
 * FHiCL → DB-JSON straight to bytes: the `document.data`, `document.metadata` and `comments` of
 * {@link fhiclToDbJson} in artdaq_database's JsonWriter layout (exactly the bytes `encodeArtdaq` writes of them),
 * scanned from the text's bytes and written as they are scanned. No syntax tree, no ordered model, no string per key
 * or value: for the machine-written files of a run record (two thirds blanks) this is several times cheaper than
 * parse → model → encode, which was most of an import's CPU (BENCHMARKS.md round 14).
 *
 * It takes the common case only and says so: {@link encodeDbJsonTrees} returns null for anything else, and the
 * caller converts through {@link fhiclToDbJson}, the reference, which gives the exact result or the exact error.
 * Null is returned for text that is not valid FHiCL of the storing dialect (no message is made here), for a
 * non-ASCII character in a value or a key, and for two different keys of one hash in a table of more than 64 members.
 * A key repeated inside one table replaces the earlier value where it stands, and a main binding of a key that a
 * prolog entry before it binds removes that entry, as the reference does: by splicing the bytes written. What it
 * accepts it writes as the reference does: the fuzzer (core/fhicl/fuzz.ts) checks every input against it.
 *
 * In the same pass it writes the FHiCL the export renders of the trees ({@link DbJsonTrees.fhicl}), and it copies
 * the output of a table or sequence whose bytes it converted lately ({@link RecentContainers}).
 *
 * @module
 */

import { ByteBuffer, matchesAt } from "../blob/bytes.ts";
import { quoteJsonString } from "../json/stringify.ts";
import { INCLUDE_KEY_PREFIX, rewriteIncludes, scanComments } from "./comments.ts";
import { commentFrom, complexData } from "./dbjson.ts";
import { IS_NAME, IS_NAME_START, IS_NUMBER_TOKEN, IS_TOKEN, isNumberToken, MAX_FHICL_DEPTH } from "./parser.ts";

/**
 * The three trees of a FHiCL text's DB-JSON as JsonWriter bytes, each in parts to be written one after the other.
 * The parts are views of buffers that the next conversion reuses: write them out at once.
 */
export interface DbJsonTrees {
  /** `document.data`: `{"prolog" : …, "main" : …}`. */
  data: Uint8Array[];
  /** `document.metadata`. */
  metadata: Uint8Array[];
  /** The `comments` list. */
  comments: Uint8Array;
  /**
   * The FHiCL the export writes of these trees (`dbJsonToFhicl`), as UTF-8, made in the same pass; null where the
   * reference's writer would read the trees otherwise than in order (a key repeated at the top level or replaced in
   * a table, a prolog entry removed).
   */
  fhicl: Uint8Array[] | null;
}

const utf8 = new TextEncoder();
const bytesOf = (text: string): Uint8Array => utf8.encode(text);

const DATA_HEAD = bytesOf('{\n"prolog" : ');
const DATA_MAIN = bytesOf(',\n"main" : ');
const TREE_END = bytesOf("\n}");
const META_HEAD = bytesOf('{\n"prolog" : {\n"type" : "table",\n"comment" : "#prolog",\n"children" : ');
const META_MAIN = bytesOf('\n},\n"main" : {\n"type" : "table",\n"comment" : "#main",\n"children" : ');
const META_END = bytesOf("\n}\n}");
const NO_COMMENTS = bytesOf('[\n{\n"linenum" : 0,\n"value" : "No comments"\n}\n]');
const BEGIN_PROLOG = bytesOf("BEGIN_PROLOG\n"), END_PROLOG = bytesOf("\nEND_PROLOG\n");
const INCLUDE_LINE = bytesOf(' \n#include "');

const TYPE_TABLE = bytesOf('{\n"type" : "table",\n"comment" : ');
const TYPE_SEQUENCE = bytesOf('{\n"type" : "sequence",\n"comment" : ');
const ANNOTATION = bytesOf(',\n"annotation" : ');
const PROTECTION = bytesOf(',\n"protection" : ');
const CHILDREN = bytesOf(',\n"children" : {');

/** Metadata leaf types, by the code {@link Converter.atom} finds. */
const LEAF_TYPES = [
  "number",
  "bool",
  "nil",
  "complex",
  "string_doublequoted",
  "string_singlequoted",
  "string_unquoted",
];
const T_NUMBER = 0, T_BOOL = 1, T_NIL = 2, T_COMPLEX = 3, T_DOUBLE = 4, T_SINGLE = 5, T_UNQUOTED = 6;
/** A leaf's metadata up to its comment, and a whole leaf without comment, annotation or protection. */
const LEAF_HEAD = LEAF_TYPES.map((type) => bytesOf(`{\n"type" : "${type}",\n"comment" : `));
const PLAIN_LEAF = LEAF_TYPES.map((type) => bytesOf(`{\n"type" : "${type}",\n"comment" : "",\n"annotation" : ""\n}`));
/** The protections the storing dialect knows, as modifier codes: 0 none, 1 and 2 these. */
const PROTECTIONS = ["", "@protect_ignore", "@protect_error"];
const PROTECTION_TEXT = PROTECTIONS.map((p) => bytesOf(quoteJsonString(p)));
const INCLUDE_PREFIX = bytesOf(INCLUDE_KEY_PREFIX);

const CH_LF = 0x0a, CH_DQUOTE = 0x22, CH_HASH = 0x23, CH_SQUOTE = 0x27, CH_LPAREN = 0x28, CH_RPAREN = 0x29;
const CH_PLUS = 0x2b, CH_COMMA = 0x2c, CH_MINUS = 0x2d, CH_DOT = 0x2e, CH_SLASH = 0x2f, CH_COLON = 0x3a;
const CH_AT = 0x40, CH_LBRACKET = 0x5b, CH_BACKSLASH = 0x5c, CH_RBRACKET = 0x5d, CH_LBRACE = 0x7b;
const CH_RBRACE = 0x7d;

/** Thrown inside the converter for input it leaves to the reference; caught by {@link encodeDbJsonTrees}. */
const DECLINE = new Error("left to fhiclToDbJson");

const HEX = "0123456789abcdef";

/** Numbers per member of a table being written (see `Converter.members`). */
const MEMBER = 7;

/** A top-level prolog entry: where its bytes lie in the prolog's sinks (from its separator to its end). */
interface PrologEntry {
  key: string;
  data: number;
  dataEnd: number;
  meta: number;
  metaEnd: number;
}

/** The converter's output: a {@link ByteBuffer} with the JsonWriter layout's pieces. */
class Sink extends ByteBuffer {
  /** `,\n` before a member or item, or `\n` before the first one. */
  separator(first: boolean): void {
    this.reserve(2);
    if (!first) this.buf[this.at++] = CH_COMMA;
    this.buf[this.at++] = CH_LF;
  }

  /** The end of an object or array opened with one byte: `\n\n}` when it is empty, else `\n}`. */
  close(empty: boolean, bracket: number): void {
    this.reserve(3);
    this.buf[this.at++] = CH_LF;
    if (empty) this.buf[this.at++] = CH_LF;
    this.buf[this.at++] = bracket;
  }

  /**
   * A binding's start in the export's FHiCL: its comment (ASCII), a line break, the key `src[from, to)`, the
   * protection (when not "") and `: `.
   */
  bindingStart(comment: string, src: Uint8Array, from: number, to: number, protection: string): void {
    if (comment !== "") this.ascii(comment);
    this.reserve(to - from + protection.length + 4);
    const buf = this.buf;
    let at = this.at;
    buf[at++] = CH_LF;
    for (let i = from; i < to; i++) buf[at++] = src[i];
    if (protection !== "") {
      buf[at++] = 0x20;
      for (let i = 0; i < protection.length; i++) buf[at++] = protection.charCodeAt(i);
    }
    buf[at++] = CH_COLON;
    buf[at++] = 0x20;
    this.at = at;
  }

  /**
   * A scalar in the export's FHiCL: `src[from, to)` between `quote`s (0: none), then, with an `annotation` (a
   * binding's, ASCII; null for a sequence element), a blank, it and a line break.
   */
  scalar(src: Uint8Array, from: number, to: number, quote: number, annotation: string | null): void {
    this.reserve(to - from + 4);
    const buf = this.buf;
    let at = this.at;
    if (quote !== 0) buf[at++] = quote;
    for (let i = from; i < to; i++) buf[at++] = src[i];
    if (quote !== 0) buf[at++] = quote;
    if (annotation === null) {
      this.at = at;
      return;
    }
    buf[at++] = 0x20;
    if (annotation === "") {
      buf[at++] = CH_LF;
      this.at = at;
      return;
    }
    this.at = at;
    this.ascii(annotation);
    this.byte(CH_LF);
  }

  /** `"<index>" : `: the metadata key of a sequence item. */
  indexKey(index: number): void {
    if (index < INDEX_KEYS.length) {
      this.put(INDEX_KEYS[index]);
      return;
    }
    const digits = String(index);
    this.reserve(digits.length + 5);
    const buf = this.buf;
    buf[this.at++] = CH_DQUOTE;
    for (let i = 0; i < digits.length; i++) buf[this.at++] = digits.charCodeAt(i);
    buf[this.at++] = CH_DQUOTE;
    buf[this.at++] = 0x20;
    buf[this.at++] = CH_COLON;
    buf[this.at++] = 0x20;
  }

  /** `"key" : ` of the bytes `src[from, to)`, which hold no character that needs escaping. */
  key(src: Uint8Array, from: number, to: number): void {
    this.reserve(to - from + 5);
    const buf = this.buf;
    let at = this.at;
    buf[at++] = CH_DQUOTE;
    for (let i = from; i < to; i++) buf[at++] = src[i];
    buf[at++] = CH_DQUOTE;
    buf[at++] = 0x20;
    buf[at++] = CH_COLON;
    buf[at++] = 0x20;
    this.at = at;
  }

  /**
   * `src[from, to)` as a JSON string, escaped as `quoteJsonString` does. Returns the number of line breaks in it, or
   * -1 at a byte past ASCII.
   */
  quoted(src: Uint8Array, from: number, to: number): number {
    let lines = 0;
    this.reserve(to - from + 2);
    let buf = this.buf;
    let at = this.at;
    buf[at++] = CH_DQUOTE;
    for (let i = from; i < to; i++) {
      const c = src[i];
      if (c >= 0x20 && c !== CH_DQUOTE && c !== CH_BACKSLASH) {
        if (c >= 0x80) return -1;
        buf[at++] = c;
        continue;
      }
      // An escape: up to six bytes for one.
      this.at = at;
      this.reserve(to - i + 7);
      buf = this.buf;
      buf[at++] = CH_BACKSLASH;
      if (c === CH_DQUOTE || c === CH_BACKSLASH) buf[at++] = c;
      else if (c === 0x08) buf[at++] = 0x62; // b
      else if (c === 0x0c) buf[at++] = 0x66; // f
      else if (c === 0x0a) {
        buf[at++] = 0x6e; // n
        lines++;
      } else if (c === 0x0d) buf[at++] = 0x72; // r
      else if (c === 0x09) buf[at++] = 0x74; // t
      else {
        buf[at++] = 0x75; // u
        buf[at++] = 0x30;
        buf[at++] = 0x30;
        buf[at++] = HEX.charCodeAt(c >> 4);
        buf[at++] = HEX.charCodeAt(c & 15);
      }
    }
    buf[at++] = CH_DQUOTE;
    this.at = at;
    return lines;
  }

  /**
   * A JSON string of a comment (ASCII: the comment scanner stops at the first character past ASCII). The last one
   * written is kept as bytes: every value of a line takes the same comment and annotation.
   */
  text(value: string): void {
    if (value === "") {
      this.reserve(2);
      this.buf[this.at++] = CH_DQUOTE;
      this.buf[this.at++] = CH_DQUOTE;
      return;
    }
    if (value !== lastText) {
      lastText = value;
      lastQuoted = utf8.encode(quoteJsonString(value));
    }
    this.put(lastQuoted);
  }
}

/** A container remembered by {@link RecentContainers}: where its bytes lie in the arena, and what it spans. */
interface RecentContainer {
  /** Position in the arena's stream of bytes ever written (its offset there is this modulo the arena's size). */
  at: number;
  sourceLength: number;
  dataLength: number;
  metaLength: number;
  /** {@link OUT_OF_ORDER}: its rendering is not the export's; {@link NOT_RENDERED}: none was made. */
  fhiclLength: number;
  /** Line breaks in its source, and how deep it nests below itself. */
  lines: number;
  height: number;
}

/**
 * Containers (tables, sequences) converted lately: their source bytes and the data and metadata bytes converted from
 * them, by {@link recentKey}. The files of a run repeat whole tables (ProtoDUNE run 1001506: every BoardReader's
 * 40 kB destinations table; of its documents' data, 94 % is in subtrees that one of the 4 documents before it
 * holds): a container whose bytes equal a remembered one is copied instead of converted.
 *
 * The bytes live in one arena allocated once (outside the JavaScript heap), written round and round: an entry is
 * valid until the writing comes round to its bytes again, so nothing is allocated or freed per container and the
 * memory is fixed. A container is remembered only when its key was seen before (a second sighting): most containers
 * never recur, and copying each at every level of nesting would cost more than the reuse saves.
 */
export class RecentContainers {
  readonly #size: number;
  /** Made at the first container remembered: a thread that never converts one never holds it. */
  #arena: Uint8Array | null = null;
  /** Bytes ever written to the arena. */
  #written = 0;
  readonly #entries = new Map<number, RecentContainer>();
  readonly #seen = new Set<number>();

  constructor(size: number) {
    this.#size = size;
  }

  /** The entry under `key` whose source is the bytes at `src[start…]`, if it is still in the arena. */
  find(key: number, src: Uint8Array, start: number): RecentContainer | null {
    const entry = this.#entries.get(key);
    const arena = this.#arena;
    if (entry === undefined || arena === null || this.#written - entry.at > arena.length) return null;
    const from = entry.at % arena.length;
    const length = entry.sourceLength;
    if (start + length > src.length) return null;
    for (let i = 0; i < length; i++) if (arena[from + i] !== src[start + i]) return null;
    return entry;
  }

  /** Appends the data, metadata and (when it has one and `fhicl` is given) FHiCL bytes of `entry` to the sinks. */
  copy(entry: RecentContainer, data: ByteBuffer, meta: ByteBuffer, fhicl: ByteBuffer | null): void {
    const arena = this.#arena!; // `entry` was found: the arena exists
    let from = entry.at % arena.length + entry.sourceLength;
    data.copy(arena, from, from += entry.dataLength);
    meta.copy(arena, from, from += entry.metaLength);
    if (fhicl !== null && entry.fhiclLength > 0) fhicl.copy(arena, from, from + entry.fhiclLength);
  }

  /** Whether `key` was offered before (noting it now). */
  seenBefore(key: number): boolean {
    if (this.#seen.has(key)) return true;
    if (this.#seen.size >= 1 << 16) this.#seen.clear();
    this.#seen.add(key);
    return false;
  }

  /**
   * Remembers a container under `key` (replacing the entry there): its source, data, metadata and FHiCL bytes
   * (or why there are none: {@link OUT_OF_ORDER}, {@link NOT_RENDERED}).
   */
  remember(
    key: number,
    source: Uint8Array,
    data: Uint8Array,
    meta: Uint8Array,
    fhicl: Uint8Array | typeof OUT_OF_ORDER | typeof NOT_RENDERED,
    lines: number,
    height: number,
  ): void {
    const rendered = typeof fhicl === "number" ? null : fhicl;
    const size = source.length + data.length + meta.length + (rendered?.length ?? 0);
    if (size > this.#size / 8) return;
    const arena = this.#arena ??= new Uint8Array(this.#size);
    // An entry is contiguous: one that would run past the end starts the next round instead.
    let at = this.#written;
    if (at % arena.length + size > arena.length) at += arena.length - at % arena.length;
    const offset = at % arena.length;
    arena.set(source, offset);
    arena.set(data, offset + source.length);
    arena.set(meta, offset + source.length + data.length);
    if (rendered) arena.set(rendered, offset + source.length + data.length + meta.length);
    this.#written = at + size;
    if (this.#entries.size >= 1 << 16) {
      for (const [k, entry] of this.#entries) if (this.#written - entry.at > arena.length) this.#entries.delete(k);
    }
    this.#entries.set(key, {
      at,
      sourceLength: source.length,
      dataLength: data.length,
      metaLength: meta.length,
      fhiclLength: rendered?.length ?? fhicl as number,
      lines,
      height,
    });
  }
}

/** A remembered container's rendering is not the export's (made out of order): taking it makes none. */
const OUT_OF_ORDER = -1;
/** A remembered container was converted without a rendering. */
const NOT_RENDERED = -2;

/** Smallest container remembered (smaller ones cost little to convert). */
const RECENT_MIN = 256;
/** The arena of each thread that converts. */
const RECENT = new RecentContainers(8 << 20);

/** The key of a container at `start`: a hash of its first 64 bytes, and the protection it inherits. */
function recentKey(src: Uint8Array, start: number, len: number, protection: number): number {
  const end = Math.min(start + 64, len);
  let hash = 0x811c9dc5 | 0;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ src[i], 0x01000193);
  return (hash >>> 0) * 4 + protection;
}

/** The comment {@link Sink.text} wrote last, and its bytes. */
let lastText = "";
let lastQuoted = new Uint8Array(0);

/** Largest source buffer kept from one conversion to the next. */
const KEPT_BUFFER = 4 << 20;

/**
 * Zero bytes after the text: the scan looks a few bytes ahead (a keyword, `//`) without checking the length, and a
 * read past a typed array's end would make the engine's loads generic (2× slower here). A zero is in no class.
 */
const PADDING = 16;
let sourceBuffer = new Uint8Array(1 << 16);

/** `bytes` followed by {@link PADDING} zero bytes, in a buffer reused by the next conversion. */
function padded(bytes: Uint8Array): Uint8Array {
  const size = bytes.length + PADDING;
  if (sourceBuffer.length < size || sourceBuffer.length > Math.max(KEPT_BUFFER, size * 2)) {
    sourceBuffer = new Uint8Array(Math.max(size, 1 << 16));
  }
  sourceBuffer.set(bytes);
  sourceBuffer.fill(0, bytes.length, size);
  return sourceBuffer.subarray(0, size);
}
const PROLOG_DATA = new Sink(), PROLOG_META = new Sink(), MAIN_DATA = new Sink(), MAIN_META = new Sink();
const PROLOG_FHICL = new Sink(), MAIN_FHICL = new Sink();
const COMMENTS = new Sink();

/**
 * The DB-JSON trees of `text` (whose UTF-8 bytes `bytes` are, when the caller has them) as JsonWriter bytes, or null
 * when the text is left to {@link fhiclToDbJson} (see the module doc). Equal, byte for byte, to `encodeArtdaq` of the
 * `document.data`, `document.metadata` and `comments` of `fhiclToDbJson(text, …)`; with `render`, also the export's
 * rendering of them (`DbJsonTrees.fhicl`, else null).
 *
 * @example
 * ```ts
 * const trees = encodeDbJsonTrees("a: 1 # one\n");
 * // trees.data: '{\n"prolog" : {\n\n},\n"main" : {\n"a" : "1"\n}\n}' in two or more parts
 * ```
 */
export function encodeDbJsonTrees(text: string, bytes?: Uint8Array, render = true): DbJsonTrees | null {
  const comments = scanComments(text);
  const rewritten = rewriteIncludes(text);
  const source = padded(rewritten === text && bytes !== undefined ? bytes : utf8.encode(rewritten));
  const byLine: Array<string | undefined> = [];
  for (const [line, comment] of comments) byLine[line] = comment;
  const commentLines = Int32Array.from(comments.keys()).sort();
  COMMENTS.reset();
  PROLOG_FHICL.reset();
  MAIN_FHICL.reset();
  // Each top-level object is written whole in its own sink: `{`, the members with separators, the close.
  for (const sink of [PROLOG_DATA, PROLOG_META, MAIN_DATA, MAIN_META]) {
    sink.reset();
    sink.byte(CH_LBRACE);
  }
  let converter: Converter;
  try {
    converter = new Converter(source, source.length - PADDING, byLine, commentLines);
    if (!render) converter.renderable = false; // nothing is written to the rendering's sinks
    converter.document();
  } catch (error) {
    if (error === DECLINE) return null;
    throw error;
  }
  let fhicl: Uint8Array[] | null = null;
  if (converter.renderable) {
    fhicl = converter.prologEntries > 0
      ? [BEGIN_PROLOG, PROLOG_FHICL.view(), END_PROLOG, MAIN_FHICL.view()]
      : [MAIN_FHICL.view()];
  }
  let list = NO_COMMENTS;
  if (comments.size > 0) {
    COMMENTS.byte(CH_LBRACKET);
    let first = true;
    for (const line of commentLines) {
      COMMENTS.separator(first);
      first = false;
      COMMENTS.put(bytesOf(`{\n"linenum" : ${line},\n"value" : `));
      COMMENTS.text(comments.get(line)!);
      COMMENTS.close(false, CH_RBRACE);
    }
    COMMENTS.close(false, CH_RBRACKET);
    list = COMMENTS.view();
  }
  return {
    data: [DATA_HEAD, PROLOG_DATA.view(), DATA_MAIN, MAIN_DATA.view(), TREE_END],
    metadata: [META_HEAD, PROLOG_META.view(), META_MAIN, MAIN_META.view(), META_END],
    comments: list,
    fhicl,
  };
}

/**
 * One conversion: a recursive-descent scan of the storing dialect (the grammar of parser.ts in snippet mode) that
 * writes each value's data, metadata and rendering as it goes, and throws {@link DECLINE} wherever the reference
 * would fail (see the module doc for what else it leaves to the reference).
 */
class Converter {
  private pos = 0;
  private readonly len: number;
  /** Where data and metadata go: the prolog's sinks inside `BEGIN_PROLOG`, else the main ones. */
  private data = MAIN_DATA;
  private meta = MAIN_META;
  private fhicl = MAIN_FHICL;
  /** Whether the FHiCL rendering made in the pass is the export's (see `DbJsonTrees.fhicl`). */
  renderable = true;
  /** Times the rendering was found out of order (a container's rendering is good when this did not change). */
  private disorders = 0;
  /** Top-level keys of the prolog and of main so far (a repeated one makes the rendering out of order). */
  private readonly prologKeys = new Set<string>();
  private readonly mainKeys = new Set<string>();
  /** Size of rendering past which it is left to the export (16 times the text, and 1 MiB). */
  private readonly renderLimit: number;
  /** Where the data of the atom just scanned lies in `src` (see `atom`). */
  private atomFrom = 0;
  private atomTo = 0;
  /** Line of `pos` (1-based): every line break passes through `trivia` or a quoted string. */
  private line = 1;
  /** The top-level prolog entries so far, in order (a main binding of one of their keys removes the first). */
  private readonly prolog: PrologEntry[] = [];
  /** Whether the top level of main has had a member yet. */
  private mainStarted = false;
  /**
   * The members of the tables being written, innermost last, {@link MEMBER} numbers each: the key's hash and source
   * range, and where the member's value lies in the data and the metadata sinks (so that a repeated key can
   * replace it in place).
   */
  private members = new Int32Array(MEMBER * 256);
  private memberCount = 0;
  /** Hash of the key just scanned. */
  private keyHash = 0;
  /** Deepest nesting of a container value seen in the container being converted (see `container`). */
  private deepest = 0;

  private readonly view: DataView;
  /** Lines past this one have neither comment nor annotation. */
  private readonly noteLines: number;

  constructor(
    /** The text's bytes, then {@link PADDING} zeros. */
    private readonly src: Uint8Array,
    len: number,
    private readonly byLine: Array<string | undefined>,
    /** The lines that hold a comment, in order. */
    private readonly commentLines: Int32Array,
  ) {
    this.len = len;
    this.view = new DataView(src.buffer, src.byteOffset, src.byteLength);
    this.renderLimit = 16 * len + (1 << 20);
    this.noteLines = (commentLines.at(-1) ?? 0) + 1;
  }

  document(): void {
    this.entries(0, false);
  }

  /** Skips blanks and comments (`#` always opens one in this dialect), counting lines. */
  private trivia(): void {
    const src = this.src;
    const view = this.view;
    const len = this.len;
    let pos = this.pos;
    while (pos < len) {
      const c = src[pos];
      if (c === 0x20) {
        // Indentation comes in long runs: four blanks at a time.
        pos++;
        while (pos + 4 <= len && view.getUint32(pos) === 0x20202020) pos += 4;
      } else if (c === 0x09) pos++;
      else if (c === CH_LF) {
        pos++;
        this.line++;
      } else if (c === 0x0d || c === 0x0b || c === 0x0c) pos++;
      else if (c === CH_HASH || (c === CH_SLASH && src[pos + 1] === CH_SLASH)) {
        const eol = src.indexOf(CH_LF, pos);
        if (eol === -1) pos = len;
        else {
          pos = eol + 1;
          this.line++;
        }
      } else break;
    }
    this.pos = pos;
  }

  /** Whether the ASCII `word` stands at the current position as a whole word. */
  private atWord(word: string): boolean {
    const src = this.src;
    const at = this.pos;
    for (let i = 0; i < word.length; i++) if (src[at + i] !== word.charCodeAt(i)) return false;
    return IS_TOKEN[src[at + word.length]] === 0;
  }

  /** The top level's entries, or a prolog's (`inProlog`) up to its `END_PROLOG`. */
  private entries(depth: number, inProlog: boolean): void {
    for (;;) {
      this.trivia();
      if (this.pos >= this.len) {
        if (inProlog) throw DECLINE;
        this.finishTopLevel();
        return;
      }
      if (this.atWord("BEGIN_PROLOG")) {
        if (inProlog) throw DECLINE;
        this.pos += 12;
        this.data = PROLOG_DATA;
        this.meta = PROLOG_META;
        this.fhicl = PROLOG_FHICL;
        this.entries(depth, true);
        this.data = MAIN_DATA;
        this.meta = MAIN_META;
        this.fhicl = MAIN_FHICL;
        continue;
      }
      if (this.atWord("END_PROLOG")) {
        if (!inProlog) throw DECLINE;
        this.pos += 10;
        return;
      }
      // Top-level keys repeat freely (each binding is appended); a main one that a prolog entry binds removes it.
      const keyStart = this.pos;
      const keyEnd = this.key(true);
      const key = ascii(this.src, keyStart, keyEnd);
      const keys = inProlog ? this.prologKeys : this.mainKeys;
      if (keys.has(key)) this.disorder();
      keys.add(key);
      if (inProlog) {
        const entry = { key, data: PROLOG_DATA.at, meta: PROLOG_META.at, dataEnd: 0, metaEnd: 0 };
        this.member(this.prolog.length === 0, keyStart, keyEnd, depth, 0);
        entry.dataEnd = PROLOG_DATA.at;
        entry.metaEnd = PROLOG_META.at;
        this.prolog.push(entry);
      } else {
        if (this.prolog.length > 0) this.removeProlog(key);
        this.member(!this.mainStarted, keyStart, keyEnd, depth, 0);
        this.mainStarted = true;
      }
    }
  }

  /** Removes the first top-level prolog entry bound to `key`, if any, as the reference's `delete` does. */
  private removeProlog(key: string): void {
    const prolog = this.prolog;
    const index = prolog.findIndex((entry) => entry.key === key);
    if (index < 0) return;
    this.disorder();
    const entry = prolog[index];
    const next = prolog[index + 1];
    let data = [entry.data, entry.dataEnd], meta = [entry.meta, entry.metaEnd];
    if (index === 0 && next !== undefined) {
      // The first member goes with the separator after it (`M1,\n`): the next one keeps the first's `\n`.
      data = [entry.data + 1, next.data + 2];
      meta = [entry.meta + 1, next.meta + 2];
      next.data = entry.data;
      next.meta = entry.meta;
    }
    PROLOG_DATA.remove(data[0], data[1]);
    PROLOG_META.remove(meta[0], meta[1]);
    const dataShift = data[1] - data[0], metaShift = meta[1] - meta[0];
    for (let i = index + 1; i < prolog.length; i++) {
      const later = prolog[i];
      if (i > index + 1 || index > 0) {
        later.data -= dataShift;
        later.meta -= metaShift;
      }
      later.dataEnd -= dataShift;
      later.metaEnd -= metaShift;
    }
    prolog.splice(index, 1);
  }

  /** Marks the rendering out of order. */
  private disorder(): void {
    this.renderable = false;
    this.disorders++;
  }

  /** Top-level prolog entries (after removals). */
  get prologEntries(): number {
    return this.prolog.length;
  }

  /** Closes the top-level objects (each sink holds `{` and its members, separated). */
  private finishTopLevel(): void {
    PROLOG_DATA.close(this.prolog.length === 0, CH_RBRACE);
    PROLOG_META.close(this.prolog.length === 0, CH_RBRACE);
    MAIN_DATA.close(!this.mainStarted, CH_RBRACE);
    MAIN_META.close(!this.mainStarted, CH_RBRACE);
  }

  /** A member whose key was just scanned: separator and key in both sinks, then the rest of the binding. */
  private member(first: boolean, keyStart: number, keyEnd: number, depth: number, inherited: number): void {
    this.data.separator(first);
    this.meta.separator(first);
    this.data.key(this.src, keyStart, keyEnd);
    this.meta.key(this.src, keyStart, keyEnd);
    this.binding(keyStart, keyEnd, depth, inherited);
  }

  /**
   * Scans a key (`topLevel`: dotted and indexed parts allowed) and returns where it ends; its hash is left in
   * `keyHash`. Inside a table a key ends at its name (a `.` or `[` after it is then refused, where `:` is expected).
   */
  private key(topLevel: boolean): number {
    const src = this.src;
    let pos = this.pos;
    if (IS_NAME_START[src[pos]] !== 1) throw DECLINE;
    let hash = 0x811c9dc5 | 0;
    for (;;) {
      let c = src[pos];
      while (IS_NAME[c] === 1) {
        hash = Math.imul(hash ^ c, 0x01000193);
        c = src[++pos];
      }
      if (!topLevel) break;
      if (c === CH_DOT) {
        if (IS_NAME_START[src[pos + 1]] !== 1) throw DECLINE;
        pos++;
      } else if (c === CH_LBRACKET) {
        let end = pos + 1;
        while (isDigit(src[end])) end++;
        if (end === pos + 1 || src[end] !== CH_RBRACKET) throw DECLINE;
        pos = end + 1;
      } else break;
    }
    this.keyHash = hash;
    this.pos = pos;
    return pos;
  }

  /** The rest of a binding whose key was just scanned: modifier, `:`, value; `inherited` is the table's protection. */
  private binding(keyStart: number, keyEnd: number, depth: number, inherited: number): void {
    const src = this.src;
    // The usual `key: value`: no call to skip what is not there.
    if (src[this.pos] !== CH_COLON) this.trivia();
    let protection = inherited;
    if (src[this.pos] === CH_AT) {
      const at = this.pos + 1;
      let end = at;
      while (IS_NAME[src[end]] === 1) end++;
      const word = ascii(src, at - 1, end);
      protection = word === "@protect_ignore" ? 1 : word === "@protect_error" ? 2 : -1;
      if (protection < 0) throw DECLINE;
      this.pos = end;
      this.trivia();
    }
    if (src[this.pos] !== CH_COLON) throw DECLINE;
    this.pos++;
    const next = src[this.pos + 1];
    if (src[this.pos] === 0x20 && next > 0x20 && next !== CH_HASH && next !== CH_SLASH) this.pos++;
    else this.trivia();
    this.value(depth, protection, !matchesAt(src, INCLUDE_PREFIX, keyStart), keyStart, keyEnd);
  }

  /**
   * One value: its data to `this.data`, its metadata node to `this.meta`, its rendering to `this.fhicl` (a binding's
   * line when `keyStart` ≥ 0, as the export's writer writes it: comment, line break, key, protection, `: `, value,
   * then annotation and line break but after a table; an element's value alone).
   */
  private value(depth: number, protection: number, noted: boolean, keyStart = -1, keyEnd = -1): void {
    const start = this.pos;
    if (start >= this.len) throw DECLINE;
    let comment = "", annotation = "";
    if (noted) {
      const line = this.line;
      if (line <= this.noteLines) {
        comment = commentFrom(this.byLine[line - 1]);
        annotation = this.byLine[line] ?? "";
      }
    }
    const c = this.src[start];
    const fhicl = this.fhicl;
    const include = keyStart >= 0 && !noted;
    // A rendering far larger than the text (a long comment taken by thousands of nodes) is left to the export.
    if (fhicl.at > this.renderLimit) this.disorder();
    const rendering = this.renderable;
    if (rendering && keyStart >= 0 && !include) {
      fhicl.bindingStart(comment, this.src, keyStart, keyEnd, PROTECTIONS[protection]);
    }
    if (c === CH_LBRACE || c === CH_LBRACKET) {
      if (depth >= MAX_FHICL_DEPTH) throw DECLINE;
      if (include) this.disorder();
      const meta = this.meta;
      meta.put(c === CH_LBRACE ? TYPE_TABLE : TYPE_SEQUENCE);
      meta.text(comment);
      if (c === CH_LBRACKET) {
        meta.put(ANNOTATION);
        meta.text(annotation);
      }
      if (protection !== 0) {
        meta.put(PROTECTION);
        meta.put(PROTECTION_TEXT[protection]);
      }
      meta.put(CHILDREN);
      this.container(c, depth, protection);
      this.meta.close(false, CH_RBRACE);
      if (c === CH_LBRACKET && this.renderable) this.annotation(annotation);
      return;
    }
    const type = this.atom(start);
    if (rendering && include) {
      fhicl.put(INCLUDE_LINE);
      fhicl.copy(this.src, this.atomFrom, this.atomTo);
      fhicl.byte(CH_DQUOTE);
      this.annotation(annotation);
    } else if (rendering) {
      const quote = type === T_DOUBLE ? CH_DQUOTE : type === T_SINGLE ? CH_SQUOTE : 0;
      fhicl.scalar(this.src, this.atomFrom, this.atomTo, quote, keyStart >= 0 ? annotation : null);
    }
    const meta = this.meta;
    if (comment === "" && annotation === "" && protection === 0) meta.put(PLAIN_LEAF[type]);
    else {
      meta.put(LEAF_HEAD[type]);
      meta.text(comment);
      meta.put(ANNOTATION);
      meta.text(annotation);
      if (protection !== 0) {
        meta.put(PROTECTION);
        meta.put(PROTECTION_TEXT[protection]);
      }
      meta.close(false, CH_RBRACE);
    }
  }

  /** `" " + annotation + "\n"` in the rendering: what follows a scalar binding and a sequence. */
  private annotation(annotation: string): void {
    this.fhicl.byte(0x20);
    this.fhicl.ascii(annotation);
    this.fhicl.byte(CH_LF);
  }

  /**
   * A table or a sequence from its opening bracket: its data (`{…}` or `[…]`) and its metadata `children` after
   * their `{`. Taken from {@link RECENT} when a container of the same bytes was converted lately (with the same
   * protection, and no comment on its lines or the line before: its bytes are then all it depends on), else
   * converted and, when large, remembered there.
   */
  private container(c: number, depth: number, protection: number): void {
    if (depth > this.deepest) this.deepest = depth;
    const src = this.src;
    const start = this.pos;
    const line = this.line;
    const key = recentKey(src, start, this.len, protection);
    const recent = RECENT.find(key, src, start);
    if (
      recent !== null && depth + recent.height < MAX_FHICL_DEPTH && !this.noted(line - 1, line + recent.lines) &&
      // One converted without a rendering is converted again when a rendering is made (and remembered with it).
      !(recent.fhiclLength === NOT_RENDERED && this.renderable)
    ) {
      if (recent.fhiclLength === OUT_OF_ORDER) this.disorder();
      RECENT.copy(recent, this.data, this.meta, this.renderable ? this.fhicl : null);
      this.pos = start + recent.sourceLength;
      this.line = line + recent.lines;
      if (depth + recent.height > this.deepest) this.deepest = depth + recent.height;
      return;
    }
    const dataStart = this.data.at, metaStart = this.meta.at, fhiclStart = this.fhicl.at;
    const disorders = this.disorders;
    const outer = this.deepest;
    this.deepest = depth;
    this.data.byte(c);
    const rendering = this.renderable;
    if (rendering) {
      this.fhicl.byte(c);
      if (c === CH_LBRACE) this.fhicl.byte(CH_LF);
    }
    this.pos++;
    const empty = c === CH_LBRACE ? this.table(depth + 1, protection) : this.sequence(depth + 1, protection);
    this.data.close(empty, c === CH_LBRACE ? CH_RBRACE : CH_RBRACKET);
    this.meta.close(empty, CH_RBRACE);
    if (rendering && this.renderable) {
      if (c === CH_LBRACE) this.fhicl.byte(CH_LF);
      this.fhicl.byte(c === CH_LBRACE ? CH_RBRACE : CH_RBRACKET);
    }
    const height = this.deepest - depth;
    if (outer > this.deepest) this.deepest = outer;
    if (this.pos - start >= RECENT_MIN && RECENT.seenBefore(key) && !this.noted(line - 1, this.line)) {
      RECENT.remember(
        key,
        src.subarray(start, this.pos),
        this.data.view().subarray(dataStart),
        this.meta.view().subarray(metaStart),
        !rendering
          ? NOT_RENDERED
          : this.disorders !== disorders
          ? OUT_OF_ORDER
          : this.fhicl.view().subarray(fhiclStart),
        this.line - line,
        height,
      );
    }
  }

  /** Whether a comment stands on a line from `from` to `to` (a node there could take it). */
  private noted(from: number, to: number): boolean {
    const lines = this.commentLines;
    let lo = 0, hi = lines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (lines[mid] < from) lo = mid + 1;
      else hi = mid;
    }
    return lo < lines.length && lines[lo] <= to;
  }

  /**
   * A table's bindings up to `}`; true when it had none. A key repeated in the table replaces the earlier member's
   * value where it stands (data and metadata), as the reference does.
   */
  private table(depth: number, protection: number): boolean {
    const from = this.memberCount;
    /** Member index by key hash, once the table is large enough for a linear search to cost. */
    let byHash: Map<number, number> | null = null;
    for (;;) {
      this.trivia();
      if (this.pos >= this.len) throw DECLINE;
      if (this.src[this.pos] === CH_RBRACE) {
        this.pos++;
        const empty = this.memberCount === from;
        this.memberCount = from;
        return empty;
      }
      const keyStart = this.pos;
      const keyEnd = this.key(false);
      const hash = this.keyHash;
      let earlier = -1;
      if (byHash !== null) {
        const index = byHash.get(hash);
        if (index !== undefined) {
          if (!this.sameKey(index, keyStart, keyEnd)) throw DECLINE; // two keys of one hash: left to the reference
          earlier = index;
        }
      } else {
        const members = this.members;
        for (let i = from; i < this.memberCount; i++) {
          if (members[i * MEMBER] === hash && this.sameKey(i, keyStart, keyEnd)) {
            earlier = i;
            break;
          }
        }
      }
      const dataCut = this.data.at, metaCut = this.meta.at;
      this.member(this.memberCount === from, keyStart, keyEnd, depth, protection);
      if (earlier >= 0) {
        this.disorder();
        this.replaceMember(earlier, earlier === from, dataCut, metaCut, keyEnd - keyStart);
        continue;
      }
      const index = this.memberCount++;
      if (index * MEMBER + MEMBER > this.members.length) {
        const grown = new Int32Array(this.members.length * 2);
        grown.set(this.members);
        this.members = grown;
      }
      const at = index * MEMBER;
      const members = this.members;
      members[at] = hash;
      members[at + 1] = keyStart;
      members[at + 2] = keyEnd;
      members[at + 3] = dataCut;
      members[at + 4] = this.data.at;
      members[at + 5] = metaCut;
      members[at + 6] = this.meta.at;
      if (byHash !== null) byHash.set(hash, index);
      else if (index - from >= 64) {
        byHash = new Map();
        for (let i = from; i <= index; i++) {
          if (byHash.has(members[i * MEMBER])) throw DECLINE;
          byHash.set(members[i * MEMBER], i);
        }
      }
    }
  }

  /** Whether member `index`'s key is `src[keyStart, keyEnd)`. */
  private sameKey(index: number, keyStart: number, keyEnd: number): boolean {
    const src = this.src;
    const from = this.members[index * MEMBER + 1];
    if (this.members[index * MEMBER + 2] - from !== keyEnd - keyStart) return false;
    for (let i = 0; i < keyEnd - keyStart; i++) if (src[from + i] !== src[keyStart + i]) return false;
    return true;
  }

  /**
   * Puts the value of the member just written (from `dataCut` / `metaCut` on: separator, key, value) in the place of
   * the value of member `index` (the table's `first`, or not), and drops the rest of the member just written.
   */
  private replaceMember(index: number, first: boolean, dataCut: number, metaCut: number, keyLength: number): void {
    const members = this.members;
    const at = index * MEMBER;
    // A member's value begins after its separator (`\n` for the first, else `,\n`) and its `"key" : `.
    const earlierValue = (first ? 1 : 2) + keyLength + 5;
    const newValue = 2 + keyLength + 5;
    const dataShift = this.data.replace(members[at + 3] + earlierValue, members[at + 4], dataCut, dataCut + newValue);
    const metaShift = this.meta.replace(members[at + 5] + earlierValue, members[at + 6], metaCut, metaCut + newValue);
    members[at + 4] += dataShift;
    members[at + 6] += metaShift;
    for (let i = index + 1; i < this.memberCount; i++) {
      members[i * MEMBER + 3] += dataShift;
      members[i * MEMBER + 4] += dataShift;
      members[i * MEMBER + 5] += metaShift;
      members[i * MEMBER + 6] += metaShift;
    }
  }

  /** A sequence's items up to `]`; true when it had none. */
  private sequence(depth: number, protection: number): boolean {
    const src = this.src;
    this.trivia();
    if (src[this.pos] === CH_RBRACKET) {
      this.pos++;
      return true;
    }
    for (let index = 0;; index++) {
      this.trivia();
      if (this.pos >= this.len || src[this.pos] === CH_RBRACKET) throw DECLINE;
      this.data.separator(index === 0);
      this.meta.separator(index === 0);
      if (index > 0 && this.renderable) {
        this.fhicl.byte(CH_COMMA);
        this.fhicl.byte(0x20);
      }
      this.meta.indexKey(index);
      this.value(depth, protection, true);
      this.trivia();
      const next = src[this.pos];
      this.pos++;
      if (next === CH_RBRACKET) return false;
      if (next !== CH_COMMA) throw DECLINE;
    }
  }

  /** A scalar at `start`: its data written as a JSON string; returns its metadata type. */
  private atom(start: number): number {
    const src = this.src;
    const c = src[start];
    let type: number;
    let from = start, to: number;
    if (c === CH_DQUOTE) {
      let q = start;
      for (;;) {
        q = src.indexOf(CH_DQUOTE, q + 1);
        if (q === -1) throw DECLINE;
        // An odd run of backslashes before the quote escapes it.
        let b = q - 1;
        while (b > start && src[b] === CH_BACKSLASH) b--;
        if ((q - 1 - b) % 2 === 0) break;
      }
      type = T_DOUBLE;
      from = start + 1;
      to = q;
      this.pos = q + 1;
    } else if (c === CH_SQUOTE) {
      const q = src.indexOf(CH_SQUOTE, start + 1);
      if (q === -1) throw DECLINE;
      type = T_SINGLE;
      from = start + 1;
      to = q;
      this.pos = q + 1;
    } else if (c === CH_LPAREN) {
      this.pos++;
      this.complexPart();
      if (src[this.pos] !== CH_COMMA) throw DECLINE;
      this.pos++;
      this.complexPart();
      if (src[this.pos] !== CH_RPAREN) throw DECLINE;
      this.pos++;
      type = T_COMPLEX;
      to = start + complexData(ascii(src, start, this.pos)).length;
    } else if (c === CH_AT) {
      to = this.token(start, true);
      type = to - start === 4 && matchesAt(src, NIL, start) ? T_NIL : T_UNQUOTED;
    } else if (isDigit(c) || c === CH_PLUS || c === CH_MINUS || c === CH_DOT) {
      to = this.numberEnd(start + 1);
      if (!isNumber(src, start, to)) throw DECLINE;
      type = T_NUMBER;
      this.pos = to;
    } else if (IS_NAME_START[c] === 1) {
      to = this.token(start, false);
      const length = to - start;
      type = (length === 4 && matchesAt(src, TRUE, start)) || (length === 5 && matchesAt(src, FALSE, start))
        ? T_BOOL
        : length === 8 && matchesAt(src, INFINITY, start)
        ? T_NUMBER
        : T_UNQUOTED;
    } else throw DECLINE;
    // After a scalar: a blank, `,`, `]`, `}`, a comment or the end of the text.
    if (this.pos < this.len) {
      const d = src[this.pos];
      if (
        !(d === 0x20 || d === CH_LF || d === 0x09 || d === 0x0d || d === 0x0b || d === 0x0c || d === CH_COMMA ||
          d === CH_RBRACKET || d === CH_RBRACE || d === CH_HASH || (d === CH_SLASH && src[this.pos + 1] === CH_SLASH))
      ) throw DECLINE;
    }
    this.atomFrom = from;
    this.atomTo = to;
    // A quoted string may span lines.
    const lines = this.data.quoted(src, from, to);
    if (lines < 0) throw DECLINE;
    this.line += lines;
    return type;
  }

  /** End of the characters of a number token from `pos` on: a sign continues it only right after an exponent mark. */
  private numberEnd(pos: number): number {
    const src = this.src;
    for (;;) {
      const d = src[pos];
      if (IS_NUMBER_TOKEN[d] !== 1) return pos;
      if ((d === CH_PLUS || d === CH_MINUS) && (src[pos - 1] | 0x20) !== 0x65) return pos;
      pos++;
    }
  }

  /** One real of a complex value, blanks around it. */
  private complexPart(): void {
    this.trivia();
    const at = this.pos;
    const pos = IS_NUMBER_TOKEN[this.src[at]] === 1 ? this.numberEnd(at + 1) : at;
    if (!isNumber(this.src, at, pos)) throw DECLINE;
    this.pos = pos;
    this.trivia();
  }

  /** `[A-Za-z0-9_:@.]*` from `start`, plus `[digits]` index parts after an `@` (references such as `@local::a[0]`). */
  private token(start: number, reference: boolean): number {
    const src = this.src;
    let pos = start;
    for (;;) {
      const c = src[pos];
      if (IS_TOKEN[c] === 1) pos++;
      else if (reference && c === CH_LBRACKET && isDigit(src[pos + 1])) {
        let end = pos + 1;
        while (isDigit(src[end])) end++;
        if (src[end] !== CH_RBRACKET) break;
        pos = end + 1;
      } else break;
    }
    this.pos = pos;
    return pos;
  }
}

const NIL = bytesOf("@nil");
const TRUE = bytesOf("true");
const FALSE = bytesOf("false");
const INFINITY = bytesOf("infinity");

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** `src[from, to)` (ASCII) as a string. */
function ascii(src: Uint8Array, from: number, to: number): string {
  let out = "";
  for (let i = from; i < to; i++) out += String.fromCharCode(src[i]);
  return out;
}

/**
 * Whether `src[from, to)` is a valid number token: plain decimals (`-12`, `0.5`, `3.`) are told here, anything else
 * (exponents, `0x`, `infinity`) by the parser's own `isNumberToken`.
 */
function isNumber(src: Uint8Array, from: number, to: number): boolean {
  let i = from;
  const c = src[i];
  if (c === CH_PLUS || c === CH_MINUS) i++;
  let digits = 0, dots = 0;
  for (; i < to; i++) {
    const d = src[i];
    if (isDigit(d)) digits++;
    else if (d === CH_DOT && dots === 0) dots++;
    else return to > from && isNumberToken(ascii(src, from, to));
  }
  return digits > 0;
}

/** `"0" : `, `"1" : `, …: the metadata keys of the first sequence items. */
const INDEX_KEYS: Uint8Array[] = Array.from({ length: 256 }, (_, i) => bytesOf(`"${i}" : `));
