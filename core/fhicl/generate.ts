/**
 * Seeded random FHiCL for property tests and fuzzing: random syntax trees (printed with the canonical printer,
 * optionally with comments woven in) and random mutations of real files. Everything is deterministic for a seed.
 *
 * @module
 */

import type { FhiclAtom, FhiclDocument, FhiclEntry, FhiclTopEntry, FhiclValue } from "./ast.ts";
import { print } from "./printer.ts";
import { seededRandom } from "../random.ts";

/** A deterministic pseudo-random source (core/random.ts `seededRandom`) with the helpers the generators use. */
export class Random {
  readonly #next: () => number;
  constructor(seed: number) {
    this.#next = seededRandom(seed);
  }
  /** Uniform in [0, 1). */
  next(): number {
    return this.#next();
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}

/** What {@link randomDocument} may produce. */
export interface GenerateOptions {
  /** Only constructs artdaq_database can store (no splices, no dotted keys in tables, protect_* modifiers only). */
  storable?: boolean;
  /** Allow newlines inside quoted strings. */
  multilineStrings?: boolean;
  /**
   * Never produce an empty quoted string or an escaped `\"`. artdaq_database's comment scanner skips quoted spans
   * with the regex `"[^"]+"`, which knows no escapes, so `""` or `\"` shifts its quote pairing for the rest of the
   * file and comments found after it are not stable from one export to the next (reproduced on purpose);
   * stability tests exclude those strings.
   */
  scannerSafeStrings?: boolean;
  /** Deepest nesting of tables and sequences (default 4). */
  maxDepth?: number;
  /** Most entries per table (default 6). */
  maxEntries?: number;
}

const NAMES = ["a", "b", "daq", "fragment_receiver", "host_map", "x1", "_p", "metrics", "rank", "TOY1", "k"];
const NUMBERS = [
  "0",
  "14",
  "-1",
  ".68",
  "1.0",
  "3.1415926",
  "1.23e2",
  "-0.45600E+3",
  "0x2097152",
  "0xDeAdBEEF",
  "0b101",
];
const BIG = ["10000000000", "123456789012345678901234567890", "-9007199254740993", "infinity", "-infinity", "+7"];
const WORDS = ["NOMERGE", "ToySimulator", "TRUE", "FaLsE", "inf", "pmod2", "x.y", "@local::daq", "@id::abc"];
const STRING_CHARS = "abcXYZ019 _-./%:#@{}[](),=*";

function randomString(rng: Random, quote: '"' | "'", multiline: boolean, safe: boolean): string {
  let out = "";
  const length = rng.int(12) + (safe ? 1 : 0);
  for (let i = 0; i < length; i++) {
    const r = rng.next();
    if (r < 0.05 && multiline) out += "\n";
    else if (r < 0.09 && quote === '"') {
      out += rng.pick(safe ? ["\\n", "\\t", "'"] : ['\\"', "\\\\", "\\n", "\\t", "'"]);
    } else if (r < 0.11 && quote === "'") out += '"';
    else out += STRING_CHARS[rng.int(STRING_CHARS.length)];
  }
  return out;
}

function randomAtom(rng: Random, options: GenerateOptions): FhiclAtom {
  const atom = (type: FhiclAtom["type"], text: string): FhiclAtom => ({ kind: "atom", type, text, start: 0 });
  switch (rng.int(11)) {
    case 0:
    case 1:
      return atom("number", rng.pick(NUMBERS));
    case 2:
      return atom("number", rng.pick(BIG));
    case 3:
      return atom("bool", rng.pick(["true", "false"]));
    case 4:
      return atom("nil", "@nil");
    case 5:
      return atom("complex", rng.pick(["(1,2)", "(1.23,-0.45600E+3)", "(0,-1e3)"]));
    case 6:
    case 7:
      return atom(
        "string_doublequoted",
        randomString(rng, '"', options.multilineStrings ?? false, options.scannerSafeStrings ?? false),
      );
    case 8:
      return atom(
        "string_singlequoted",
        randomString(rng, "'", options.multilineStrings ?? false, options.scannerSafeStrings ?? false),
      );
    case 9: {
      const word = rng.pick(WORDS);
      return atom(word.startsWith("@") ? "reference" : "string_unquoted", word);
    }
    default:
      return atom("reference", rng.pick(["@erase", "@local::a.b", "@sequence::s", "@table::t", "@local::x[0].y"]));
  }
}

function randomValue(rng: Random, depth: number, options: GenerateOptions): FhiclValue {
  const maxDepth = options.maxDepth ?? 4;
  const r = rng.next();
  if (depth < maxDepth && r < 0.2) {
    return { kind: "table", entries: randomEntries(rng, depth + 1, false, options), start: 0 };
  }
  if (depth < maxDepth && r < 0.35) {
    const items: FhiclValue[] = [];
    const count = rng.int(5);
    for (let i = 0; i < count; i++) items.push(randomValue(rng, depth + 1, options));
    return { kind: "sequence", items, start: 0 };
  }
  return randomAtom(rng, options);
}

function randomKey(rng: Random, topLevel: boolean, options: GenerateOptions): string {
  let key = rng.pick(NAMES);
  if ((topLevel || !options.storable) && rng.chance(0.15)) {
    key += rng.chance(0.5) ? "." + rng.pick(NAMES) : `[${rng.int(3)}].${rng.pick(NAMES)}`;
  }
  return key;
}

function randomEntries(rng: Random, depth: number, topLevel: boolean, options: GenerateOptions): FhiclEntry[] {
  const entries: FhiclEntry[] = [];
  const count = rng.int((options.maxEntries ?? 6) + 1);
  for (let i = 0; i < count; i++) {
    const r = rng.next();
    if (r < 0.05) {
      entries.push({ kind: "include", path: rng.pick(["a.fcl", "common/b.fcl", "/abs/c.fcl"]), start: 0 });
    } else if (r < 0.08 && !options.storable) {
      entries.push({ kind: "splice", text: "@table::" + rng.pick(NAMES), start: 0 });
    } else {
      const modifiers = options.storable
        ? ["@protect_ignore", "@protect_error"] as const
        : ["@protect_ignore", "@protect_error", "@initial"] as const;
      const modifier = rng.chance(0.08) ? rng.pick(modifiers) : undefined;
      const key = randomKey(rng, topLevel, options);
      const value = randomValue(rng, depth, options);
      entries.push(
        modifier === undefined ? { kind: "binding", key, value, start: 0 } : {
          kind: "binding",
          key,
          modifier,
          value,
          start: 0,
        },
      );
    }
  }
  return entries;
}

/**
 * A random syntax tree: prolog blocks, includes, bindings with modifiers, dotted and indexed keys, duplicates,
 * every scalar kind, nested tables and sequences.
 *
 * @example
 * ```ts
 * const text = print(randomDocument(new Random(1)));
 * ```
 */
export function randomDocument(rng: Random, options: GenerateOptions = {}): FhiclDocument {
  const entries: FhiclTopEntry[] = [];
  if (rng.chance(0.3)) {
    let prolog = randomEntries(rng, 0, true, options);
    if (options.storable) {
      // A key repeated in the prolog and re-assigned in the main part loses one prolog copy per store/export
      // round (artdaq_database removes the first copy each time), so stable documents keep prolog keys unique.
      const keys = new Set<string>();
      prolog = prolog.filter((e) => e.kind !== "binding" || (!keys.has(e.key) && keys.add(e.key) !== undefined));
    }
    entries.push({ kind: "prolog", entries: prolog, start: 0 });
  }
  entries.push(...randomEntries(rng, 0, true, options));
  return { filename: "<random>", entries };
}

/**
 * Canonical text of a random document with `#` and `//` comments woven in: whole-line comments before entries and
 * trailing comments after the last value on a line. Strings are kept on one line and non-empty so that comments
 * never land in them (see {@link GenerateOptions.scannerSafeStrings}).
 */
export function randomCommentedText(rng: Random, options: GenerateOptions = {}): string {
  const text = print(randomDocument(rng, { ...options, multilineStrings: false, scannerSafeStrings: true }));
  const lines = text.split("\n");
  const out: string[] = [];
  for (const line of lines) {
    if (rng.chance(0.15)) out.push(`${" ".repeat(rng.int(3))}${rng.pick(["#", "//", "# "])} note ${rng.int(100)}`);
    const trailing = line.trim() !== "" && !line.trimEnd().endsWith("{") && rng.chance(0.25);
    out.push(trailing ? `${line} ${rng.pick(["#", "//"])} tail ${rng.int(100)}` : line);
  }
  return out.join("\n");
}

const SYNTAX = ['"', "'", "{", "}", "[", "]", ",", ":", "#", "//", "@", "(", ")", "\n", " ", "\t", "0x", "-", ".", "é"];

/**
 * A random mutation of `text`: a character flip, deletion, insertion of FHiCL syntax, truncation, or a duplicated
 * or swapped slice. Used to drive the parser into error paths from realistic input.
 */
export function mutate(rng: Random, text: string): string {
  const at = rng.int(text.length + 1);
  const span = 1 + rng.int(Math.min(40, Math.max(1, text.length - at)));
  switch (rng.int(6)) {
    case 0:
      return text.slice(0, at) + String.fromCharCode(32 + rng.int(95)) + text.slice(at + 1);
    case 1:
      return text.slice(0, at) + text.slice(at + span);
    case 2:
      return text.slice(0, at) + rng.pick(SYNTAX) + text.slice(at);
    case 3:
      return text.slice(0, at);
    case 4:
      return text.slice(0, at) + text.slice(at, at + span) + text.slice(at);
    default: {
      const other = rng.int(text.length + 1);
      return text.slice(0, Math.min(at, other)) + text.slice(Math.max(at, other), Math.max(at, other) + span) +
        text.slice(Math.min(at, other));
    }
  }
}

/** Random text over FHiCL's alphabet (keywords, punctuation, names, numbers, comments). */
export function randomGarbage(rng: Random, length: number): string {
  const pieces = [...SYNTAX, ...NAMES, ...NUMBERS, ...WORDS, "BEGIN_PROLOG\n", "END_PROLOG\n", '#include "x"\n', ": "];
  let out = "";
  while (out.length < length) out += rng.pick(pieces);
  return out;
}
