/**
 * The configuration file of an end-to-end benchmark: the embedded default setup (filesystemdb artdaqDB and the
 * embedded UconDB server, both inside the benchmark directory), with the batch large enough for one invocation to
 * process every run. A store or sink given by the caller replaces the default; credentials come from the
 * environment through `${VAR}` expansion, never from the file or the command line.
 *
 * @module
 */
import { join } from "node:path";
import { REPO_ROOT } from "../../core/paths.ts";

/** What the configuration is made of. */
export interface BenchConfigOptions {
  recordsDir: string;
  /** Runs one full-mode invocation must process (batch = `batch_size * 10`). */
  runs: number;
  workers: number;
  /** `artdaq_db.conversion_threads` (null: the archiver's default, one per CPU, at most 4). */
  threads: number | null;
  /** artdaqDB URI (`filesystemdb://...`, `mongodb://host/db`), or null for `<dir>/artdaqdb`. */
  store: string | null;
  /** UconDB base URL, or null for the embedded server in `<dir>/ucondb`. */
  sink: string | null;
  verify: "meta" | "full";
}

/** YAML double-quoted string (paths and URIs only; no secret is ever written). */
function quoted(text: string): string {
  return JSON.stringify(text);
}

/** Writes `<dir>/config.yaml` and returns its path. */
export async function writeBenchConfig(dir: string, options: BenchConfigOptions): Promise<string> {
  const store = options.store === null
    ? quoted(`filesystemdb://${join(dir, "artdaqdb")}`)
    : Deno.env.get("BENCH_STORE_URI")
    ? '"${BENCH_STORE_URI}"'
    : quoted(options.store);
  const sink = options.sink === null
    ? quoted(`embedded:${join(dir, "ucondb")}`)
    : Deno.env.get("BENCH_SINK_URL")
    ? '"${BENCH_SINK_URL}"'
    : quoted(options.sink);
  const yaml = `# Written by scripts/bench-e2e.ts
app:
  work_dir: ${quoted(join(dir, "work"))}
  batch_size: ${Math.max(1, Math.ceil(options.runs / 10))}
  parallel_workers: ${options.workers}
  run_process_retries: 2
  retry_delay_seconds: 1
  log_level: INFO
  log_file: null

source_files:
  run_records_dir: ${quoted(options.recordsDir)}

artdaq_db:
  fcl_conf_dir: ${quoted(join(REPO_ROOT, "fixtures", "schema"))}
  database_uri: ${store}
  use_tools: false
  conversion_threads: ${options.threads === null ? "null" : options.threads}

ucon_db:
  server_url: ${sink}
  folder_name: "\${UCONDB_FOLDER:-run_records}"
  object_name: "\${UCONDB_OBJECT:-configuration}"
  writer_user: "\${UCONDB_USER:-archiver}"
  writer_password: "\${UCONDB_PASSWORD:-embedded-default}"
  timeout_seconds: 30
  verify: ${options.verify}

reporting:
  email:
    enabled: false
  slack:
    enabled: false

carbon:
  enabled: false
`;
  const path = join(dir, "config.yaml");
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(path, yaml, { mode: 0o600 });
  return path;
}
