/**
 * Loading the archiver's configuration: an existing `config.yaml` of the Python archiver loads unchanged.
 *
 * Order (as the Python archiver and its launcher): `archiver.env` beside the file (shell `set -a` semantics:
 * its assignments override the inherited environment), YAML parse, environment expansion, parameter expansion,
 * typed sections with defaults. Every error is one line `<file>:<line>: <key path>: <what to do>` thrown as
 * `ConfigurationError` (exit 1). Every secret is registered with the redaction layer before anything can print it.
 *
 * @example
 * ```ts
 * import { loadConfig } from "./core/config/mod.ts";
 * const config = await loadConfig("config.yaml");
 * console.log(config.app.work_dir, config.ucon_db.folder_name);
 * ```
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { ConfigurationError } from "../errors.ts";
import type { ArchiverConfig, LoadConfigOptions } from "./types.ts";
import { ENV_FILE_NAME, parseEnvFile } from "./env_file.ts";
import { type ConfigSource, parseConfigText, YamlSyntaxError } from "./source.ts";
import { expandEnvTree, expandParamsTree, ExpansionError, findUnexpanded, isPlainObject } from "./expand.ts";
import { buildConfig } from "./build.ts";
import { FieldError } from "./coerce.ts";
import { SECTIONS } from "./schema.ts";
import { registerConfigSecrets } from "./secrets.ts";
import { redact } from "../redact.ts";

export type * from "./types.ts";
export { allKeyPaths, LEGACY_REPORTING_KEYS, REPORTING_SECTIONS, SECTIONS } from "./schema.ts";

/**
 * Load, expand, validate and resolve a configuration file.
 *
 * @param path the file as the operator gave it (used verbatim in messages)
 */
export async function loadConfig(path: string, options: LoadConfigOptions = {}): Promise<ArchiverConfig> {
  const configFile = resolve(path);
  const configDir = dirname(configFile);
  const text = await readConfigFile(path);

  const inherited = options.env ?? Deno.env.toObject();
  let env: Record<string, string> = inherited;
  let envFile: string | null = null;
  if (options.loadEnvFile !== false) {
    const candidate = join(configDir, ENV_FILE_NAME);
    const envText = await readOptional(candidate);
    if (envText !== null) {
      const assigned = parseEnvFile(envText, candidate, inherited);
      env = { ...inherited, ...assigned };
      envFile = candidate;
      if (options.exportEnvFile) { for (const [name, value] of Object.entries(assigned)) Deno.env.set(name, value); }
    }
  }

  let source: ConfigSource;
  try {
    source = parseConfigText(text);
  } catch (error) {
    if (error instanceof YamlSyntaxError) {
      throw new ConfigurationError(
        `${path}:${error.line}: Error parsing configuration file '${path}': ${error.message}`,
      );
    }
    throw error;
  }
  if (!isPlainObject(source.data)) {
    throw new ConfigurationError(`Configuration file '${path}' is invalid or empty.`);
  }
  const where = (keyPath: string) => `${path}:${source.lineOf(keyPath)}: ${keyPath}`;

  try {
    const envExpanded = expandEnvTree(source.data, env);
    const expanded = expandParamsTree(envExpanded, staticDefault);
    registerConfigSecrets(expanded);
    const left = findUnexpanded(expanded);
    if (left) throw new ExpansionError(left.path, `cannot resolve ${left.text}`);
    const warn = options.onWarning ?? ((message: string) => console.warn(`WARNING: ${message}`));
    const built = buildConfig(expanded, {
      baseDir: configDir,
      sourceOf: source.sourceOf,
      warn: (keyPath, message) => warn(`${where(keyPath)}: ${message}`),
    });
    // As the Python archiver: an empty remote_host falls back to the environment (§3.2 artdaq_db.remote_host).
    if (!built.artdaq_db.remote_host && env.ARTDAQ_DATABASE_REMOTEHOST) {
      built.artdaq_db.remote_host = env.ARTDAQ_DATABASE_REMOTEHOST;
    }
    const config: ArchiverConfig = { ...built, configFile, configDir, envFile };
    registerConfigSecrets(config as unknown as Record<string, unknown>);
    return config;
  } catch (error) {
    if (error instanceof ExpansionError || error instanceof FieldError) {
      // Redacted here, not only when printed: a value in the message may be a secret (e.g. a password
      // substituted into a number key), and exception messages must never carry one.
      throw new ConfigurationError(redact(`${where(error.path)}: ${error.message}`));
    }
    throw error;
  }
}

/** A documented default that does not depend on other keys (used for `${param}` of a key absent from the file). */
function staticDefault(section: string, key: string): unknown {
  const value = SECTIONS[section]?.keys[key]?.default;
  return typeof value === "function" ? undefined : value;
}

async function readConfigFile(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new ConfigurationError(`Configuration file not found at '${path}'.`);
    }
    if (error instanceof Deno.errors.IsADirectory) {
      throw new ConfigurationError(`Configuration file '${path}' is a directory; give the YAML file.`);
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new ConfigurationError(`Configuration file '${path}' is not readable (permission denied).`);
    }
    if (error instanceof TypeError || error instanceof Deno.errors.InvalidData) {
      throw new ConfigurationError(`Configuration file '${path}' is not UTF-8 text.`);
    }
    throw error;
  }
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw new ConfigurationError(`${path}: cannot read (${(error as Error).message.split("\n")[0]})`);
  }
}
