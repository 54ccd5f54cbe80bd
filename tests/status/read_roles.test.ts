import assert from "node:assert/strict";
import { loadConfig } from "../../core/config/mod.ts";
import { silentLogger } from "../../core/log/mod.ts";
import { createRole } from "../../core/wiring.ts";
import { noopMetrics } from "../../core/measure.ts";
import { openReadRoles } from "../../core/status/read_roles.ts";
import { builtinRegistry } from "../../plugins/mod.ts";
import { tempDir } from "../_helpers/peers.ts";

Deno.test("openReadRoles: the embedded UconDB is held only while read, so an archiver can open it in between", async () => {
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
  const config = await loadConfig(`${dir.path}/config.yaml`, { env: {} });
  const registry = builtinRegistry();
  const roles = await openReadRoles(config, registry, silentLogger);
  try {
    assert.deepEqual(await roles.sink.listRuns(), []);
    // The "archiver" takes the directory while the reader is idle, stores a blob, and lets go.
    const context = { logger: silentLogger, metrics: noopMetrics(), workDir: config.app.work_dir, configDir: dir.path };
    const archiverSink = await createRole(config, registry, "sink", context);
    try {
      await assert.rejects(roles.sink.listRuns(), /cannot open ucondb embedded:.* \(an archiver may be using it/);
      assert.equal(await archiverSink.put(42, new TextEncoder().encode("blob of run 42\n")), "created");
    } finally {
      await archiverSink.close();
    }
    assert.deepEqual(await roles.sink.listRuns(), [42]);
    assert.equal((await roles.sink.stat(42))?.size, 15);
  } finally {
    await roles.close();
  }
});
