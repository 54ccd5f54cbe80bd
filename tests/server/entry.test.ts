/**
 * The real entry points as subprocesses — `deno task serve` (server.ts), `deno task archive compare` and
 * `deno task archive --report-status` — over a config whose `plugins` section names fake plugin modules
 * (tests/server/fixtures), so no database or UconDB server is needed.
 */
import assert from "node:assert/strict";
import { REPO_ROOT } from "../../core/paths.ts";
import { freePort, tempDir } from "../_helpers/peers.ts";
import type { FakeWorld } from "../status/_fakes.ts";

const SECRET = "writer-pw-7f3a9c";
const TOKEN = "status-token-41b7";

async function setup(
  dir: string,
  world: FakeWorld,
  port = 8080,
): Promise<{ config: string; env: Record<string, string> }> {
  await Deno.mkdir(`${dir}/run_records`, { recursive: true });
  await Deno.mkdir(`${dir}/conf`, { recursive: true });
  await Deno.writeTextFile(`${dir}/world.json`, JSON.stringify(world));
  const fixtures = `${REPO_ROOT}/tests/server/fixtures`;
  await Deno.writeTextFile(
    `${dir}/config.yaml`,
    `app:
  work_dir: ${dir}/work
source_files:
  run_records_dir: ${dir}/run_records
artdaq_db:
  fcl_conf_dir: ${dir}/conf
  database_uri: "mongodb://archiver:${SECRET}@127.0.0.1:1/artdaq"
ucon_db:
  server_url: "http://127.0.0.1:1/app"
  folder_name: demo
  object_name: run_records
  writer_user: archiver
  writer_password: "${SECRET}"
status_server:
  host: 127.0.0.1
  port: ${port}
  token: "${TOKEN}"
plugins:
  source: ${fixtures}/fake_source.ts
  store: ${fixtures}/fake_store.ts
  sink: ${fixtures}/fake_sink.ts
`,
  );
  return { config: `${dir}/config.yaml`, env: { STATUS_FAKE_WORLD: `${dir}/world.json` } };
}

async function run(args: string[], env: Record<string, string>) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-prompt", ...args],
    cwd: REPO_ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

Deno.test("deno task serve: binds the configured port, token enforced, SIGTERM stops it with exit 0", async () => {
  await using dir = await tempDir();
  const port = freePort();
  const { config, env } = await setup(dir.path, { fs: [1, 2, 3], db: [1, 2], ucon: [1] }, port);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-prompt", "server.ts", config],
    cwd: REPO_ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = child.output();
  try {
    let healthy = false;
    for (let i = 0; i < 200 && !healthy; i++) {
      healthy = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        async (r) => (await r.body?.cancel(), r.ok),
        () => false,
      );
      if (!healthy) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(healthy, "server did not come up");
    const denied = await fetch(`http://127.0.0.1:${port}/api/status`);
    assert.equal(denied.status, 401);
    await denied.body?.cancel();
    const status = await fetch(`http://127.0.0.1:${port}/api/status`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const body = await status.json();
    assert.deepEqual(body.counts, { waiting: 1, imported: 1, failed: 0, archived: 1 });
    const page = await (await fetch(`http://127.0.0.1:${port}/`, { headers: { authorization: `Bearer ${TOKEN}` } }))
      .text();
    assert.ok(page.includes("Waiting for migration"));
    assert.ok(!JSON.stringify(body).includes(SECRET) && !page.includes(SECRET));
  } finally {
    child.kill("SIGTERM");
  }
  const { code, stdout, stderr } = await output;
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const log = new TextDecoder().decode(stdout);
  assert.match(log, new RegExp(`Status server listening on http://127\\.0\\.0\\.1:${port}/`));
  assert.match(log, /Status server stopped/);
  assert.ok(!log.includes(SECRET));
});

Deno.test("deno task archive compare: text and JSON, exit 1 on a difference, 0 when all match", async () => {
  await using dir = await tempDir();
  const { config, env } = await setup(dir.path, { fs: [], db: [1, 2, 3], ucon: [1, 2, 4], differ: [2] });
  const text = await run(["cli.ts", "compare", config], env);
  assert.equal(text.code, 1, text.stderr);
  assert.match(text.stdout, /^✓ Run 1: 3 file\(s\) match$/m);
  assert.match(text.stdout, /^✗ Run 2: differences found \(2 file\(s\) match\)$/m);
  assert.match(text.stdout, /^ {4}- {2}run_number: 2$/m);
  assert.match(text.stdout, /^ {4}\+daq: \{ changed: true \}$/m);
  assert.match(text.stdout, /^⊘ Run 3: missing in UconDB$/m);
  assert.match(text.stdout, /^⊘ Run 4: missing in artdaqDB$/m);
  assert.match(text.stdout, /^CRITICAL: MIGRATION VALIDATION FAILED$/m);
  const json = await run(["cli.ts", "compare", config, "--runs", "1,3", "--json"], env);
  assert.equal(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout);
  assert.deepEqual(parsed.summary, {
    compared: 1,
    matching: 1,
    different: 0,
    failed: 0,
    missingArtdaqdb: 0,
    missingUcondb: 1,
  });
  const usage = await run(["cli.ts", "compare", config, "--runs", "x"], env);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /invalid run selection 'x'/);
});

Deno.test("deno task archive --report-status: through the CLI and pipeline, exit 1 when a source is down", async () => {
  await using dir = await tempDir();
  const { config, env } = await setup(dir.path, { fs: [1, 2, 3], db: [1, 2, 3], ucon: [1, 2, 3] });
  const ok = await run(["cli.ts", config, "--report-status"], env);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^1\. All systems are synchronized - no action needed$/m);
  assert.match(ok.stdout, /Database URI: {4}mongodb:\/\/archiver:\*\*\*@127\.0\.0\.1:1\/artdaq/);
  assert.ok(!ok.stdout.includes(SECRET) && !ok.stderr.includes(SECRET));

  await Deno.writeTextFile(
    `${dir.path}/world.json`,
    JSON.stringify({ fs: [1, 2, 3], db: [1, 2], ucon: [], down: { sink: true }, secretInErrors: SECRET }),
  );
  const down = await run(["cli.ts", config, "--compare-state", "--json"], env);
  assert.equal(down.code, 1, down.stdout + down.stderr);
  const report = JSON.parse(down.stdout); // with --json, stdout is the JSON document alone
  assert.equal(report.ok, false);
  assert.equal(report.sources.ucondb.reachable, false);
  assert.equal(report.stateComparison.migrate.comparable, false);
  assert.ok(!down.stdout.includes(SECRET) && !down.stderr.includes(SECRET));
});

Deno.test("--report-status --json over 100,000 spread runs: the whole document reaches a pipe", async () => {
  await using dir = await tempDir();
  const fs = Array.from({ length: 100_000 }, (_, i) => 1000 + i * 2);
  const { config, env } = await setup(dir.path, { fs, db: fs, ucon: fs });
  const started = performance.now();
  const result = await run(["cli.ts", config, "--report-status", "--json"], env);
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.equal(report.sources.ucondb.rangeCount, 100_000);
  assert.ok(result.stdout.length > 1_000_000, "large enough to need several pipe writes");
  assert.ok(performance.now() - started < 20_000);
});
