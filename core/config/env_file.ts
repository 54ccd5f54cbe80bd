/**
 * `archiver.env`: the environment file the Python launcher sources with `set -a` before starting the archiver.
 *
 * The launcher runs it through bash, so every assignment overrides the inherited environment and is exported to
 * child processes. We read the subset of shell that such files hold (`NAME=value`, optional `export`, single and
 * double quotes, `$NAME`/`${NAME}`/`${NAME:-default}` expansion, `#` comments) without running a shell; any other
 * line is an error naming the file and line, because silently skipping a command would change behaviour.
 *
 * @module
 */
import { ConfigurationError } from "../errors.ts";

/** File name looked for beside the configuration file. */
export const ENV_FILE_NAME = "archiver.env";

const ASSIGNMENT = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;

/**
 * Parse `archiver.env` text. Later assignments see earlier ones (and `base`), as in the shell.
 *
 * @example
 * ```ts
 * parseEnvFile('WORK_DIR=/data\nexport LOG="${WORK_DIR}/log" # comment\n', "archiver.env", {});
 * // { WORK_DIR: "/data", LOG: "/data/log" }
 * ```
 */
export function parseEnvFile(text: string, file: string, base: Record<string, string>): Record<string, string> {
  const assigned: Record<string, string> = {};
  const lookup = (name: string) => assigned[name] ?? base[name];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const match = ASSIGNMENT.exec(line);
    const fail = (what: string): never => {
      throw new ConfigurationError(
        `${file}:${index + 1}: ${what}; ${ENV_FILE_NAME} may only hold NAME=value lines (optionally with export)`,
      );
    };
    if (!match) fail(`unsupported line '${line.slice(0, 40)}'`);
    const [, name, rest] = match!;
    assigned[name] = shellWord(rest, lookup, fail);
  });
  return assigned;
}

/** One shell word: quotes removed, variables expanded, an unquoted `#` after whitespace starts a comment. */
function shellWord(
  text: string,
  lookup: (name: string) => string | undefined,
  fail: (what: string) => never,
): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) fail("unterminated single quote");
      out += text.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\" && i + 1 < text.length && '"\\$`'.includes(text[i + 1])) {
          out += text[i + 1];
          i += 2;
        } else if (text[i] === "$") {
          const [value, next] = expandDollar(text, i, lookup, fail);
          out += value;
          i = next;
        } else {
          out += text[i++];
        }
      }
      if (i >= text.length) fail("unterminated double quote");
      i++;
    } else if (c === "\\" && i + 1 < text.length) {
      out += text[i + 1];
      i += 2;
    } else if (c === "$") {
      const [value, next] = expandDollar(text, i, lookup, fail);
      out += value;
      i = next;
    } else if (/\s/.test(c)) {
      const rest = text.slice(i).trim();
      if (rest === "" || rest.startsWith("#")) break;
      fail("a value with spaces must be quoted");
    } else if ("`;|&<>()".includes(c)) {
      fail(`shell syntax '${c}' is not supported`);
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Expand `$NAME`, `${NAME}` or `${NAME:-default}` at `text[i] === "$"`; returns the value and the next index. */
function expandDollar(
  text: string,
  i: number,
  lookup: (name: string) => string | undefined,
  fail: (what: string) => never,
): [string, number] {
  if (text[i + 1] === "{") {
    const end = text.indexOf("}", i + 2);
    if (end < 0) fail("unterminated ${");
    const body = text.slice(i + 2, end);
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/.exec(body);
    if (!m) fail(`unsupported expansion '\${${body}}'`);
    const value = lookup(m![1]);
    return [value === undefined || (value === "" && m![2] !== undefined) ? (m![2] ?? "") : value, end + 1];
  }
  const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
  if (!m) return ["$", i + 1];
  return [lookup(m[0]) ?? "", i + 1 + m[0].length];
}
