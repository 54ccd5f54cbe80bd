/**
 * Usage line and help text, generated from the option table so they can never list a flag that does not exist.
 *
 * @module
 */
import { OPTIONS, SUBCOMMANDS } from "./options.ts";

/** Program name in messages (the Python archiver's, so scripts that grep for it keep working). */
export const PROG = "run_record_archiver";

/** The argparse-style usage line. */
export function usageLine(): string {
  const parts = OPTIONS.map((option) => {
    const name = option.names[0];
    const arg = option.kind === "value"
      ? ` ${option.choices ? `{${option.choices.join(",")}}` : option.metavar}`
      : option.kind === "optional-value"
      ? ` [${option.metavar}]`
      : "";
    return `[${name}${arg}]`;
  });
  const indent = " ".repeat(`usage: ${PROG} `.length);
  const wrapped = wrap(`[config_file] ${parts.join(" ")}`, 110 - indent.length).join(`\n${indent}`);
  return `usage: ${PROG} ${wrapped}\n       ${PROG} <subcommand> ...`;
}

/** Greedy word wrap at `width` columns. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** The full `--help` text. */
export function helpText(): string {
  const width = 34;
  const optionLines = OPTIONS.map((option) => {
    const arg = option.kind === "value"
      ? ` ${option.choices ? `{${option.choices.join(",")}}` : option.metavar}`
      : option.kind === "optional-value"
      ? ` [${option.metavar}]`
      : "";
    const left = `  ${option.names.join(", ")}${arg}`;
    const help = wrap(option.help, 110 - width).join(`\n${"".padEnd(width)}`);
    return left.length < width ? left.padEnd(width) + help : `${left}\n${"".padEnd(width)}${help}`;
  });
  const subcommandLines = Object.entries(SUBCOMMANDS).map(([name, { help }]) => `  ${name.padEnd(width - 2)}${help}`);
  return `${usageLine()}

Archive artdaq run records from filesystem to artdaqDB to UconDB.

  import:  run-record directories -> FHiCL documents -> artdaqDB
  migrate: artdaqDB -> one blob per run -> UconDB (verified after upload)

positional arguments:
  config_file                     YAML configuration (default: config.yaml in the working directory; without it,
                                  the repository's archiver.yaml: the embedded default setup)

options:
${optionLines.join("\n")}

Modes (at most one): --import-only, --migrate-only, --retry-failed-import, --retry-failed-migrate,
--report-status, --recover-import-state, --recover-migrate-state. Without a mode: import, then migrate.

subcommands (deno task archive <subcommand> --help):
${subcommandLines.join("\n")}

Examples:
  deno task archive                              full pipeline on the embedded default setup
  deno task archive config.yaml --incremental    new runs only (cron)
  deno task archive config.yaml --import-only --runs 100-200,305
  deno task archive config.yaml --report-status --json
  deno task archive config.yaml --watch 30       archive new complete runs as they appear

Exit codes:
  0    success
  1    known error (configuration, lock held, a run failed, a store unreachable)
  2    usage error or unexpected error
  130  interrupted (graceful shutdown)

Signals:
  Ctrl-C / SIGTERM (once)   graceful shutdown: runs in flight finish, state is saved, exit 130
  Ctrl-C (3x within 2 s)    immediate shutdown
`;
}
