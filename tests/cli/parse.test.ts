import assert from "node:assert/strict";
import { UsageError } from "../../core/errors.ts";
import { exclusivePairs, MODE_GROUP, OPTIONS } from "../../core/cli/options.ts";
import { parseArchiveArgs } from "../../core/cli/parse.ts";
import { isRunSelected, parseRunSelection } from "../../core/cli/runs.ts";
import { helpText } from "../../core/cli/help.ts";

function usageError(args: string[]): string {
  try {
    parseArchiveArgs(args);
  } catch (error) {
    assert.ok(error instanceof UsageError, String(error));
    assert.equal(error.exitCode, 2);
    return error.message;
  }
  assert.fail(`no usage error for ${args.join(" ")}`);
}

function archive(args: string[]) {
  const parsed = parseArchiveArgs(args);
  assert.equal(parsed.kind, "archive");
  return parsed as Extract<typeof parsed, { kind: "archive" }>;
}

const long = (id: string) => OPTIONS.find((o) => o.id === id)!.names.at(-1)!;
const spelled = (id: string) => OPTIONS.find((o) => o.id === id)!.names.join("/");

Deno.test("every pair of mutually exclusive options is refused, in both orders, argparse-style", () => {
  const pairs = exclusivePairs();
  assert.equal(pairs.filter(([a, b]) => MODE_GROUP.includes(a) && MODE_GROUP.includes(b)).length, 21);
  for (const [a, b] of pairs) {
    const extra = (id: string) => OPTIONS.find((o) => o.id === id)!.kind === "value" ? ["x"] : [];
    assert.equal(
      usageError(["cfg.yaml", long(a), ...extra(a), long(b), ...extra(b)]),
      `argument ${spelled(b)}: not allowed with argument ${spelled(a)}`,
    );
    assert.equal(
      usageError(["cfg.yaml", long(b), ...extra(b), long(a), ...extra(a)]),
      `argument ${spelled(a)}: not allowed with argument ${spelled(b)}`,
    );
  }
});

Deno.test("options that are not exclusive combine", () => {
  const parsed = archive(["--incremental", "--validate", "--import-only", "--json", "--runs", "1-3", "-v"]);
  assert.equal(parsed.flags.mode, "import-only");
  assert.equal(parsed.flags.incremental && parsed.flags.validate && parsed.flags.json && parsed.flags.verbose, true);
  archive(["--watch", "--incremental", "--migrate-only", "--validate", "--verify", "full"]);
  archive(["--dry-run", "--retry-failed-import"]);
  archive(["--compare-state", "--recover-migrate-state"]);
});

Deno.test("modes and --compare-state as the Python archiver", () => {
  assert.equal(archive([]).flags.mode, "full");
  assert.equal(archive([]).configFile, undefined);
  for (const option of OPTIONS.filter((o) => o.mode)) assert.equal(archive([long(option.id)]).flags.mode, option.mode);
  assert.equal(archive(["--compare-state"]).flags.mode, "report-status");
  assert.equal(archive(["--import-only", "--compare-state"]).flags.mode, "report-status");
  assert.equal(archive(["--recover-import-state", "--compare-state"]).flags.mode, "recover-import-state");
  assert.equal(archive(["cfg.yaml"]).configFile, "cfg.yaml");
});

Deno.test("help aliases, --version, abbreviations, unknown and extra arguments", () => {
  for (const alias of ["-h", "--help", "/?", "/h", "/help", "--he"]) {
    assert.equal(parseArchiveArgs(["cfg", alias, "--bogus"]).kind, "help");
  }
  assert.equal(parseArchiveArgs(["--version"]).kind, "version");
  assert.equal(archive(["--incr"]).flags.incremental, true);
  assert.match(
    usageError(["--re"]),
    /^ambiguous option: --re could match --retry-failed-import, --retry-failed-migrate, --report-status,/,
  );
  assert.equal(usageError(["--incremetal"]), "unrecognized arguments: --incremetal");
  assert.equal(usageError(["a.yaml", "b.yaml"]), "unrecognized arguments: b.yaml");
  assert.equal(usageError(["--validate=yes"]), "argument --validate: ignored explicit argument 'yes'");
});

Deno.test("value options: --runs, --watch [SECONDS], --verify, --log-format", () => {
  const parsed = archive(["--runs=305,100-200,150-210", "--watch", "30", "cfg.yaml", "--verify", "full"]);
  assert.deepEqual(parsed.flags.runs?.ranges, [{ from: 100, to: 210 }, { from: 305, to: 305 }]);
  assert.equal(parsed.flags.watch, 30);
  assert.equal(parsed.configFile, "cfg.yaml");
  assert.equal(parsed.flags.verify, "full");
  assert.equal(archive(["--watch", "cfg.yaml"]).flags.watch, 0, "no interval: the config's");
  assert.equal(archive(["--watch"]).configFile, undefined);
  assert.equal(archive([]).flags.watch, null);
  assert.equal(archive(["--log-format", "json"]).flags.logFormat, "json");
  assert.equal(
    usageError(["--log-format", "xml"]),
    "argument --log-format: invalid choice: 'xml' (choose from 'text', 'json')",
  );
  assert.equal(usageError(["--runs"]), "argument --runs: expected one argument");
  assert.match(usageError(["--runs", "1-x"]), /argument --runs: invalid run selection '1-x'/);
  assert.match(usageError(["--runs", "9-3"]), /range '9-3' ends before it starts/);
});

Deno.test("run selection membership", () => {
  const selection = parseRunSelection(" 100-200 , 305,7 ");
  for (const [run, expected] of [[6, false], [7, true], [99, false], [100, true], [200, true], [201, false]]) {
    assert.equal(isRunSelected(selection, run as number), expected, String(run));
  }
  assert.equal(isRunSelected(selection, 305), true);
});

Deno.test("the help lists every option of the Python archiver and every addition", () => {
  const text = helpText();
  for (const option of OPTIONS) for (const name of option.names) assert.ok(text.includes(name), name);
  for (const line of text.split("\n")) assert.ok(line.length <= 120, line);
});
