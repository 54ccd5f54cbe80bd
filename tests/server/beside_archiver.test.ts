/**
 * The status server (its service over `openReadRoles`, as server.ts builds it), `--report-status` and the archiver
 * CLI (a real subprocess) on one config with the embedded UconDB: whichever starts first holds the directory, the
 * others attach to it, so the status shows the archiver's runs live; when the holder stops, the status server
 * takes the directory over and keeps listing.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../core/config/mod.ts";
import type { ArchiverConfig } from "../../core/config/types.ts";
import { silentLogger } from "../../core/log/mod.ts";
import { createApp } from "../../core/server/app.ts";
import { StatusService } from "../../core/server/service.ts";
import { openReadRoles, type ReadRoles } from "../../core/status/read_roles.ts";
import { openStateView } from "../../core/status/state_view.ts";
import { builtinRegistry } from "../../plugins/mod.ts";
import { readPublished } from "../../plugins/ucondb/published.ts";
import { cliCommand, makeSite, type Site } from "../pipeline/_e2e.ts";
import { tempDir } from "../_helpers/peers.ts";

/** The status server's model over the site's config, as server.ts makes it. */
async function openStatus(site: Site): Promise<{ config: ArchiverConfig; roles: ReadRoles; service: StatusService }> {
  const config = await loadConfig(site.config, { env: {}, loadEnvFile: false, onWarning: () => {} });
  const roles = await openReadRoles(config, builtinRegistry(), silentLogger);
  const service = new StatusService({
    roles,
    state: openStateView(config),
    configFile: site.config,
    lockFile: config.app.lock_file,
  });
  await service.refresh();
  return { config, roles, service };
}

/** Refresh until `done` holds for the picture (at most `ms`). */
async function refreshUntil(service: StatusService, done: () => boolean, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    await service.refresh();
    if (done()) return;
    if (Date.now() > deadline) throw new Error(`status never got there: ${JSON.stringify(service.current().sources)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A `--watch` archiver subprocess; dispose kills it if still running. */
function startArchiver(site: Site) {
  const child = cliCommand(site, ["--watch", "30", "--incremental"], "null").spawn();
  return {
    child,
    async stop(): Promise<number> {
      child.kill("SIGTERM");
      return (await child.status).code;
    },
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
    },
  };
}

Deno.test("status server first, archiver beside it: the runs show up archived while the archiver runs", async () => {
  await using dir = await tempDir("status-beside-");
  const site = await makeSite(dir.path, [1, 2, 3]);
  const { roles, service } = await openStatus(site);
  try {
    let picture = service.current();
    assert.equal(picture.sources.ucondb.reachable, true);
    assert.deepEqual(picture.sources.ucondb.runs, []);
    assert.deepEqual(picture.sources.filesystem.runs, [1, 2, 3]);
    assert.equal((await readPublished(join(dir.path, "ucondb")))?.pid, Deno.pid, "the status server serves the dir");

    await using archiver = startArchiver(site);
    await refreshUntil(service, () => service.current().sources.ucondb.runs.length === 3);
    picture = service.current();
    assert.equal(picture.archiver.running, true, "seen while the archiver is still running");
    assert.equal(picture.archiver.pid, archiver.child.pid);
    assert.deepEqual(picture.index.counts(), { waiting: 0, imported: 0, failed: 0, archived: 3 });
    const answer = await createApp({ service, token: null }).request("/api/status");
    const status = await answer.json();
    assert.equal(status.sources.ucondb.reachable, true);
    assert.equal(status.sources.ucondb.runs, 3);
    assert.equal(status.counts.archived, 3);
    const detail = await service.runDetail(2);
    assert.equal(detail?.blob.present, true);
    assert.ok(detail!.blob.files.length > 0);
    assert.equal(await archiver.stop(), 130);
  } finally {
    await service.close();
    await roles.close();
  }
});

Deno.test("archiver first: --report-status and the status server work beside it; the status server takes over after it", async () => {
  await using dir = await tempDir("status-beside-");
  const site = await makeSite(dir.path, [1, 2]);
  await using archiver = startArchiver(site);
  const ucondbDir = join(dir.path, "ucondb");
  for (let i = 0; i < 600; i++) {
    const state = await Deno.readTextFile(`${site.work}/migrator_state.json`).catch(() => "");
    if (state.includes('"done": [\n    [1, 2]')) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal((await readPublished(ucondbDir))?.pid, archiver.child.pid, "the archiver serves the dir");

  const report = await cliCommand(site, ["--report-status", "--json"]).output();
  const text = new TextDecoder().decode(report.stdout);
  assert.equal(report.code, 0, text + new TextDecoder().decode(report.stderr));
  const parsed = JSON.parse(text);
  assert.equal(parsed.sources.ucondb.reachable, true);
  assert.equal(parsed.sources.ucondb.total, 2);

  const { roles, service } = await openStatus(site);
  try {
    let picture = service.current();
    assert.deepEqual(picture.sources.ucondb.runs, [1, 2]);
    assert.equal(picture.archiver.running, true);
    assert.deepEqual(picture.index.counts(), { waiting: 0, imported: 0, failed: 0, archived: 2 });
    assert.equal((await readPublished(ucondbDir))?.pid, archiver.child.pid, "the status server only attached");

    assert.equal(await archiver.stop(), 130);
    await service.refresh();
    picture = service.current();
    assert.equal(picture.sources.ucondb.reachable, true, picture.sources.ucondb.error);
    assert.deepEqual(picture.sources.ucondb.runs, [1, 2]);
    assert.equal((await readPublished(ucondbDir))?.pid, Deno.pid, "the status server took the dir over");
    assert.equal((await service.runDetail(1))?.blob.present, true);
  } finally {
    await service.close();
    await roles.close();
  }
});
