/**
 * Parsing the archive-mode command line with argparse's behaviour: long options may be abbreviated to any
 * unambiguous prefix, `--opt=value` and `--opt value` both work, `/?`, `/h`, `/help` mean `--help`, exclusive
 * options are rejected with `argument X: not allowed with argument Y`, unknown ones with
 * `unrecognized arguments: …` (both exit 2, before the configuration is read).
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import type { ArchiveFlags, ArchiveMode } from "./flags.ts";
import { EXCLUSIONS, MODE_GROUP, OPTIONS, type OptionSpec } from "./options.ts";
import { parseRunSelection } from "./runs.ts";

/** What the command line asks for. */
export type ParsedCommand =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "archive"; flags: Omit<ArchiveFlags, "configFile" | "usedDefaultConfig">; configFile?: string };

const HELP_ALIASES = new Set(["/?", "/h", "/help"]);

/**
 * Parse the arguments after the program name.
 *
 * @example
 * ```ts
 * const parsed = parseArchiveArgs(["cfg.yaml", "--import-only", "--runs", "100-200,305"]);
 * // parsed.kind === "archive", parsed.flags.mode === "import-only"
 * ```
 */
export function parseArchiveArgs(args: readonly string[]): ParsedCommand {
  const seen: OptionSpec[] = [];
  const values = new Map<string, string | true>();
  const positionals: string[] = [];
  const unrecognized: string[] = [];
  let optionsEnded = false;

  for (let i = 0; i < args.length; i++) {
    const raw = HELP_ALIASES.has(args[i]) ? "--help" : args[i];
    if (optionsEnded || raw === "-" || !raw.startsWith("-")) {
      positionals.push(raw);
      continue;
    }
    if (raw === "--") {
      optionsEnded = true;
      continue;
    }
    const eq = raw.startsWith("--") ? raw.indexOf("=") : -1;
    const name = eq >= 0 ? raw.slice(0, eq) : raw;
    const option = findOption(name);
    if (!option) {
      unrecognized.push(raw);
      continue;
    }
    let value: string | true = true;
    if (option.kind === "flag") {
      if (eq >= 0) throw usage(`argument ${option.names.join("/")}: ignored explicit argument '${raw.slice(eq + 1)}'`);
    } else if (eq >= 0) {
      value = raw.slice(eq + 1);
    } else if (option.kind === "value") {
      if (i + 1 >= args.length || args[i + 1].startsWith("-")) {
        throw usage(`argument ${option.names.join("/")}: expected one argument`);
      }
      value = args[++i];
    } else if (i + 1 < args.length && /^\d+(\.\d+)?$/.test(args[i + 1])) {
      value = args[++i];
    }
    if (option.choices && !option.choices.includes(value as string)) {
      throw usage(
        `argument ${option.names.join("/")}: invalid choice: '${value}' (choose from ${
          option.choices.map((c) => `'${c}'`).join(", ")
        })`,
      );
    }
    checkExclusions(option, seen);
    seen.push(option);
    values.set(option.id, value);
  }

  if (values.has("help")) return { kind: "help" };
  if (values.has("version")) return { kind: "version" };
  if (positionals.length > 1) unrecognized.push(...positionals.slice(1));
  if (unrecognized.length > 0) throw usage(`unrecognized arguments: ${unrecognized.join(" ")}`);

  const modeOption = seen.find((option) => option.mode);
  const compareState = values.has("compare-state");
  let mode: ArchiveMode = modeOption?.mode ?? "full";
  // As the Python archiver: --compare-state implies the report, except that the recovery modes win.
  if (compareState && mode !== "recover-import-state" && mode !== "recover-migrate-state") mode = "report-status";

  const watchValue = values.get("watch");
  let watch: number | null = null;
  if (watchValue !== undefined) {
    watch = watchValue === true ? 0 : Number(watchValue);
    if (!Number.isFinite(watch) || watch < 0) throw usage(`argument --watch: invalid interval '${watchValue}'`);
  }
  const runs = values.get("runs");
  return {
    kind: "archive",
    configFile: positionals[0],
    flags: {
      mode,
      verbose: values.has("verbose"),
      quiet: values.has("quiet"),
      incremental: values.has("incremental"),
      compareState,
      validate: values.has("validate"),
      runs: typeof runs === "string" ? parseRunSelection(runs) : undefined,
      dryRun: values.has("dry-run"),
      watch,
      json: values.has("json"),
      verify: values.get("verify") as ArchiveFlags["verify"],
      logFormat: values.get("log-format") as ArchiveFlags["logFormat"],
    },
  };
}

/** Exact name, or (for `--long` names) the one option whose name starts with it, as argparse allows. */
function findOption(name: string): OptionSpec | undefined {
  const exact = OPTIONS.find((option) => option.names.includes(name));
  if (exact || !name.startsWith("--") || name.length < 3) return exact;
  const matches = OPTIONS.filter((option) => option.names.some((n) => n.startsWith("--") && n.startsWith(name)));
  if (matches.length > 1) {
    throw usage(
      `ambiguous option: ${name} could match ${matches.map((m) => m.names.find((n) => n.startsWith(name))).join(", ")}`,
    );
  }
  return matches[0];
}

function checkExclusions(option: OptionSpec, seen: OptionSpec[]): void {
  for (const earlier of seen) {
    if (earlier.id === option.id) continue;
    const exclusive = (MODE_GROUP.includes(option.id) && MODE_GROUP.includes(earlier.id)) ||
      EXCLUSIONS[option.id]?.includes(earlier.id) || EXCLUSIONS[earlier.id]?.includes(option.id);
    if (exclusive) {
      throw usage(`argument ${displayName(option)}: not allowed with argument ${displayName(earlier)}`);
    }
  }
}

/** argparse names an option by all its spellings (`-v/--verbose`). */
function displayName(option: OptionSpec): string {
  return option.names.join("/");
}

function usage(message: string): UsageError {
  return new UsageError(message);
}
