/**
 * `${...}` expansion of configuration values, in the Python archiver's two passes:
 *
 * 1. Environment (§3.3), over every string value of the tree (list items too, keys never): `${NAME}` and
 *    `${NAME:-default}` where NAME starts with an upper-case letter; nesting (`${A:-${B}}`) and values that
 *    themselves contain `${X}` are expanded (up to 10 rounds).
 * 2. Parameters (§3.4), inside top-level mapping sections: `${param}` (same section) and `${section.param}`,
 *    optionally with `:-default`; a referenced value containing `${` is expanded in its own section; a cycle is
 *    `Circular reference detected: <section.param>`.
 *
 * Deliberate fixes (§16.3): a `${NAME}` whose variable is unset, and a parameter that names no key and has no
 * default, are errors naming the key instead of silently becoming "" or staying literal; an empty variable falls
 * back to its `:-default` as in the shell (the Python archiver kept the empty value); a parameter naming a key
 * that is absent from the file resolves to that key's documented default.
 *
 * @module
 */

/** An expansion failure at a key path; the loader adds file and line. */
export class ExpansionError extends Error {
  /** Key path of the value (`carbon.host`). */
  readonly path: string;
  /** `message`: what cannot be resolved and what to do. */
  constructor(path: string, message: string) {
    super(message);
    this.path = path;
  }
}

const MAX_ENV_ROUNDS = 10;
const PARAM = /\$\{([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)(?::-([^}]*))?\}/g;

/**
 * Expand environment references in one string.
 *
 * @example
 * ```ts
 * expandEnvString("pre${SETV}post${UNSETV:-z}", { SETV: "val" }, "app.x"); // "prevalpostz"
 * ```
 */
export function expandEnvString(value: string, env: Record<string, string | undefined>, path: string): string {
  let current = value;
  for (let round = 0; round < MAX_ENV_ROUNDS; round++) {
    const next = expandEnvOnce(current, env, path);
    if (next === current) return next;
    current = next;
  }
  return current;
}

function expandEnvOnce(text: string, env: Record<string, string | undefined>, path: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf("${", i);
    if (start < 0) break;
    const end = matchingBrace(text, start + 2);
    if (end < 0) break;
    out += text.slice(i, start);
    const content = text.slice(start + 2, end);
    if (content !== "" && /^[A-Z]/.test(content)) {
      const split = content.indexOf(":-");
      const name = split < 0 ? content : content.slice(0, split);
      const value = env[name];
      if (split >= 0) {
        const fallback = content.slice(split + 2);
        out += value !== undefined && value !== "" ? value : expandEnvString(fallback, env, path);
      } else if (value !== undefined) {
        out += value;
      } else {
        throw new ExpansionError(
          path,
          `environment variable ${name} is not set; set it (e.g. in archiver.env) or write \${${name}:-default}`,
        );
      }
    } else {
      out += text.slice(start, end + 1);
    }
    i = end + 1;
  }
  return out + text.slice(i);
}

/** Index of the `}` closing a `${` whose content starts at `from`, honouring nested `${...}`; -1 if none. */
function matchingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === "$" && text[i + 1] === "{") {
      depth++;
      i++;
    } else if (text[i] === "}" && --depth === 0) {
      return i;
    }
  }
  return -1;
}

/** Walk a tree, replacing every string through `fn(value, path)`. Keys are never expanded. */
export function mapStrings(value: unknown, path: string, fn: (text: string, path: string) => string): unknown {
  if (typeof value === "string") return fn(value, path);
  if (Array.isArray(value)) return value.map((item, index) => mapStrings(item, `${path}[${index}]`, fn));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[key] = mapStrings(inner, path ? `${path}.${key}` : key, fn);
    return out;
  }
  return value;
}

/** Expand environment references over the whole tree. */
export function expandEnvTree(
  tree: Record<string, unknown>,
  env: Record<string, string | undefined>,
): Record<string, unknown> {
  return mapStrings(tree, "", (text, path) => text.includes("${") ? expandEnvString(text, env, path) : text) as Record<
    string,
    unknown
  >;
}

/**
 * Expand parameter references inside every top-level mapping section. `defaults(section, key)` supplies the value
 * of a key absent from the file (its documented default), or undefined.
 */
export function expandParamsTree(
  tree: Record<string, unknown>,
  defaults: (section: string, key: string) => unknown,
): Record<string, unknown> {
  const resolved = new Map<string, string>();
  const active: string[] = [];

  const lookup = (ref: string, fromPath: string): unknown => {
    const [section, key, ...rest] = ref.split(".");
    if (rest.length > 0 || key === undefined) return undefined;
    const body = tree[section];
    if (isPlainObject(body) && Object.hasOwn(body, key)) {
      const value = body[key];
      if (typeof value !== "string" || !value.includes("${")) return value;
      if (resolved.has(ref)) return resolved.get(ref);
      if (active.includes(ref)) throw new ExpansionError(fromPath, `Circular reference detected: ${ref}`);
      active.push(ref);
      try {
        const out = expandParams(value, section, ref);
        resolved.set(ref, out);
        return out;
      } finally {
        active.pop();
      }
    }
    return defaults(section, key);
  };

  const expandParams = (text: string, section: string, path: string): string =>
    text.replace(PARAM, (whole, ref: string, fallback: string | undefined) => {
      const absolute = ref.includes(".") ? ref : `${section}.${ref}`;
      const value = lookup(absolute, path);
      if (value === undefined || value === null) {
        if (fallback !== undefined) return fallback;
        const why = value === null ? `${absolute} is null` : `no key ${absolute} and no environment variable`;
        throw new ExpansionError(path, `cannot resolve ${whole}: ${why}; give it a value or write \${${ref}:-default}`);
      }
      if (typeof value === "object") {
        throw new ExpansionError(path, `cannot resolve ${whole}: ${absolute} is not a single value`);
      }
      return String(value);
    });

  const out: Record<string, unknown> = {};
  for (const [section, body] of Object.entries(tree)) {
    out[section] = isPlainObject(body)
      ? mapStrings(body, section, (text, path) => {
        if (!text.includes("${")) return text;
        const key = path.split(/[.[]/)[1];
        const own = `${section}.${key}`;
        // A key's own top-level value goes through `lookup` so that cycles through it are detected and the result
        // is shared with every reference to it.
        if (path === own) return lookup(own, path) as string;
        return expandParams(text, section, path);
      })
      : body;
  }
  return out;
}

/** First `${...}` still present in any string of the tree, with its key path (an unresolvable reference). */
export function findUnexpanded(tree: unknown): { path: string; text: string } | undefined {
  let found: { path: string; text: string } | undefined;
  mapStrings(tree, "", (text, path) => {
    const match = /\$\{[^}]*\}?/.exec(text);
    if (match && !found) found = { path, text: match[0] };
    return text;
  });
  return found;
}

/** True for `{...}` objects (not arrays, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
