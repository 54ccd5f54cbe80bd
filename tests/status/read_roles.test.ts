import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../core/config/mod.ts";
import { silentLogger } from "../../core/log/mod.ts";
import { createRole } from "../../core/wiring.ts";
import { noopMetrics } from "../../core/measure.ts";
import { openReadRoles } from "../../core/status/read_roles.ts";
import { builtinRegistry } from "../../plugins/mod.ts";
import { readPublished } from "../../plugins/ucondb/published.ts";
import { tempDir } from "../_helpers/peers.ts";

Deno.test("openReadRoles: the embedded UconDB stays open and sees another user's puts at once", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(`${dir.path}/run_records`);
  await Deno.mkdir(`${dir.path}/conf`);
  await Deno.writeTextFile(
    `${dir.path}/config.yaml`,
    `app: {work_dir: ${dir.path}/work}
source_files: {run_records_dir: ${dir.path}/run_records}
artdaq_db: {fcl_conf_dir: ${dir.path}/conf, database_uri: "filesystemdb://${dir.path}/db"}
ucon_db: {server_url: "embedded:${dir.path}/ucondb", folder_name: demo, object_name: runs, writer_user: u,
  writer_password: secret-pw-1}
`,
  );
  const config = await loadConfig(`${dir.path}/config.yaml`, { env: {}, loadEnvFile: false, onWarning: () => {} });
  const registry = builtinRegistry();
  const roles = await openReadRoles(config, registry, silentLogger);
  try {
    assert.deepEqual(await roles.sink.listRuns(), []);
    assert.equal((await readPublished(join(dir.path, "ucondb")))?.pid, Deno.pid, "the reader serves the directory");
    // An "archiver" opening the same directory attaches to the reader's server instead of being locked out.
    const context = { logger: silentLogger, metrics: noopMetrics(), workDir: config.app.work_dir, configDir: dir.path };
    const archiverSink = await createRole(config, registry, "sink", context);
    try {
      assert.equal(await archiverSink.put(42, new TextEncoder().encode("blob of run 42\n")), "created");
      assert.deepEqual(await roles.sink.listRuns(), [42], "seen without reopening");
      assert.equal((await roles.sink.stat(42))?.size, 15);
    } finally {
      await archiverSink.close();
    }
    assert.deepEqual(await roles.sink.listRuns(), [42]);
  } finally {
    await roles.close();
  }
  assert.equal(await readPublished(join(dir.path, "ucondb")), null, "released on close");
});
