/**
 * Test helper: write a config (and optionally an archiver.env) into a temp directory and load it with a fixed
 * environment, collecting warnings.
 *
 * @module
 */
import { join } from "node:path";
import { loadConfig } from "../../core/config/mod.ts";
import type { ArchiverConfig } from "../../core/config/types.ts";

/** The three required sections, minimal. */
export const MINIMAL = `source_files:
  run_records_dir: /data/runs
artdaq_db:
  fcl_conf_dir: /data/conf
  database_uri: filesystemdb:///data/db
ucon_db:
  server_url: https://ucon.example.com:9443/inst/app
  folder_name: f
  object_name: o
  writer_user: u
  writer_password: pw-secret-1
`;

/** Result of `load`. */
export interface Loaded {
  config: ArchiverConfig;
  warnings: string[];
  path: string;
}

/** Write `yaml` as `<dir>/config.yaml` (plus `archiver.env` when given) and load it with `env`. */
export async function load(
  dir: string,
  yaml: string,
  env: Record<string, string> = {},
  envFile?: string,
): Promise<Loaded> {
  const path = join(dir, "config.yaml");
  await Deno.writeTextFile(path, yaml);
  if (envFile !== undefined) await Deno.writeTextFile(join(dir, "archiver.env"), envFile);
  const warnings: string[] = [];
  const config = await loadConfig(path, { env, onWarning: (w) => warnings.push(w) });
  return { config, warnings, path };
}

/** The message of the ConfigurationError `load` throws (fails the test when it does not throw). */
export async function loadError(dir: string, yaml: string, env: Record<string, string> = {}): Promise<string> {
  try {
    await load(dir, yaml, env);
  } catch (error) {
    if ((error as Error).name !== "ConfigurationError") throw error;
    return (error as Error).message;
  }
  throw new Error("expected a ConfigurationError");
}
