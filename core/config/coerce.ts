/**
 * Turning one expanded YAML value into the type its key needs, with the checks the Python archiver lacked
 * (§16.3): `"false"` is false, `"5"` is 5, `"abc"` for a number is an error naming the key, ranges are enforced.
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import type { KeySpec } from "./schema.ts";

/** A value that does not fit its key; the loader adds file, key path and line. */
export class FieldError extends Error {
  /** Key path of the value (`app.batch_size`). */
  readonly path: string;
  /** `message`: what is wrong and what to do. */
  constructor(path: string, message: string) {
    super(message);
    this.path = path;
  }
}

const TRUE_WORDS = new Set(["true", "yes", "on", "1", "y"]);
const FALSE_WORDS = new Set(["false", "no", "off", "0", "n", ""]);
const LEVEL_ALIASES: Record<string, string> = { WARN: "WARNING", FATAL: "CRITICAL" };

/** What `coerce` needs besides the value. */
export interface CoerceContext {
  /** Directory relative paths resolve against. */
  baseDir: string;
  /** The scalar's source text (keeps `0123` a string for string keys). */
  source?: string;
}

/**
 * Coerce `value` (already `${}`-expanded) to the type of `spec`. Throws `FieldError`.
 *
 * @example
 * ```ts
 * coerce("false", { type: "bool", doc: "" }, "artdaq_db.use_tools", { baseDir: "/" }); // false
 * coerce("7", { type: "int", min: 1, doc: "" }, "app.batch_size", { baseDir: "/" }); // 7
 * ```
 */
export function coerce(value: unknown, spec: KeySpec, path: string, context: CoerceContext): unknown {
  if (value === null || value === undefined) {
    if (spec.nullable) return null;
    throw new FieldError(path, `a value is required (${spec.doc})`);
  }
  switch (spec.type) {
    case "bool":
      return toBool(value, path);
    case "int":
    case "number":
      return checkRange(toNumber(value, spec.type === "int", path), spec, path);
    case "enum":
      return toEnum(value, spec, path);
    case "string":
      return toText(value, path, context.source);
    case "path": {
      const text = toText(value, path, context.source);
      if (text === "") throw new FieldError(path, "an empty path is not allowed");
      return resolvePath(text, context.baseDir);
    }
    case "bool-or-string":
      if (typeof value === "boolean") return value;
      if (typeof value === "string" && /^(true|false|yes|no|on|off)$/i.test(value.trim())) return toBool(value, path);
      return toText(value, path, context.source);
    case "string-list": {
      const items = Array.isArray(value) ? value : [value];
      return items.map((item, index) => toText(item, `${path}[${index}]`, undefined));
    }
  }
}

/** Absolute path: `~/` expands to the home directory, relative paths resolve against `baseDir`. */
export function resolvePath(path: string, baseDir: string): string {
  if (path === "~" || path.startsWith("~/")) {
    const home = Deno.env.get("HOME");
    if (home) return resolve(home, path.slice(2));
  }
  return isAbsolute(path) ? resolve(path) : resolve(baseDir, path);
}

function toBool(value: unknown, path: string): boolean {
  if (typeof value === "boolean") return value;
  if (typeof value === "number" && (value === 0 || value === 1)) return value === 1;
  if (typeof value === "string") {
    const word = value.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
  }
  throw new FieldError(path, `expected true or false, got ${show(value)}`);
}

function toNumber(value: unknown, integer: boolean, path: string): number {
  const number = typeof value === "number"
    ? value
    : typeof value === "string" && /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(value)
    ? Number(value)
    : NaN;
  if (!Number.isFinite(number)) throw new FieldError(path, `expected a number, got ${show(value)}`);
  if (integer && !Number.isInteger(number)) throw new FieldError(path, `expected a whole number, got ${show(value)}`);
  return number;
}

function checkRange(value: number, spec: KeySpec, path: string): number {
  if (spec.min !== undefined && value < spec.min) {
    throw new FieldError(path, `must be >= ${spec.min}, got ${value}`);
  }
  if (spec.max !== undefined && value > spec.max) {
    throw new FieldError(path, `must be <= ${spec.max}, got ${value}`);
  }
  return value;
}

function toEnum(value: unknown, spec: KeySpec, path: string): string {
  let text = typeof value === "string" ? value.trim() : String(value);
  if (spec.upper) text = LEVEL_ALIASES[text.toUpperCase()] ?? text.toUpperCase();
  if (!spec.values!.includes(text)) {
    throw new FieldError(path, `expected one of ${spec.values!.join(", ")}, got ${show(value)}`);
  }
  return text;
}

function toText(value: unknown, path: string, source: string | undefined): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return source ?? String(value);
  throw new FieldError(path, `expected a single value, got a ${Array.isArray(value) ? "list" : "mapping"}`);
}

function show(value: unknown): string {
  return typeof value === "string" ? `'${value}'` : JSON.stringify(value) ?? String(value);
}
