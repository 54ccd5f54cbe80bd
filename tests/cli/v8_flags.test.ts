/**
 * The archiver's V8 setting (core/cli/v8_flags.ts) is what the deno.json tasks, the compiled binary and the
 * end-to-end benchmark run with, and V8 accepts it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ARCHIVER_ENV, ARCHIVER_V8_FLAGS } from "../../core/cli/v8_flags.ts";
import { REPO_ROOT } from "../../core/paths.ts";

/** {@link ARCHIVER_ENV} as the shell prefix the deno.json tasks write (`MALLOC_ARENA_MAX=2`). */
function archiverEnvPrefix(): string {
  return Object.entries(ARCHIVER_ENV).map(([name, value]) => `${name}=${value}`).join(" ");
}

Deno.test("v8 flags: the archive and serve tasks, compile and bench:e2e use ARCHIVER_V8_FLAGS", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(join(REPO_ROOT, "deno.json"))).tasks as Record<string, string>;
  for (const [task, entry] of [["archive", "cli.ts"], ["serve", "server.ts"]]) {
    assert.equal(
      tasks[task],
      `ARCHIVER_TASK=1 ${archiverEnvPrefix()} deno run -A --v8-flags=${ARCHIVER_V8_FLAGS} ${entry}`,
      task,
    );
  }
  const uses: Array<[string, RegExp]> = [
    ["scripts/compile.ts", /`--v8-flags=\$\{ARCHIVER_V8_FLAGS\}`/],
    ["scripts/bench_e2e/run.ts", /options\.v8Flags \?\? ARCHIVER_V8_FLAGS/],
    ["scripts/bench_e2e/run.ts", /env: taskEnv\(\)/],
  ];
  for (const [script, use] of uses) assert.match(await Deno.readTextFile(join(REPO_ROOT, script)), use, script);
});

Deno.test("v8 flags: V8 knows every flag (deno refuses to start with an unknown one)", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", `--v8-flags=${ARCHIVER_V8_FLAGS}`, "console.log('ok')"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  assert.equal(new TextDecoder().decode(out.stdout).trim(), "ok");
});
