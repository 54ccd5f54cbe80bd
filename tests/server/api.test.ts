import assert from "node:assert/strict";
import { clearSecrets, registerSecret } from "../../core/redact.ts";
import { range, writeState } from "../status/_fakes.ts";
import { createApp } from "../../core/server/app.ts";
import { StatusService } from "../../core/server/service.ts";
import { openWorld, standardWorld } from "./_world.ts";

Deno.test("GET /api/status: counts per state, sources, stages, failures with retry commands", async () => {
  await using world = await openWorld();
  const response = await world.app.request("/api/status");
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("x-content-type-options"), "nosniff");
  const body = await response.json();
  assert.deepEqual(body.counts, { waiting: 12, imported: 5, failed: 3, archived: 100 });
  assert.equal(body.totalRuns, 120);
  assert.equal(body.sources.ucondb.reachable, true);
  assert.equal(body.sources.filesystem.first, 1000);
  assert.equal(body.stages.import.pendingStopTimeUpdates, 1);
  assert.deepEqual(body.archiver, { pid: Deno.pid, running: true, inFlight: { import: 1, migrate: 0 } });
  assert.equal(body.stages.migrate.lastContiguousRun, 1099);
  assert.deepEqual(body.failures.map((f: { run: number }) => f.run), [1107, 1106, 1105]);
  assert.equal(body.failures[0].failure.stage, "migrate");
  assert.deepEqual(body.retry, [
    { stage: "import", count: 2, command: "deno task archive /etc/archiver/config.yaml --retry-failed-import" },
    { stage: "migrate", count: 1, command: "deno task archive /etc/archiver/config.yaml --retry-failed-migrate" },
  ]);
  const migrated = body.throughput.buckets.reduce((sum: number, b: { migrated: number }) => sum + b.migrated, 0);
  assert.equal(migrated, 60);
});

Deno.test("GET /api/runs: state filter, search (number prefix, range, reason text), paging", async () => {
  await using world = await openWorld();
  const get = async (query: string) => {
    const response = await world.app.request(`/api/runs?${query}`);
    assert.equal(response.status, 200, query);
    return await response.json();
  };
  const failed = await get("state=failed");
  assert.equal(failed.total, 3);
  assert.deepEqual(failed.items.map((r: { run: number }) => r.run), [1107, 1106, 1105]);
  const page2 = await get("limit=50&offset=50");
  assert.equal(page2.total, 120);
  assert.equal(page2.items[0].run, 1069);
  assert.equal(page2.items.length, 50);
  const asc = await get("order=asc&limit=2");
  assert.deepEqual(asc.items.map((r: { run: number }) => r.run), [1000, 1001]);
  assert.equal((await get("q=110")).total, 10);
  assert.equal((await get("q=1010-1019&state=archived")).total, 10);
  const utf = await get("q=utf-8");
  assert.deepEqual(utf.items.map((r: { run: number }) => r.run), [1106]);
  const pending = (await get("q=1101")).items[0];
  assert.equal(pending.awaitingStopTime, true);
  assert.equal(pending.state, "imported");
  assert.equal((await get("q=1108")).items[0].inProgress, "import");
  const bad = await world.app.request("/api/runs?state=lost");
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).error, /unknown state 'lost'/);
  assert.equal((await world.app.request("/api/runs?limit=100000")).status, 400);
});

Deno.test("GET /api/runs/:run: history, failures, manifest, blob files; file text; 404s", async () => {
  await using world = await openWorld();
  const archived = await (await world.app.request("/api/runs/1042")).json();
  assert.equal(archived.run.state, "archived");
  assert.equal(archived.configuration, "1042/demo");
  assert.deepEqual(archived.blob.files.map((f: { path: string }) => f.path).sort(), [
    "RunHistory.fcl",
    "boot.fcl",
    "metadata.fcl",
  ]);
  assert.equal(archived.manifest.files.length, 2);
  assert.equal(archived.manifest.files[0].sha256.length, 64);
  assert.deepEqual(archived.history.map((h: { stage: string }) => h.stage), ["import", "migrate"]);

  const failed = await (await world.app.request("/api/runs/1107")).json();
  assert.equal(failed.run.state, "failed");
  assert.match(failed.history[1].detail, /503 Service Unavailable \(4 attempts/);
  assert.deepEqual(failed.retryCommands, ["deno task archive /etc/archiver/config.yaml --migrate-only --runs 1107"]);

  const file = await world.app.request("/api/runs/1042/files/boot.fcl");
  assert.equal(file.status, 200);
  assert.equal(file.headers.get("content-type"), "text/plain; charset=utf-8");
  assert.equal(await file.text(), "daq: {\n  run_number: 1042\n  partition: 1\n}\n");
  assert.equal((await world.app.request("/api/runs/1042/files/nope.fcl")).status, 404);
  assert.equal((await world.app.request("/api/runs/999999")).status, 404);
  assert.equal((await world.app.request("/api/runs/abc")).status, 400);
  assert.equal((await world.app.request("/api/nothing")).status, 404);
});

Deno.test("GET /metrics: Prometheus text format", async () => {
  await using world = await openWorld();
  const response = await world.app.request("/metrics");
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  assert.match(text, /^# HELP archiver_runs /m);
  assert.match(text, /^# TYPE archiver_runs gauge$/m);
  assert.match(text, /^archiver_runs\{state="archived"\} 100$/m);
  assert.match(text, /^archiver_source_up\{source="ucondb"\} 1$/m);
  assert.match(text, /^archiver_stage_failed_runs\{stage="import"\} 2$/m);
  assert.match(text, /^archiver_pending_stop_time_updates 1$/m);
  assert.match(text, /^archiver_process_running 1$/m);
  assert.match(text, /^archiver_in_flight_runs\{stage="import"\} 1$/m);
  for (const line of text.trimEnd().split("\n")) {
    assert.match(line, /^(# (HELP|TYPE) \w+ .+|\w+(\{\w+="[^"]*"\})? -?[\d.e+-]+)$/, line);
  }
});

Deno.test("bearer token: required everywhere but /healthz; browser cookie via ?token=; constant response", async () => {
  await using world = await openWorld({ token: "tok-123456" });
  assert.equal((await world.app.request("/healthz")).status, 200);
  const denied = await world.app.request("/api/status");
  assert.equal(denied.status, 401);
  assert.ok(!(await denied.text()).includes("tok-123456"));
  assert.equal((await world.app.request("/api/status", { headers: { authorization: "Bearer wrong" } })).status, 401);
  const ok = await world.app.request("/api/status", { headers: { authorization: "Bearer tok-123456" } });
  assert.equal(ok.status, 200);
  const exchange = await world.app.request("/?token=tok-123456&state=failed");
  assert.equal(exchange.status, 303);
  assert.equal(exchange.headers.get("location"), "/?state=failed");
  const cookie = exchange.headers.get("set-cookie")!.split(";")[0];
  assert.equal((await world.app.request("/", { headers: { cookie } })).status, 200);
});

Deno.test("no secret in any response, even when state and errors carry one", async () => {
  registerSecret("hunter2-secret");
  try {
    await using world = await openWorld({
      world: { fs: [1, 2], db: [1], ucon: [], down: { sink: true }, secretInErrors: "hunter2-secret" },
      writeStates: async (dir) => {
        await writeState(dir, "import", {
          done: [1],
          failures: [{ run: 2, reason: "login to mongodb://u:hunter2-secret@h failed" }],
        });
      },
    });
    for (const path of ["/api/status", "/api/runs", "/api/runs/2", "/metrics", "/", "/runs/2", "/fragments/summary"]) {
      const text = await (await world.app.request(path)).text();
      assert.ok(!text.includes("hunter2-secret"), `${path} leaks the secret`);
    }
    const status = await (await world.app.request("/api/status")).json();
    assert.equal(status.sources.ucondb.reachable, false);
    assert.match(status.sources.ucondb.error, /password=\*\*\*/);
  } finally {
    clearSecrets();
  }
});

Deno.test("UconDB going down: its card says unreachable with no runs; runs the migrate stage verified stay archived", async () => {
  const fakes = standardWorld();
  await using world = await openWorld({ world: fakes });
  fakes.down = { sink: true };
  await world.service.refresh();
  let status = await (await world.app.request("/api/status")).json();
  assert.equal(status.sources.ucondb.reachable, false);
  assert.match(status.sources.ucondb.error, /UconDB/);
  assert.equal(status.sources.ucondb.runs, 0, "no stale listing is shown as current");
  assert.deepEqual(status.counts, { waiting: 12, imported: 5, failed: 3, archived: 100 });
  const page = await (await world.app.request("/fragments/summary")).text();
  assert.match(page, /unreachable/);
  fakes.down = {};
  await world.service.refresh();
  status = await (await world.app.request("/api/status")).json();
  assert.equal(status.sources.ucondb.reachable, true);
  assert.equal(status.sources.ucondb.runs, 100);
});

Deno.test("state changes are picked up by the background refresh (version increases)", async () => {
  await using world = await openWorld();
  world.service.start();
  const before = (await (await world.app.request("/api/status?brief=1")).json()).version;
  await writeState(world.dir, "migrate", { done: range(1000, 1104), lastContiguousRun: 1104 });
  let after = before;
  for (let i = 0; i < 50 && after === before; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    after = (await (await world.app.request("/api/status?brief=1")).json()).version;
  }
  assert.ok(after > before, "version did not change");
  const status = await (await world.app.request("/api/status")).json();
  assert.equal(status.stages.migrate.doneRuns, 105);
});

Deno.test("100,000 runs: a filtered page is served in milliseconds", async () => {
  await using world = await openWorld({
    world: { fs: range(1, 100_000), db: range(1, 90_000), ucon: range(1, 80_000) },
    writeStates: async (dir) => {
      await writeState(dir, "import", {
        done: range(1, 90_000),
        failures: Array.from({ length: 500 }, (_, i) => ({ run: 90_001 + i * 3, reason: `bad metadata ${i}` })),
      });
      await writeState(dir, "migrate", { done: range(1, 80_000) });
    },
  });
  const started = performance.now();
  for (const query of ["state=failed&q=metadata 49", "q=9999", "offset=99000", "state=waiting&offset=10000"]) {
    assert.equal((await world.app.request(`/api/runs?${query}`)).status, 200);
  }
  assert.equal((await world.app.request("/")).status, 200);
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 1500, `5 requests took ${elapsed} ms`);
  const counts = (await (await world.app.request("/api/status?brief=1")).json()).counts;
  assert.deepEqual(counts, { waiting: 9500, imported: 10_000, failed: 500, archived: 80_000 });
});

Deno.test("before the first listing completes: 503 with Retry-After, a 'starting' page, healthz says not ready", async () => {
  await using world = await openWorld();
  const never = new Promise<never>(() => {});
  const slow = new StatusService({
    roles: {
      source: { listRuns: () => never, describe: () => "slow", prepare: () => never },
      store: { listRuns: () => never, describe: () => "slow", configurationName: () => never, exportRun: () => never },
      sink: { listRuns: () => never, describe: () => "slow", get: () => never, stat: () => never },
    },
    state: { load: () => never, stage: () => never },
    configFile: "config.yaml",
  });
  const app = createApp({ service: slow, token: null });
  assert.deepEqual(await (await app.request("/healthz")).json(), { ok: true, ready: false });
  const api = await app.request("/api/status");
  assert.equal(api.status, 503);
  assert.equal(api.headers.get("retry-after"), "2");
  assert.match((await api.json()).error, /^starting/);
  const page = await app.request("/");
  assert.equal(page.status, 503);
  assert.match(await page.text(), /Starting…/);
  assert.deepEqual(await (await world.app.request("/healthz")).json(), { ok: true, ready: true });
});

Deno.test("archiver not running (lock file PID is dead): no run is shown in progress", async () => {
  await using world = await openWorld();
  const child = new Deno.Command("true").spawn();
  await child.status;
  await Deno.writeTextFile(`${world.dir}/.archiver.lock`, `${child.pid}\n`);
  await world.service.refresh();
  const status = await (await world.app.request("/api/status")).json();
  assert.deepEqual(status.archiver, { pid: child.pid, running: false, inFlight: { import: 1, migrate: 0 } });
  const row = (await (await world.app.request("/api/runs?q=1108")).json()).items[0];
  assert.equal(row.inProgress, undefined);
  assert.match(await (await world.app.request("/fragments/summary")).text(), /Archiver not running/);
});

Deno.test("run detail: an absent blob is not cached, so a run migrated since shows its files", async () => {
  const fakeWorld = standardWorld();
  await using world = await openWorld({ world: fakeWorld });
  const before = await (await world.app.request("/api/runs/1100")).json();
  assert.equal(before.blob.present, false);
  fakeWorld.ucon.push(1100);
  await world.service.refresh();
  const after = await (await world.app.request("/api/runs/1100")).json();
  assert.equal(after.run.state, "archived");
  assert.equal(after.blob.present, true);
  assert.equal(after.blob.files.length, 3);
});

Deno.test("run page: a huge file is shown truncated with a pointer to the raw file, which is whole", async () => {
  const fakeWorld = standardWorld();
  const big = "x = 1\n".repeat(200_000); // 1.2 million characters
  fakeWorld.blobFiles = new Map([[1042, [{ path: "big.fcl", data: new TextEncoder().encode(big) }]]]);
  await using world = await openWorld({ world: fakeWorld });
  const page = await (await world.app.request("/runs/1042?file=big.fcl")).text();
  assert.match(page, /Showing the first 1,000,000 of 1,200,000 characters/);
  assert.ok(page.length < 1_100_000);
  assert.equal((await (await world.app.request("/api/runs/1042/files/big.fcl")).text()).length, big.length);
});

Deno.test("background listing: repeated on its interval, and close() stops every timer", async () => {
  const fakeWorld = standardWorld();
  await using world = await openWorld({ world: fakeWorld, listingIntervalMs: 100 });
  world.service.start();
  fakeWorld.fs.push(1120);
  let total = 0;
  for (let i = 0; i < 40 && total !== 121; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    total = (await (await world.app.request("/api/status?brief=1")).json()).totalRuns;
  }
  assert.equal(total, 121);
});

Deno.test("compare a run: API result and the page with a coloured diff", async () => {
  const fakeWorld = standardWorld();
  fakeWorld.differ = [1042];
  await using world = await openWorld({ world: fakeWorld });
  const same = await (await world.app.request("/api/runs/1041/compare")).json();
  assert.equal(same.status, "matching");
  assert.equal(same.matchingFiles, 3);
  const diff = await (await world.app.request("/api/runs/1042/compare")).json();
  assert.equal(diff.status, "different");
  assert.equal(diff.files[0].path, "boot.fcl");
  assert.match(diff.files[0].diff, /^\+daq: \{ changed: true \}$/m);
  const page = await (await world.app.request("/runs/1042/compare")).text();
  assert.match(page, /Run 1042: artdaqDB and UconDB differ/);
  assert.match(page, /<span class="add">\+daq: \{ changed: true \}<\/span>/);
  assert.match(page, /<span class="del">-daq: \{<\/span>/);
  assert.equal((await (await world.app.request("/api/runs/1119/compare")).json()).status, "missing_artdaqdb");
  assert.match(await (await world.app.request("/runs/1042")).text(), /href="\/runs\/1042\/compare"/);
});

Deno.test("version: unchanged listings and state keep the version (pages do not reload for nothing)", async () => {
  const fakeWorld = standardWorld();
  await using world = await openWorld({ world: fakeWorld });
  const version = async () => (await (await world.app.request("/api/status?brief=1")).json()).version;
  const first = await version();
  await world.service.refresh();
  assert.equal(await version(), first);
  fakeWorld.ucon.push(1100);
  await world.service.refresh();
  assert.equal(await version(), first + 1);
});
