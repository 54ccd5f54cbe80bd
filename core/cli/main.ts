/**
 * The command line: parse, load the configuration, set up logging and signals, wire the plugins, run the
 * selected mode, and turn the outcome into the Python archiver's exit codes (0 success, 1 known error, 2 usage
 * or unexpected error, 130 interrupted). Subcommands (`fhicl`, `blob`, `compare`, `ucondb-server`) share the entry
 * point and are loaded only when called.
 *
 * @example
 * ```ts
 * import { main } from "./core/cli/main.ts";
 * Deno.exit(await main(["config.yaml", "--import-only"]));
 * ```
 *
 * @module
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import denoJson from "../../deno.json" with { type: "json" };
import { loadConfig } from "../config/mod.ts";
import type { ArchiverConfig } from "../config/types.ts";
import { ArchiverError, ConfigurationError, describeError, LockHeldError, UsageError } from "../errors.ts";
import { HeapGovernor } from "../heap.ts";
import { type ArchiverLogger, createLogger, levelFromConfig } from "../log/mod.ts";
import { REPO_ROOT } from "../paths.ts";
import { redact } from "../redact.ts";
import type { Registry } from "../registry.ts";
import type { Logger } from "../roles.ts";
import { acquireLock, type HeldLock } from "../lock/mod.ts";
import { createRoles, type Roles } from "../wiring.ts";
import type { ArchiveFlags } from "./flags.ts";
import { helpText, PROG, usageLine } from "./help.ts";
import { importRepoModule } from "./lazy.ts";
import { SUBCOMMANDS } from "./options.ts";
import { parseArchiveArgs, type ParsedCommand } from "./parse.ts";
import { ShutdownController } from "./shutdown.ts";

/** Version of this archiver (deno.json). */
export const VERSION: string = denoJson.version;

/** The embedded default configuration used when no config is given and `./config.yaml` does not exist. */
export const DEFAULT_CONFIG: string = join(REPO_ROOT, "archiver.yaml");

const RULE = "=".repeat(70);

/** Signature of core/pipeline/mod.ts `runArchiver` (a type-only import: the module itself loads lazily). */
type RunArchiver = typeof import("../pipeline/mod.ts").runArchiver;

/** Run the command line; returns the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  const subcommand = args[0] !== undefined ? SUBCOMMANDS[args[0]] : undefined;
  if (subcommand) return await runSubcommand(args[0], subcommand.module, args.slice(1));
  let parsed: ParsedCommand;
  try {
    parsed = parseArchiveArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${usageLine()}\n${PROG}: error: ${redact(error.message)}`);
    return 2;
  }
  if (parsed.kind === "help") {
    console.log(helpText());
    return 0;
  }
  if (parsed.kind === "version") {
    console.log(`${PROG} ${VERSION} (deno ${Deno.version.deno})`);
    return 0;
  }
  return await runArchive(parsed);
}

/** The config file to use: the one given, else `./config.yaml`, else the repository's `archiver.yaml`. */
export async function chooseConfig(
  given: string | undefined,
  cwd: string = Deno.cwd(),
): Promise<{ path: string; usedDefault: boolean }> {
  if (given !== undefined) return { path: given, usedDefault: false };
  try {
    await Deno.stat(join(cwd, "config.yaml"));
    return { path: "config.yaml", usedDefault: false };
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    return { path: DEFAULT_CONFIG, usedDefault: true };
  }
}

async function runArchive(parsed: Extract<ParsedCommand, { kind: "archive" }>): Promise<number> {
  // Installed before the configuration is read, so that Ctrl-C during loading is a graceful request (exit 130)
  // rather than the Python archiver's uncaught KeyboardInterrupt that exited 0.
  const shutdown = new ShutdownController();
  shutdown.install();
  let logger: ArchiverLogger | null = null;
  let roles: Roles | null = null;
  let lock: HeldLock | null = null;
  // A rejection nobody awaited (a bug in a background task) would make Deno print an unredacted stack and exit 1;
  // report it like any unexpected error instead (redacted summary, exit 2).
  const onUnhandled = (event: PromiseRejectionEvent) => {
    event.preventDefault();
    const code = reportError(logger, event.reason);
    logger?.close();
    Deno.exit(code === 1 ? 2 : code);
  };
  globalThis.addEventListener("unhandledrejection", onUnhandled);
  try {
    const chosen = await chooseConfig(parsed.configFile);
    const warnings: string[] = [];
    const config = await loadConfig(chosen.path, { exportEnvFile: true, onWarning: (w) => warnings.push(w) });
    const flags: ArchiveFlags = { ...parsed.flags, configFile: chosen.path, usedDefaultConfig: chosen.usedDefault };
    logger = openLogger(config, flags);
    const log = logger;
    shutdown.setLogger(log);
    shutdown.onImmediateExit(() => log.close());
    log.info("Run Record Archiver Starting");
    log.info(`Config: ${chosen.path}`);
    if (chosen.usedDefault) log.info(`No config.yaml in ${Deno.cwd()}: using the embedded default setup`);
    log.debug(
      config.envFile
        ? `Loading environment variables from ${config.envFile}`
        : "No archiver.env file found, using system environment",
    );
    for (const warning of warnings) log.warn(warning);

    // A dry run writes nothing, not even the work directory.
    if (!flags.dryRun) await createWorkDir(config);
    if (!shutdown.requested) {
      const { builtinRegistry } = await importRepoModule<{ builtinRegistry(): Registry }>(
        "plugins/mod.ts",
        "the built-in plugins are",
      );
      // The lock comes before the plugins: a second archiver must be refused by our lock with our message, before
      // any plugin (the embedded UconDB server, a database connection) is started. A report or a dry run writes
      // nothing and may run beside a working archiver, so neither takes it.
      if (flags.mode !== "report-status" && !flags.dryRun) lock = await acquireLock(config.app.lock_file);
      log.info("Initializing Run Record Archiver components...");
      roles = await createRoles(config, builtinRegistry(), {
        logger: log,
        workDir: config.app.work_dir,
        configDir: config.configDir,
      });
      log.info("All components initialized successfully.");
      const pipeline = await importRepoModule<{ runArchiver: RunArchiver }>(
        "core/pipeline/mod.ts",
        "the archive modes are",
      );
      const governor = HeapGovernor.start();
      try {
        const code = await pipeline.runArchiver({
          config,
          flags,
          roles,
          logger: log,
          shutdown,
          lock: lock ?? undefined,
        });
        return finish(log, shutdown, code);
      } finally {
        governor.stop();
        log.debug(
          (governor.active
            ? `Heap governor: ${governor.collections} full collections, ${Math.round(governor.collectMs)} ms`
            : "Heap governor inactive (V8 runs without --expose-gc)") +
            `; C heap trimmed ${governor.trims} times, ${Math.round(governor.trimMs)} ms`,
        );
      }
    }
    return finish(log, shutdown, 0);
  } catch (error) {
    return reportError(logger, error);
  } finally {
    if (roles) await roles.close();
    lock?.release();
    logger?.close();
    shutdown.uninstall();
    globalThis.removeEventListener("unhandledrejection", onUnhandled);
  }
}

function openLogger(config: ArchiverConfig, flags: ArchiveFlags): ArchiverLogger {
  return createLogger({
    level: flags.verbose ? "debug" : levelFromConfig(config.app.log_level),
    format: flags.logFormat ?? config.app.log_format,
    quiet: flags.quiet,
    stream: flags.json ? "stderr" : "stdout",
    file: config.app.log_file,
    rotation: { maxBytes: config.app.log_max_bytes, backups: config.app.log_backups },
    name: "archiver",
  });
}

async function createWorkDir(config: ArchiverConfig): Promise<void> {
  try {
    await mkdir(config.app.work_dir, { recursive: true });
  } catch (error) {
    throw new ConfigurationError(
      `${config.configFile}: app.work_dir: cannot create '${config.app.work_dir}': ${describeError(error)}`,
    );
  }
}

/** The closing lines of the Python archiver, and the exit code: a graceful shutdown turns 0 or 1 into 130. */
function finish(log: Logger, shutdown: ShutdownController, code: number): number {
  const exitCode = shutdown.requested && (code === 0 || code === 1) ? 130 : code;
  log.info(RULE);
  if (exitCode === 130) {
    log.info("✓ GRACEFUL SHUTDOWN COMPLETED");
    log.info(`Reason: ${shutdown.reason ?? "User interrupt"}`);
  } else if (exitCode === 0) {
    log.info("✓ EXECUTION COMPLETED SUCCESSFULLY");
  } else {
    log.error(`✗ EXECUTION COMPLETED WITH FAILURES (exit code: ${exitCode})`);
  }
  log.info(RULE);
  log.info("Archiver execution complete.");
  return exitCode;
}

/** The error summary block (or one line on stderr before logging exists); the exit code of the error. */
function reportError(logger: ArchiverLogger | null, error: unknown): number {
  const known = error instanceof ArchiverError;
  const code = known ? error.exitCode : 2;
  if (!logger) {
    const what = error instanceof ConfigurationError ? "configuration error" : known ? "error" : "unexpected error";
    console.error(redact(`${PROG}: ${what}: ${describeError(error)}`));
    if (!known && error instanceof Error && error.stack) console.error(redact(error.stack));
    return code;
  }
  const at = known && error instanceof LockHeldError ? logger.warn.bind(logger) : logger.critical.bind(logger);
  at(RULE);
  at(known ? "ERROR SUMMARY" : "UNEXPECTED ERROR SUMMARY");
  if (known && error.stage) at(`Failed Stage: ${error.stage}`);
  at(`Error Type: ${error instanceof Error ? error.name : typeof error}`);
  at(`Error Message: ${describeError(error)}`);
  if (!known && error instanceof Error && error.stack) at(`Full traceback:\n${error.stack}`);
  at(RULE);
  logger.info("Archiver terminated due to error.");
  if (known && error.stage) logger.info(`Check logs for details about ${error.stage} stage failure.`);
  return code;
}

async function runSubcommand(name: string, module: string, args: string[]): Promise<number> {
  try {
    const command = await importRepoModule<{ main(args: string[]): Promise<number> }>(
      module,
      `the '${name}' subcommand is`,
    );
    return await command.main(args);
  } catch (error) {
    return reportError(null, error);
  }
}
