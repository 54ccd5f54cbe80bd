/**
 * §17.1 CLI/configuration scenarios that need a whole site (original-archiver.md §17.1): C12, and the two intended
 * improvements C13 (the report does not need `fcl_conf_dir`) and C14 (import-only does not need UconDB), plus R8
 * through the CLI (an unreachable UconDB is reported, exit 1). The CLI runs as a real subprocess on filesystemdb and
 * the embedded UconDB server; C1–C11 are covered in tests/cli and tests/config (see docs/parity.md).
 */
import { join } from "node:path";
import { assertEquals } from "../state/_assert.ts";
import { tempDir } from "../_helpers/peers.ts";
import { checkArchived, cli, makeSite, readJson } from "../pipeline/_e2e.ts";
import { freePort } from "../_helpers/peers.ts";
import { editConfig } from "./_helpers.ts";
import { pathExists } from "../../core/paths.ts";

const has = (out: string, text: string) => assertEquals(out.includes(text), true, `missing ${text}\n${out}`);

Deno.test("C12 (P): --import-only --compare-state prints only the report with the state comparison, exit 0", async () => {
  await using dir = await tempDir();
  const site = await makeSite(dir.path, [1, 2]);
  const result = await cli(site, "--import-only", "--compare-state");
  assertEquals(result.code, 0, result.out);
  has(result.out, "RUN RECORD ARCHIVER - STATUS REPORT");
  has(result.out, "  Status:              No import state recorded");
  has(result.out, "1. Run IMPORTER: 2 run(s) on filesystem not in artdaqDB (range: 1-2)");
  assertEquals(result.out.includes("STAGE: Import"), false, result.out);
  assertEquals(await pathExists(join(dir.path, "db")), false, "no import call reached artdaqDB");
  assertEquals(await pathExists(join(site.work, "importer_state.json")), false);
});

Deno.test("C13 (I): --report-status works without fcl_conf_dir; import names the missing schema per run", async () => {
  await using dir = await tempDir();
  const site = await makeSite(dir.path, [1, 2]);
  const missing = join(dir.path, "no-such-conf");
  await editConfig(site, [/fcl_conf_dir: .*/, `fcl_conf_dir: ${missing}`]);
  let result = await cli(site, "--report-status");
  assertEquals(result.code, 0, result.out);
  has(result.out, "  Contiguous:      1-2");
  has(result.out, "1. Run IMPORTER: 2 run(s) on filesystem not in artdaqDB (range: 1-2)");
  assertEquals(result.out.includes("is not a directory"), false, result.out);
  // Import does need it: every run fails with a message naming the key to fix; nothing is stored.
  result = await cli(site, "--import-only");
  assertEquals(result.code, 1, result.out);
  has(result.out, `schema not found at ${missing}/schema.fcl; set artdaq_db.fcl_conf_dir`);
  assertEquals(await Deno.readTextFile(join(site.work, "import_failures.log")), "1\n2\n");
});

Deno.test("C14 (I): --import-only runs while UconDB is unreachable; migration then fails and catches up later", async () => {
  await using dir = await tempDir();
  const site = await makeSite(dir.path, [1, 2]);
  const embedded = /server_url: .*/;
  const original = (await Deno.readTextFile(site.config)).match(embedded)![0];
  await editConfig(site, [embedded, `server_url: http://127.0.0.1:${freePort()}/app\n  retries: 0`]);
  let result = await cli(site, "--import-only");
  assertEquals(result.code, 0, result.out);
  const state = await readJson(site, "importer_state.json");
  assertEquals([state.last_contiguous_run, state.last_attempted_run], [2, 2]);
  // Migration during the outage: one CRITICAL line, exit 1, no state damage.
  result = await cli(site, "--migrate-only");
  assertEquals(result.code, 1, result.out);
  has(result.out, "Migration Stage: Failed to determine runs to migrate");
  await editConfig(site, [/server_url: .*\n {2}retries: 0/, original]);
  result = await cli(site, "--migrate-only");
  assertEquals(result.code, 0, result.out);
  assertEquals(await checkArchived(site, [1, 2]), []);
});

Deno.test("R8 (I): --report-status with UconDB unreachable reports the other sources, marks UconDB, exits 1", async () => {
  await using dir = await tempDir();
  const site = await makeSite(dir.path, [1, 2]);
  await editConfig(site, [/server_url: .*/, `server_url: http://127.0.0.1:${freePort()}/app\n  retries: 0`]);
  const result = await cli(site, "--report-status");
  assertEquals(result.code, 1, result.out);
  has(result.out, "✗ UconDB query failed: ");
  has(result.out, "  Status:          UNREACHABLE");
  has(result.out, "  Contiguous:      1-2");
  has(result.out, "ARTDAQDB (Intermediate Storage)");
  assertEquals(result.out.includes("e2e-secret-pw"), false, "no secret in the report");
});
