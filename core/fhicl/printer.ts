/**
 * The canonical FHiCL printer: two-space indentation, one binding per line, scalars in their source spelling and
 * quoting, sequences of scalars on one line. `parse(print(tree))` gives back the same tree (positions aside).
 *
 * @module
 */

import type { FhiclDocument, FhiclEntry, FhiclTopEntry, FhiclValue } from "./ast.ts";

function indent(depth: number): string {
  return "  ".repeat(depth);
}

function printValue(value: FhiclValue, depth: number): string {
  switch (value.kind) {
    case "atom":
      if (value.type === "string_doublequoted") return '"' + value.text + '"';
      if (value.type === "string_singlequoted") return "'" + value.text + "'";
      return value.text;
    case "table": {
      if (value.entries.length === 0) return "{}";
      let out = "{\n";
      for (const entry of value.entries) out += printEntry(entry, depth + 1);
      return out + indent(depth) + "}";
    }
    case "sequence": {
      if (value.items.length === 0) return "[]";
      if (value.items.every((item) => item.kind === "atom")) {
        return "[" + value.items.map((item) => printValue(item, depth)).join(", ") + "]";
      }
      const inner = indent(depth + 1);
      return "[\n" + value.items.map((item) => inner + printValue(item, depth + 1)).join(",\n") + "\n" +
        indent(depth) + "]";
    }
  }
}

function printEntry(entry: FhiclEntry | FhiclTopEntry, depth: number): string {
  const pad = indent(depth);
  switch (entry.kind) {
    case "include":
      return `${pad}#include "${entry.path}"\n`;
    case "splice":
      return `${pad}${entry.text}\n`;
    case "prolog":
      return "BEGIN_PROLOG\n" + entry.entries.map((e) => printEntry(e, depth + 1)).join("") + "END_PROLOG\n";
    case "binding": {
      const modifier = entry.modifier === undefined ? "" : " " + entry.modifier;
      return `${pad}${entry.key}${modifier}: ${printValue(entry.value, depth)}\n`;
    }
  }
}

/**
 * Prints a parsed document as canonical FHiCL (comments are not part of the tree and are not printed).
 *
 * @example
 * ```ts
 * print(parse("a:{b:[1,'x']}")); // "a: {\n  b: [1, 'x']\n}\n"
 * ```
 */
export function print(document: FhiclDocument): string {
  let out = "";
  for (const entry of document.entries) out += printEntry(entry, 0);
  return out;
}
