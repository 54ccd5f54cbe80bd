/**
 * `#include` resolution for {@link parse}: each include entry is replaced by the entries of the included file,
 * found on the search path, recursively, with cycle detection.
 *
 * @module
 */

import { isAbsolute, join } from "node:path";
import type { FhiclDocument, FhiclEntry, FhiclTopEntry, FhiclValue } from "./ast.ts";
import { FhiclSyntaxError } from "./errors.ts";

/** Reads a file's text, or returns undefined when it does not exist. */
export type IncludeReader = (path: string) => string | undefined;

/** Default reader: the local file system. */
export function readIncludeFile(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.IsADirectory) return undefined;
    throw error;
  }
}

/** Context of one resolution run. */
export interface IncludeContext {
  includePath: string[];
  read: IncludeReader;
  /** Parses one file's text (the caller's parser, so options stay the same). */
  parseFile: (text: string, filename: string) => FhiclDocument;
}

/** Deepest include chain accepted (fhiclcpp has no limit; a chain this long is a mistake). */
const MAX_INCLUDE_DEPTH = 64;

/** Returns the document with every include (top level, in prologs, in tables) replaced by the included entries. */
export function resolveIncludes(document: FhiclDocument, text: string, context: IncludeContext): FhiclDocument {
  return { filename: document.filename, entries: expand(document.entries, text, document.filename, context, []) };
}

function locateFile(path: string, context: IncludeContext): { file: string; text: string } | undefined {
  const candidates = isAbsolute(path) ? [path] : context.includePath.map((dir) => join(dir, path));
  for (const file of candidates) {
    const text = context.read(file);
    if (text !== undefined) return { file, text };
  }
  return undefined;
}

function expand<T extends FhiclTopEntry>(
  entries: T[],
  text: string,
  filename: string,
  context: IncludeContext,
  chain: string[],
  inTable = false,
): T[] {
  const out: T[] = [];
  for (const entry of entries) {
    if (entry.kind === "include") {
      const found = locateFile(entry.path, context);
      if (found === undefined) {
        throw new FhiclSyntaxError(
          filename,
          text,
          entry.start,
          `cannot find included file "${entry.path}" in ${context.includePath.join(":") || "(empty include path)"}`,
        );
      }
      if (chain.includes(found.file) || chain.length >= MAX_INCLUDE_DEPTH) {
        throw new FhiclSyntaxError(filename, text, entry.start, `circular #include of "${entry.path}"`);
      }
      const included = context.parseFile(found.text, found.file);
      if (inTable && included.entries.some((e) => e.kind === "prolog")) {
        throw new FhiclSyntaxError(
          filename,
          text,
          entry.start,
          `"${entry.path}" has a prolog and is included in a table`,
        );
      }
      out.push(...expand(included.entries as T[], found.text, found.file, context, [...chain, found.file], inTable));
    } else if (entry.kind === "prolog") {
      out.push({ ...entry, entries: expand(entry.entries, text, filename, context, chain, inTable) });
    } else if (entry.kind === "binding") {
      out.push({ ...entry, value: expandValue(entry.value, text, filename, context, chain) });
    } else {
      out.push(entry);
    }
  }
  return out;
}

function expandValue(
  value: FhiclValue,
  text: string,
  filename: string,
  context: IncludeContext,
  chain: string[],
): FhiclValue {
  if (value.kind === "table") {
    return { ...value, entries: expand<FhiclEntry>(value.entries, text, filename, context, chain, true) };
  }
  if (value.kind === "sequence") {
    return { ...value, items: value.items.map((item) => expandValue(item, text, filename, context, chain)) };
  }
  return value;
}
