/**
 * The `schema.fcl` rules that decide which collection and entity a run document is stored under
 * (artdaq-database.md §6.2, §8; original-archiver.md §6.4): the `run_history` then `system_layout` sequences of
 * `{ collection, pattern [, entity] }`, where `pattern` is a Python regular expression matched (`re.match`, i.e.
 * anchored at the start) against the file's path and the entity is `match.group(2)` or the rule's `entity`
 * expression.
 *
 * Deliberate differences from the Python archiver: a file no rule matches is stored in `RunHistory` under its file
 * stem instead of being dropped silently (§16.1-9), and `entity` expressions are evaluated by a tiny interpreter
 * that accepts only `match.group(N)`, string literals and `+`, never Python `eval` (§16.2).
 *
 * @module
 */

import { JsonObject, type JsonValue } from "../../core/json/mod.ts";
import { RunInputError } from "../../core/errors.ts";

/** One rule of `run_history` / `system_layout`. */
export interface SchemaRule {
  collection: string;
  /** The Python pattern as written. */
  pattern: string;
  /** The compiled JS equivalent, sticky so that it only matches at the start (`re.match`). */
  regex: RegExp;
  /** Parsed entity expression, or null for `match.group(2)`. */
  entity: EntityTerm[] | null;
}

/** A term of an entity expression: a capture group or a literal. */
export type EntityTerm = { group: number } | { literal: string };

/** Where one document goes. */
export interface Placement {
  collection: string;
  entity: string;
}

/** Collection of the `schema` entity, whatever the rules say (artdaq-database.md §6.2). */
export const SYSTEM_LAYOUT = "SystemLayout";
/** Collection of everything no rule places (artdaq-database.md §6.3). */
export const RUN_HISTORY = "RunHistory";
/** Entity of `schema.fcl`. */
export const SCHEMA_ENTITY = "schema";

/**
 * Reads the rules from the DB-JSON of `schema.fcl` (`document.data.main.run_history` and `.system_layout`).
 * Throws `RunInputError` naming `schema.fcl` and the rule for a malformed rule or a pattern JS cannot compile.
 *
 * @example
 * ```ts
 * const rules = schemaRules(fhiclToDbJson(schemaText, "schema"), 12345);
 * placeDocument("boot.fcl", rules); // { collection: "RunHistory", entity: "boot" }
 * ```
 */
export function schemaRules(schemaDbJson: JsonObject, run: number): SchemaRule[] {
  const document = schemaDbJson.get("document");
  const data = document instanceof JsonObject ? document.get("data") : undefined;
  const main = data instanceof JsonObject ? data.get("main") : undefined;
  if (!(main instanceof JsonObject)) return [];
  const rules: SchemaRule[] = [];
  for (const subset of ["run_history", "system_layout"]) {
    const list = main.get(subset);
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw ruleError(run, `${subset} is not a sequence`);
    list.forEach((item, index) => rules.push(parseRule(item, `${subset}[${index}]`, run)));
  }
  return rules;
}

/**
 * Collection and entity of a document named `name` (e.g. `boot.fcl`): the last matching rule wins, as in the
 * Python archiver where a later rule overwrites an earlier one; `schema` always goes to `SystemLayout`; no rule →
 * `RunHistory` and the file stem.
 *
 * @example
 * ```ts
 * placeDocument("schema.fcl", []); // { collection: "SystemLayout", entity: "schema" }
 * placeDocument("tpc01.fcl", []); // { collection: "RunHistory", entity: "tpc01" }
 * ```
 */
export function placeDocument(name: string, rules: readonly SchemaRule[]): Placement {
  const path = "/" + name.replace(/^\/+/, "");
  let placement: Placement = { collection: RUN_HISTORY, entity: fileStem(name) };
  for (const rule of rules) {
    rule.regex.lastIndex = 0;
    const match = rule.regex.exec(path);
    if (!match) continue;
    const entity = rule.entity ? evaluateEntity(rule.entity, match) : match[2];
    if (entity) placement = { collection: rule.collection, entity };
  }
  if (placement.entity === SCHEMA_ENTITY) placement = { collection: SYSTEM_LAYOUT, entity: SCHEMA_ENTITY };
  return placement;
}

/** File name without directories and without its last extension (the bulkloader's entity rule). */
export function fileStem(name: string): string {
  const base = name.slice(name.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(0, dot) : base;
}

/**
 * Translates a Python `re` pattern to a JS RegExp: named groups `(?P<n>…)`/`(?P=n)`, `\A`, `\Z`. Everything the
 * artdaq schema files use (lookahead, `\d`, classes, alternation) has the same meaning in both.
 */
export function pythonRegex(pattern: string): RegExp {
  const translated = pattern
    .replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, "(?<$1>")
    .replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, "\\k<$1>")
    .replace(/\\A/g, "^")
    .replace(/\\Z/g, "$(?![\\s\\S])");
  return new RegExp(translated, "y");
}

/**
 * Parses an entity expression such as `match.group(3)+'_'+match.group(4)`. Returns null for anything beyond
 * `match.group(N)`, quoted literals and `+`.
 */
export function parseEntityExpression(expression: string): EntityTerm[] | null {
  const terms: EntityTerm[] = [];
  const token = /\s*(?:match\.group\(\s*(\d*)\s*\)|'([^'\\]*)'|"([^"\\]*)")\s*/y;
  let pos = 0;
  for (;;) {
    token.lastIndex = pos;
    const m = token.exec(expression);
    if (!m) return null;
    if (m[2] !== undefined) terms.push({ literal: m[2] });
    else if (m[3] !== undefined) terms.push({ literal: m[3] });
    else terms.push({ group: m[1] === "" ? 0 : Number(m[1]) });
    pos = token.lastIndex;
    if (pos === expression.length) return terms;
    if (expression[pos] !== "+") return null;
    pos++;
  }
}

function evaluateEntity(terms: EntityTerm[], match: RegExpExecArray): string {
  return terms.map((term) => "literal" in term ? term.literal : match[term.group] ?? "").join("");
}

function parseRule(item: JsonValue, where: string, run: number): SchemaRule {
  if (!(item instanceof JsonObject)) throw ruleError(run, `${where} is not a table`);
  const collection = item.get("collection");
  const pattern = item.get("pattern");
  if (typeof collection !== "string" || !collection) throw ruleError(run, `${where} has no collection`);
  if (typeof pattern !== "string" || !pattern) throw ruleError(run, `${where} has no pattern`);
  let regex: RegExp;
  try {
    regex = pythonRegex(pattern);
  } catch (error) {
    throw ruleError(run, `${where} pattern '${pattern}' does not compile: ${(error as Error).message}`);
  }
  const expression = item.get("entity");
  let entity: EntityTerm[] | null = null;
  if (expression !== undefined) {
    if (typeof expression !== "string") throw ruleError(run, `${where} entity is not a string`);
    entity = parseEntityExpression(expression);
    if (!entity) {
      throw ruleError(
        run,
        `${where} entity '${expression}' is not of the form match.group(N) + 'text' + ... (nothing else is evaluated)`,
      );
    }
  }
  return { collection, pattern, regex, entity };
}

function ruleError(run: number, problem: string): RunInputError {
  return new RunInputError(`run ${run}: schema.fcl: ${problem}; fix the schema file in artdaq_db.fcl_conf_dir`, {
    run,
  });
}
