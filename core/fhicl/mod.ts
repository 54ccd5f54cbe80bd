/**
 * The FHiCL engine: parser, canonical printer and the artdaq_database DB-JSON conversion in both directions.
 *
 * - {@link parse}: FHiCL text → syntax tree (order, duplicates, spellings kept; `#include` optionally resolved).
 * - {@link print}: syntax tree → canonical FHiCL.
 * - {@link fhiclToDbJson}: FHiCL text → the DB-JSON document artdaq_database stores (ordered JSON model).
 * - {@link dbJsonToFhicl}: DB-JSON → the FHiCL text artdaq_database exports, byte for byte.
 *
 * @example
 * ```ts
 * import { dbJsonToFhicl, fhiclToDbJson, parse, print } from "./core/fhicl/mod.ts";
 * import { stringifyArtdaq } from "./core/json/mod.ts";
 * const doc = fhiclToDbJson('a: 1 # one\nb: "x"\n', "boot");
 * stringifyArtdaq(doc); // stored text
 * dbJsonToFhicl(doc); // '\na: 1 # one\n# one\nb: "x" \n'
 * print(parse("a:{b:1}")); // 'a: {\n  b: 1\n}\n'
 * ```
 *
 * @module
 */

import { dirname } from "node:path";
import type { FhiclDocument } from "./ast.ts";
import { type IncludeReader, readIncludeFile, resolveIncludes } from "./includes.ts";
import { parseSyntax } from "./parser.ts";

export type * from "./ast.ts";
export { FhiclSyntaxError } from "./errors.ts";
export { print } from "./printer.ts";
export { artdaqTimestamp, fhiclToDbJson, type FhiclToDbJsonOptions } from "./dbjson.ts";
export {
  type DbJsonParts,
  dbJsonToFhicl,
  type FhiclMetadata,
  readDbJsonParts,
  readFhiclMetadata,
  renderFhicl,
} from "./export.ts";
export { INCLUDE_KEY_PREFIX, rewriteIncludes, scanComments } from "./comments.ts";
export { isNumberToken, MAX_FHICL_DEPTH } from "./parser.ts";
export type { IncludeReader } from "./includes.ts";

/** Options of {@link parse}. */
export interface ParseOptions {
  /** Name used in error messages; default `<input>`. */
  filename?: string;
  /** Directories searched for `#include` files, in order; default: the directory of `filename`. */
  includePath?: string[];
  /** Replace each `#include` with the included file's entries (default false: keep the directive). */
  resolveIncludes?: boolean;
  /** How included files are read (default: the file system). */
  readFile?: IncludeReader;
}

/**
 * Parses FHiCL text into a syntax tree. Throws `FhiclSyntaxError` (file:line:column, with the offending line and
 * a caret) on bad input.
 *
 * @example
 * ```ts
 * const doc = parse('BEGIN_PROLOG\nx: 1\nEND_PROLOG\na.b[0]: @local::x\n', { filename: "f.fcl" });
 * doc.entries.length; // 2 (the prolog block and the binding)
 * ```
 */
export function parse(text: string, options: ParseOptions = {}): FhiclDocument {
  const filename = options.filename ?? "<input>";
  const document = parseSyntax(text, { filename });
  if (!options.resolveIncludes) return document;
  const includePath = options.includePath ?? [options.filename === undefined ? "." : dirname(options.filename)];
  return resolveIncludes(document, text, {
    includePath,
    read: options.readFile ?? readIncludeFile,
    parseFile: (fileText, file) => parseSyntax(fileText, { filename: file }),
  });
}
