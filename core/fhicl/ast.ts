/**
 * The FHiCL syntax tree. It keeps everything artdaq_database keeps: key order, duplicate keys, the exact source
 * spelling of every scalar, quoting style, binding modifiers, `#include` lines and prolog blocks. Offsets point
 * into the parsed text so that callers can attach comments and report positions.
 *
 * @module
 */

/**
 * Scalar kinds. The string kinds use artdaq_database's metadata type tags; `reference` is any `@local::`,
 * `@table::`, `@sequence::`, `@id::`, `@db::` token or `@erase`, which artdaq_database stores as unquoted strings.
 */
export type FhiclAtomType =
  | "number"
  | "bool"
  | "nil"
  | "complex"
  | "string_doublequoted"
  | "string_singlequoted"
  | "string_unquoted"
  | "reference";

/** A scalar. `text` is the source spelling; for quoted strings, the text between the quotes (escapes as written). */
export interface FhiclAtom {
  kind: "atom";
  type: FhiclAtomType;
  text: string;
  /** Offset of the first character of the token (the opening quote for strings). */
  start: number;
}

/** `{ ... }`: bindings, includes and splices in source order; duplicates kept. */
export interface FhiclTable {
  kind: "table";
  entries: FhiclEntry[];
  /** Offset of `{`. */
  start: number;
}

/** `[ ... ]`. */
export interface FhiclSequence {
  kind: "sequence";
  items: FhiclValue[];
  /** Offset of `[`. */
  start: number;
}

/** Any FHiCL value. */
export type FhiclValue = FhiclAtom | FhiclTable | FhiclSequence;

/** Binding modifiers written between the key and the colon (`t @protect_ignore: 1`). */
export type FhiclModifier =
  | "@protect_ignore"
  | "@protect_error"
  | "@initial"
  | "@replace"
  | "@replace_compat"
  | "@add_or_replace_compat";

/** `key: value`. `key` is the key as written, dotted and indexed parts included (`a.b[0].c`). */
export interface FhiclBinding {
  kind: "binding";
  key: string;
  modifier?: FhiclModifier;
  value: FhiclValue;
  /** Offset of the key's first character. */
  start: number;
}

/** `#include "path"` kept as a directive (when includes are not resolved). */
export interface FhiclInclude {
  kind: "include";
  path: string;
  start: number;
}

/** `@table::name` in entry position: splices a table's bindings here when references are resolved. */
export interface FhiclSplice {
  kind: "splice";
  /** The whole token, e.g. `@table::common.settings`. */
  text: string;
  start: number;
}

/** A `BEGIN_PROLOG` ... `END_PROLOG` block; only at the top level. */
export interface FhiclProlog {
  kind: "prolog";
  entries: FhiclEntry[];
  start: number;
}

/** What a table body holds. */
export type FhiclEntry = FhiclBinding | FhiclInclude | FhiclSplice;

/** What the document's top level holds. */
export type FhiclTopEntry = FhiclEntry | FhiclProlog;

/** A parsed FHiCL document. */
export interface FhiclDocument {
  /** Source name used in messages. */
  filename: string;
  entries: FhiclTopEntry[];
}
