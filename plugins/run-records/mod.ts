/**
 * The `run-records` source plugin: DAQInterface run-record directories → the FHiCL documents artdaqDB archives.
 *
 * Discovery is name-only; reading is size-limited, symlink-safe and strict UTF-8; the nine converters/generators of
 * the Python archiver are reproduced with their FHiCL-breaking quirks fixed; every generated document is parsed
 * before it leaves the source. Behaviour and every difference from the original: docs/run-records.md.
 *
 * @example
 * ```ts
 * import { runRecords } from "./plugins/run-records/mod.ts";
 * const source = runRecords({ run_records_dir: "fixtures/run_records" });
 * for (const { run } of await source.listRuns()) {
 *   const prepared = await source.prepare(run);
 *   console.log(run, prepared.configName, prepared.complete, prepared.documents.length);
 * }
 * ```
 *
 * @module
 */
import { resolve } from "node:path";
import { ConfigurationError } from "../../core/errors.ts";
import { parse } from "../../core/fhicl/mod.ts";
import { REPO_ROOT } from "../../core/paths.ts";
import type { ArtdaqDbConfig, SourceFilesConfig } from "../../core/config/types.ts";
import { sectionDefaults, SECTIONS } from "../../core/config/schema.ts";
import { definePlugin, type PluginContext } from "../../core/registry.ts";
import type { Logger, Source } from "../../core/roles.ts";
import { FHICLIZE_NAMES } from "./converters/mod.ts";
import { RunRecordsSource } from "./source.ts";

export { RunRecordsSource } from "./source.ts";
export { FHICLIZE_NAMES, TEXT_CONVERTERS } from "./converters/mod.ts";
export { configurationName, parseDaqDate, readMetadataInfo } from "./metadata_info.ts";

/** The `source_files` keys the source reads that have a schema default. */
const LIMIT_KEYS = ["max_file_bytes", "max_run_bytes", "validate_fhicl"] as const;
type LimitKeys = typeof LIMIT_KEYS[number];

/**
 * Options: the config keys the source reads, verbatim (`source_files`, `artdaq_db.fcl_conf_dir`,
 * `fhiclize_generate`), plus where relative paths resolve and where warnings go.
 */
export type Options =
  & Pick<SourceFilesConfig, "run_records_dir">
  & Partial<Pick<SourceFilesConfig, LimitKeys>>
  & {
    /** Directory holding `schema.fcl` (`artdaq_db.fcl_conf_dir`); default the repo's `fixtures/schema`. */
    fcl_conf_dir?: ArtdaqDbConfig["fcl_conf_dir"];
    /** Enabled converters/generators; `.txt`/`.fcl` suffixes accepted; default all nine. */
    fhiclize_generate?: readonly string[] | null;
    /** Relative paths resolve against this directory (the config file's); default the working directory. */
    config_dir?: string;
    /** Where warnings go (skipped directories, runs without metadata.txt). */
    logger?: Logger;
  };

/** Defaults of the options that have one (the limits' from the configuration schema). */
export const defaults: Required<Omit<Options, "run_records_dir" | "logger" | "config_dir">> = {
  fcl_conf_dir: resolve(REPO_ROOT, "fixtures/schema"),
  fhiclize_generate: FHICLIZE_NAMES,
  ...sectionDefaults<Pick<SourceFilesConfig, LimitKeys>>(SECTIONS.source_files, LIMIT_KEYS),
};

/**
 * Create the run-record source. Throws `ConfigurationError` for a missing directory option, an unknown
 * `fhiclize_generate` name or a limit that is not a positive number.
 *
 * @example
 * ```ts
 * const source = runRecords({ run_records_dir: "/daq/run_records", fhiclize_generate: ["metadata", "boot"] });
 * ```
 */
export function runRecords(options: Options): RunRecordsSource {
  const merged = { ...defaults, ...stripUndefined(options) } as Options & typeof defaults;
  if (typeof merged.run_records_dir !== "string" || merged.run_records_dir === "") {
    throw new ConfigurationError("source_files.run_records_dir is required: the directory holding the run records");
  }
  const base = merged.config_dir ?? Deno.cwd();
  return new RunRecordsSource({
    runRecordsDir: resolve(base, merged.run_records_dir),
    fclConfDir: resolve(base, merged.fcl_conf_dir ?? defaults.fcl_conf_dir),
    enabled: enabledNames(merged.fhiclize_generate),
    maxFileBytes: positive("max_file_bytes", merged.max_file_bytes),
    maxRunBytes: positive("max_run_bytes", merged.max_run_bytes),
    validateSourceFhicl: merged.validate_fhicl !== false,
    validate: (text, filename) => void parse(text, { filename, resolveIncludes: false }),
    logger: merged.logger,
  });
}

/** The plugin: role `source`, name `run-records`. */
export default definePlugin<"source", Options>({
  role: "source",
  name: "run-records",
  defaults: defaults as Options,
  create: (options: Options, context: PluginContext): Source =>
    runRecords({ config_dir: context.configDir, ...options, logger: context.logger.child("plugins.run-records") }),
});

function enabledNames(names: readonly string[] | null | undefined): Set<string> {
  if (names === null || names === undefined) return new Set(FHICLIZE_NAMES);
  const enabled = new Set<string>();
  for (const raw of names) {
    const name = String(raw).replace(/\.(txt|fcl)$/, "");
    if (!FHICLIZE_NAMES.includes(name)) {
      throw new ConfigurationError(
        `fhiclize_generate: unknown name '${raw}'; known names: ${FHICLIZE_NAMES.join(", ")}`,
      );
    }
    enabled.add(name);
  }
  return enabled;
}

function positive(key: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new ConfigurationError(`source_files.${key} must be a positive number of bytes, got ${String(value)}`);
  }
  return value;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
