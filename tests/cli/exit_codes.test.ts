/**
 * The CLI as a real subprocess (`deno run -A cli.ts ...`): exit codes 0, 1, 2 and 130, usage errors before any
 * configuration is read, one-line configuration errors, and signals (SIGINT, SIGTERM, 3x SIGINT).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO_ROOT } from "../../core/paths.ts";
import { tempDir } from "../_helpers/peers.ts";
import { MINIMAL } from "../config/_write.ts";
import { exclusivePairs, OPTIONS } from "../../core/cli/options.ts";

const CLI = join(REPO_ROOT, "cli.ts");
const decoder = new TextDecoder();

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Result> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-prompt", CLI, ...args],
    cwd,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

Deno.test("C1: --help and /? exit 0 and list every flag, with no config, database or server", async () => {
  await using dir = await tempDir();
  for (const flag of ["--help", "/?", "/help"]) {
    const result = await run([flag], dir.path);
    assert.equal(result.code, 0, result.stderr);
    for (
      const name of [
        "--verbose",
        "--incremental",
        "--compare-state",
        "--validate",
        "--import-only",
        "--migrate-only",
        "--retry-failed-import",
        "--retry-failed-migrate",
        "--report-status",
        "--recover-import-state",
        "--recover-migrate-state",
      ]
    ) assert.ok(result.stdout.includes(name), name);
  }
  const version = await run(["--version"], dir.path);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^run_record_archiver \d+\.\d+\.\d+/);
});

Deno.test("C2: exclusive modes and unknown options exit 2 before the config is read", async () => {
  await using dir = await tempDir();
  const exclusive = await run(["cfg.yaml", "--import-only", "--migrate-only"], dir.path);
  assert.equal(exclusive.code, 2);
  assert.match(exclusive.stderr, /^usage: run_record_archiver/);
  assert.match(
    exclusive.stderr,
    /run_record_archiver: error: argument --migrate-only: not allowed with argument --import-only/,
  );
  const unknown = await run(["cfg.yaml", "--incremetal"], dir.path);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /error: unrecognized arguments: --incremetal/);
});

Deno.test("every exclusive pair exits 2 through the real CLI, before the (missing) config is read", async () => {
  await using dir = await tempDir();
  const pairs = exclusivePairs();
  const flag = (id: string) => {
    const option = OPTIONS.find((o) => o.id === id)!;
    return option.kind === "value" ? [option.names.at(-1)!, "1"] : [option.names.at(-1)!];
  };
  const queue = [...pairs];
  const worker = async () => {
    for (let pair = queue.shift(); pair; pair = queue.shift()) {
      const result = await run(["missing.yaml", ...flag(pair[0]), ...flag(pair[1])], dir.path);
      assert.equal(result.code, 2, `${pair.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, /not allowed with argument/, pair.join(" "));
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
});

Deno.test("C3 and configuration errors: exit 1 with one line naming file, key and line", async () => {
  await using dir = await tempDir();
  const missing = await run(["missing.yaml"], dir.path);
  assert.equal(missing.code, 1);
  assert.equal(
    missing.stderr.trim(),
    "run_record_archiver: configuration error: Configuration file not found at 'missing.yaml'.",
  );
  await Deno.writeTextFile(join(dir.path, "bad.yaml"), `${MINIMAL}app:\n  parallel_workers: 0\n`);
  const bad = await run(["bad.yaml", "--import-only"], dir.path);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr.trim().split("\n").length, 1, bad.stderr);
  assert.match(bad.stderr, /bad\.yaml:13: app\.parallel_workers: must be >= 1, got 0/);
  await Deno.writeTextFile(join(dir.path, "config.yaml"), MINIMAL.split("ucon_db:")[0]);
  const defaulted = await run([], dir.path);
  assert.equal(defaulted.code, 1, "config.yaml in the working directory is the default");
  assert.match(defaulted.stderr, /config\.yaml:1: ucon_db: Top-level configuration key missing: 'ucon_db'/);
});

Deno.test("plugin errors: unknown plugin exits 1; a crashing plugin or a stray rejection exits 2, redacted", async () => {
  await using dir = await tempDir();
  const work = join(dir.path, "work");
  await Deno.writeTextFile(
    join(dir.path, "boom.ts"),
    `export default { role: "source", name: "boom", defaults: {}, create() { throw new TypeError("kaput"); } };\n`,
  );
  const base = `${MINIMAL}app:\n  work_dir: ${work}\n`;
  await Deno.writeTextFile(join(dir.path, "unknown.yaml"), `${base}plugins:\n  source: no-such-source\n`);
  const unknown = await run(["unknown.yaml"], dir.path);
  assert.equal(unknown.code, 1, unknown.stdout + unknown.stderr);
  assert.match(unknown.stdout, /CRITICAL - ERROR SUMMARY/);
  assert.match(unknown.stdout, /Error Message: unknown source plugin 'no-such-source'/);
  const json = await run(["unknown.yaml", "--json"], dir.path);
  assert.equal(json.code, 1);
  assert.equal(json.stdout, "", "with --json, stdout is kept for machine-readable output; logs go to stderr");
  assert.match(json.stderr, /CRITICAL - ERROR SUMMARY/);
  await Deno.writeTextFile(join(dir.path, "boom.yaml"), `${base}plugins:\n  source: ./boom.ts\n`);
  const dryWork = join(dir.path, "dry-work");
  await Deno.writeTextFile(
    join(dir.path, "dry.yaml"),
    `${MINIMAL}app:\n  work_dir: ${dryWork}\nplugins:\n  source: ./boom.ts\n`,
  );
  const dry = await run(["dry.yaml", "--dry-run"], dir.path);
  assert.equal(dry.code, 2, dry.stdout + dry.stderr);
  await assert.rejects(Deno.stat(dryWork), Deno.errors.NotFound, "a dry run creates no work directory");
  const boom = await run(["boom.yaml", "--log-format", "json"], dir.path);
  assert.equal(boom.code, 2, boom.stdout + boom.stderr);
  const lines = boom.stdout.trim().split("\n").map((line) => JSON.parse(line));
  assert.ok(lines.some((l) => l.level === "critical" && l.message === "UNEXPECTED ERROR SUMMARY"));
  assert.ok(lines.some((l) => l.message === "Error Message: kaput"));
  assert.ok((await Deno.stat(work)).isDirectory, "work_dir is created at startup");
  await Deno.writeTextFile(
    join(dir.path, "stray.ts"),
    `export default { role: "source", name: "stray", defaults: {}, create() {\n` +
      `  Promise.reject(new Error("background failure with pw-secret-1"));\n` +
      `  return new Promise(() => {});\n} };\n`,
  );
  await Deno.writeTextFile(join(dir.path, "stray.yaml"), `${base}plugins:\n  source: ./stray.ts\n`);
  const stray = await run(["stray.yaml"], dir.path);
  assert.equal(stray.code, 2, stray.stdout + stray.stderr);
  assert.match(stray.stdout, /UNEXPECTED ERROR SUMMARY/);
  assert.match(stray.stdout, /Error Message: background failure with \*\*\*/);
  assert.equal((stray.stdout + stray.stderr).includes("pw-secret-1"), false);
});

/** Start the CLI on a FIFO as config file: it blocks reading it, with its signal handlers installed. */
async function startBlocked(dir: string) {
  const fifo = join(dir, "fifo.yaml");
  const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assert.equal(made.code, 0);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-prompt", CLI, fifo],
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Opening the FIFO for writing completes only when the CLI opens it for reading, which it does after
  // installing its signal handlers: no sleep, no race.
  const writer = await Deno.open(fifo, { write: true });
  let open = true;
  const close = () => {
    if (open) writer.close();
    open = false;
  };
  const feed = async () => {
    await writer.write(new TextEncoder().encode(`${MINIMAL}app:\n  work_dir: ${join(dir, "work")}\n`));
    close();
  };
  const stdout = new Response(child.stdout).text();
  let stderr = "";
  const waiters: { text: string; resolve: () => void }[] = [];
  const stderrDone = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      stderr += chunk;
      for (const waiter of waiters.filter((w) => stderr.includes(w.text))) waiter.resolve();
    }
  })();
  /** Resolves once stderr contains `text` (the CLI has handled a signal). */
  const waitForStderr = (text: string) =>
    new Promise<void>((resolve) => stderr.includes(text) ? resolve() : waiters.push({ text, resolve }));
  const finish = async () => {
    const { code } = await child.status;
    close();
    await stderrDone;
    return { code, stdout: await stdout, stderr };
  };
  return { child, feed, finish, waitForStderr };
}

Deno.test("L4/L6: one SIGINT or SIGTERM (even during config loading) is a graceful shutdown, exit 130", async () => {
  for (const [signal, reason] of [["SIGINT", "User request"], ["SIGTERM", "Termination signal (SIGTERM)"]] as const) {
    await using dir = await tempDir();
    const { child, feed, finish, waitForStderr } = await startBlocked(dir.path);
    child.kill(signal);
    await waitForStderr("GRACEFUL SHUTDOWN REQUESTED");
    await feed();
    const result = await finish();
    assert.equal(result.code, 130, result.stdout + result.stderr);
    const key = signal === "SIGINT" ? "Ctrl-C" : "SIGTERM";
    assert.match(result.stderr, new RegExp(`GRACEFUL SHUTDOWN REQUESTED \\(${key}\\)`));
    assert.match(result.stdout, /✓ GRACEFUL SHUTDOWN COMPLETED/);
    assert.ok(result.stdout.includes(`Reason: ${reason}`), result.stdout);
  }
});

Deno.test("L5: three SIGINTs within 2 seconds exit 130 at once", async () => {
  await using dir = await tempDir();
  const { child, finish } = await startBlocked(dir.path);
  for (let i = 0; i < 3; i++) {
    child.kill("SIGINT");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const result = await finish();
  assert.equal(result.code, 130);
  assert.match(result.stderr, /Ctrl-C pressed 2\/3 times - press 1 more for immediate shutdown/);
  assert.match(result.stderr, /IMMEDIATE SHUTDOWN REQUESTED \(3x Ctrl-C\)/);
});

Deno.test("deno task archive resolves relative paths from where it was typed (INIT_CWD), not the repo", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(join(dir.path, "here.yaml"), `${MINIMAL}app:\n  batch_size: 0\n`);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "--config", join(REPO_ROOT, "deno.json"), "archive", "here.yaml"],
    cwd: dir.path,
    // As an operator's shell: no INIT_CWD inherited from an outer `deno task test`.
    clearEnv: true,
    env: { NO_COLOR: "1", PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = decoder.decode(output.stderr);
  assert.equal(output.code, 1, stderr);
  assert.match(stderr, /here\.yaml:13: app\.batch_size: must be >= 1, got 0/);
});
