/**
 * Reading a YAML configuration file into a plain value tree while remembering, for every key path, the line it
 * is on and the scalar's source text, so that every later error can name file, key path and line.
 *
 * YAML 1.1 is used because the Python archiver reads its file with PyYAML's `safe_load` (1.1: `yes`/`no` are
 * booleans); an existing config therefore means the same thing here.
 *
 * @module
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";

/** A parsed configuration file: the plain tree plus where each key path came from. */
export interface ConfigSource {
  /** The document as plain JS values (mappings → objects, sequences → arrays). */
  data: unknown;
  /** 1-based line of a key path (`app.work_dir`, `fhiclize_generate[1]`); falls back to the nearest parent. */
  lineOf(path: string): number;
  /** The scalar's text as written (`0123`, `yes`), for keys whose value must stay a string. */
  sourceOf(path: string): string | undefined;
  /** Key paths in document order, for unknown-key checks. */
  paths: string[];
}

/** A YAML syntax error with its 1-based line. */
export class YamlSyntaxError extends Error {
  /** 1-based line of the error. */
  readonly line: number;
  /** `message`: the YAML library's message (first line). */
  constructor(message: string, line: number) {
    super(message);
    this.line = line;
  }
}

/**
 * Parse YAML text. Throws `YamlSyntaxError` on a syntax error (first error only, one line).
 *
 * @example
 * ```ts
 * const source = parseConfigText("app:\n  batch_size: 5\n");
 * source.lineOf("app.batch_size"); // 2
 * ```
 */
export function parseConfigText(text: string): ConfigSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, version: "1.1", uniqueKeys: true, prettyErrors: false });
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0].line ?? lineCounter.linePos(first.pos[0]).line;
    throw new YamlSyntaxError(first.message.split("\n")[0], line);
  }
  const lines = new Map<string, number>();
  const sources = new Map<string, string>();
  const paths: string[] = [];
  const lineAt = (node: { range?: [number, number, number] | null } | null | undefined): number | undefined =>
    node?.range ? lineCounter.linePos(node.range[0]).line : undefined;

  const walk = (node: unknown, path: string): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
        const child = path ? `${path}.${key}` : key;
        const line = lineAt(keyNode as Node) ?? lineAt(pair.value as Node);
        if (line !== undefined) lines.set(child, line);
        paths.push(child);
        walk(pair.value, child);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        const child = `${path}[${index}]`;
        const line = lineAt(item as Node);
        if (line !== undefined) lines.set(child, line);
        walk(item, child);
      });
    } else if (isScalar(node) && typeof node.source === "string") {
      sources.set(path, node.source);
    } else if (isAlias(node)) {
      // Aliases resolve to their anchor's value in toJS(); the alias line is already recorded for the key.
    }
  };
  walk(doc.contents, "");

  return {
    data: doc.toJS({ maxAliasCount: 100 }),
    paths,
    sourceOf: (path) => sources.get(path),
    lineOf(path: string): number {
      let current = path;
      while (current) {
        const line = lines.get(current);
        if (line !== undefined) return line;
        current = parentPath(current);
      }
      return 1;
    },
  };
}

/** `a.b[2]` → `a.b`, `a.b` → `a`, `a` → ``. */
export function parentPath(path: string): string {
  const cut = Math.max(path.lastIndexOf("."), path.lastIndexOf("["));
  return cut < 0 ? "" : path.slice(0, cut);
}
