/**
 * §17.2 I16 through the CLI subprocess with the bulk tools run over SSH on the loopback sshd
 * (scripts/test-services.sh; in CI a missing sshd fails, locally the test warns and skips): a remote bulkloader that
 * exits 1 fails the run (the Python archiver's remote command masked the status and counted it imported).
 */
import { join } from "node:path";
import { REPO_ROOT } from "../../core/paths.ts";
import { assertEquals } from "../state/_assert.ts";
import { requirePeer, tempDir } from "../_helpers/peers.ts";
import { sshPeer } from "../artdaqdb-bulktools/_env.ts";
import { cli, makeSite, readJson } from "../pipeline/_e2e.ts";
import { editConfig } from "./_helpers.ts";

const HINT = "start it with scripts/test-services.sh and export SSH_HOST SSH_PORT SSH_USER SSH_KEY SSH_KNOWN_HOSTS " +
  "SSH_HOST_PUB (set -a; . /tmp/team/services/env)";

Deno.test("I16 (I): a remote bulkloader exiting 1 fails the run; it is logged, not counted imported", async () => {
  const peer = sshPeer();
  if (!requirePeer("sshd", peer !== null, HINT)) return;
  await using dir = await tempDir();
  const site = await makeSite(dir.path, [1, 2, 3]);
  await Deno.mkdir(join(dir.path, "db"));
  await Deno.mkdir(join(dir.path, "remote-tmp"));
  // The "remote" bulkloader: the stand-in, except that it fails for run 2 as the real tool does when a file does
  // not load (exit status 1, message on stderr).
  const loader = join(dir.path, "failing-bulkloader");
  await Deno.writeTextFile(
    loader,
    `#!/bin/sh\ncase " $* " in *" -r 2 "*) echo "Error: Failed to load 1 file(s)." >&2; exit 1;; esac\n` +
      `exec ${join(REPO_ROOT, "tests/bin/bulkloader")} "$@"\n`,
  );
  await Deno.chmod(loader, 0o755);
  await editConfig(site, [
    /database_uri: .*/,
    `$&
  use_tools: true
  remote_host: ${peer!.user}@${peer!.host}
  ssh_port: ${peer!.port}
  ssh_key_file: ${peer!.key}
  ssh_known_hosts: ${peer!.knownHosts}
  remote_tmp_dir: ${join(dir.path, "remote-tmp")}
  bulkloader: ${loader}
  bulkdownloader: ${join(REPO_ROOT, "tests/bin/bulkdownloader")}`,
  ]);
  const result = await cli(site, "--import-only");
  assertEquals(result.code, 1, result.out);
  assertEquals(/run 2\b.*exit status 1/.test(result.out), true, result.out);
  assertEquals(await Deno.readTextFile(join(site.work, "import_failures.log")), "2\n");
  const state = await readJson(site, "importer_state.json");
  assertEquals([state.last_contiguous_run, state.last_attempted_run, state.done], [1, 3, [[1, 1], [3, 3]]]);
  const report = await cli(site, "--report-status");
  assertEquals(report.code, 0, report.out);
  assertEquals(
    report.out.includes("1. Run IMPORTER: 1 run(s) on filesystem not in artdaqDB (range: 2-2)"),
    true,
    report.out,
  );
});
