/**
 * End-to-end helpers: a site in a temp dir (run records copied from the project fixtures under new run numbers,
 * a filesystemdb artdaqDB, the embedded UconDB server), the CLI run as a real subprocess, and an in-process view
 * of what was archived (through the same plugins) for the checks.
 *
 * @module
 */
import { join } from "node:path";
import { packBlob } from "../../core/blob/mod.ts";
import { loadConfig } from "../../core/config/mod.ts";
import { REPO_ROOT } from "../../core/paths.ts";
import { createRoles, type Roles } from "../../core/wiring.ts";
import { builtinRegistry } from "../../plugins/mod.ts";
import { startUconDBServer, UconDBClient } from "../../plugins/ucondb/mod.ts";
import { RecordingLogger } from "../_helpers/recorders.ts";
import { assertEquals } from "../state/_assert.ts";

/** Fixture runs that import cleanly and have a stop time. */
export const GOOD_FIXTURES = ["11001", "11006"];

/** A site: paths and the config file. */
export interface Site {
  dir: string;
  config: string;
  records: string;
  work: string;
}

/**
 * Copy fixture run `from` to run number `run` of the site. `metadataFrom` replaces its metadata.txt (e.g. a
 * complete one, so that a broken fixture is imported — and fails — instead of being deferred as still running).
 */
export async function addRun(
  site: Site,
  run: number,
  from = GOOD_FIXTURES[run % GOOD_FIXTURES.length],
  metadataFrom?: string,
) {
  const target = join(site.records, String(run));
  await Deno.mkdir(target, { recursive: true });
  const source = join(REPO_ROOT, "fixtures/run_records", from);
  for await (const entry of Deno.readDir(source)) {
    if (entry.isFile) await Deno.copyFile(join(source, entry.name), join(target, entry.name));
  }
  if (metadataFrom) {
    await Deno.copyFile(
      join(REPO_ROOT, "fixtures/run_records", metadataFrom, "metadata.txt"),
      join(target, "metadata.txt"),
    );
  }
}

/** Create a site with the given runs, `app` settings and extra YAML sections (built-in plugin wiring). */
export async function makeSite(
  dir: string,
  runs: number[],
  app: Record<string, unknown> = {},
  extra = "",
): Promise<Site> {
  const site: Site = {
    dir,
    config: join(dir, "config.yaml"),
    records: join(dir, "records"),
    work: join(dir, "work"),
  };
  await Deno.mkdir(site.records, { recursive: true });
  for (const run of runs) await addRun(site, run);
  const appLines = Object.entries({
    work_dir: site.work,
    retry_delay_seconds: 0,
    run_process_retries: 1,
    log_file: null,
    ...app,
  }).map(([key, value]) => `  ${key}: ${JSON.stringify(value)}`).join("\n");
  await Deno.writeTextFile(
    site.config,
    `app:
${appLines}
source_files:
  run_records_dir: ${site.records}
artdaq_db:
  fcl_conf_dir: ${join(REPO_ROOT, "fixtures/schema")}
  database_uri: filesystemdb://${join(dir, "db")}
ucon_db:
  server_url: embedded:${join(dir, "ucondb")}
  folder_name: run_records
  object_name: configuration
  writer_user: archiver
  writer_password: e2e-secret-pw
${extra}`,
  );
  return site;
}

/** A `reporting` section (for `makeSite`'s `extra`) mailing failures to ops@example.com via 127.0.0.1:`port`. */
export function emailReporting(port: number): string {
  return `reporting:
  email:
    enabled: true
    recipient_email: ops@example.com
    sender_email: archiver@example.com
    smtp_host: 127.0.0.1
    smtp_port: ${port}
`;
}

/** A work-dir file parsed as JSON. */
export async function readJson(site: Site, file: string): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(join(site.work, file)));
}

/** Waits (at most 15 s) until the running archiver's import state file shows a batch in flight. */
export async function importUnderway(site: Site): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const state = await Deno.readTextFile(join(site.work, "importer_state.json")).catch(() => "");
    if (state.includes('"in_flight"')) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * After an invocation interrupted during the import of `runs`: nothing in flight, failed or in the failure log,
 * some but not all runs imported; then a rerun exits 0 and every run is archived exactly once.
 */
export async function assertResumable(site: Site, runs: number[]): Promise<void> {
  const state = await readJson(site, "importer_state.json");
  assertEquals([state.in_flight, state.failures], [[], {}], "pending runs are not failed");
  assertEquals(await Deno.readTextFile(join(site.work, "import_failures.log")), "");
  const done = (state.done as number[][]).reduce((n, [a, b]) => n + b - a + 1, 0);
  assertEquals(done >= 1 && done < runs.length, true, `done ${done}`);
  const rerun = await cli(site);
  assertEquals(rerun.code, 0, rerun.out);
  assertEquals(await checkArchived(site, runs), []);
}

/** The CLI command for a site. */
export function cliCommand(site: Site, flags: string[], output: "piped" | "null" = "piped"): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-prompt", join(REPO_ROOT, "cli.ts"), site.config, ...flags],
    cwd: site.dir,
    env: { NO_COLOR: "1" },
    stdout: output,
    stderr: output,
  });
}

/** Run the CLI to completion. */
export async function cli(site: Site, ...flags: string[]): Promise<{ code: number; out: string }> {
  const result = await cliCommand(site, flags).output();
  const decoder = new TextDecoder();
  return { code: result.code, out: decoder.decode(result.stdout) + decoder.decode(result.stderr) };
}

/** What is archived, seen through the same plugins in this process (the embedded server started here). */
export async function inspect(site: Site): Promise<{
  roles: Roles;
  versions: Map<string, number>;
  close(): Promise<void>;
}> {
  const config = await loadConfig(site.config, { env: {}, loadEnvFile: false, onWarning: () => {} });
  const registry = builtinRegistry();
  const logger = new RecordingLogger();
  // Versions are counted through a server of our own first (the sink plugin starts its own on the same dir).
  const server = await startUconDBServer({ dir: join(site.dir, "ucondb"), folders: ["run_records"] });
  const client = new UconDBClient({ serverUrl: server.url, folder: "run_records", timeoutSeconds: 10, retries: 0 });
  const versions = new Map<string, number>();
  for (const version of await client.listVersions("configuration")) {
    const key = String(version.key);
    versions.set(key, (versions.get(key) ?? 0) + 1);
  }
  await server.close();
  const roles = await createRoles(config, registry, {
    logger,
    workDir: config.app.work_dir,
    configDir: config.configDir,
    wrap: (_r, _n, instance) => instance,
  });
  return { roles, versions, close: () => roles.close() };
}

/** Every run archived exactly once, and each blob equal to the packed export of the stored run. */
export async function checkArchived(site: Site, runs: number[]): Promise<string[]> {
  const problems: string[] = [];
  const view = await inspect(site);
  try {
    const stored = await view.roles.store.listRuns();
    const archived = await view.roles.sink.listRuns();
    if (JSON.stringify(stored) !== JSON.stringify(runs)) problems.push(`artdaqDB has ${stored}, expected ${runs}`);
    if (JSON.stringify(archived) !== JSON.stringify(runs)) problems.push(`UconDB has ${archived}, expected ${runs}`);
    for (const run of runs) {
      const count = view.versions.get(String(run)) ?? 0;
      if (count !== 1) problems.push(`run ${run} has ${count} versions in UconDB`);
      const exported = await view.roles.store.exportRun(run);
      const expected = packBlob(run, exported.configuration, exported.storedAt, exported.files);
      const blob = await view.roles.sink.get(run);
      if (!blob || blob.length !== expected.length || !blob.every((b, i) => b === expected[i])) {
        problems.push(`run ${run}: the UconDB blob differs from the packed artdaqDB export`);
      }
    }
  } finally {
    await view.close();
  }
  return problems;
}
