/**
 * The archiver's logger: readable lines on the terminal (the Python archiver's format), JSON lines with
 * `--log-format json`, an optional size-rotated log file, and every line passed through `redact()` after it is
 * formatted, so no registered secret can reach any output, whatever a caller puts in a message or field.
 *
 * @example
 * ```ts
 * import { createLogger } from "./core/log/mod.ts";
 * const log = createLogger({ level: "info", format: "text" });
 * log.child("importer").info("Found 3 run directories in filesystem", { stage: "import" });
 * log.close();
 * ```
 *
 * @module
 */
import type { LogFields, Logger, LogLevel } from "../roles.ts";
import type { ConfigLogLevel, LogFormat } from "../config/types.ts";
import { redact } from "../redact.ts";
import { formatJson, formatText, type LogRecord } from "./format.ts";
import { RotatingFile, type RotationOptions } from "./rotating_file.ts";

export { formatJson, formatText, type LogRecord, PYTHON_LEVEL_NAMES } from "./format.ts";
export { RotatingFile, type RotationOptions } from "./rotating_file.ts";

/** Numeric order of levels. */
export const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, critical: 50 };

/** `app.log_level` (Python names) → our level. */
export function levelFromConfig(level: ConfigLogLevel): LogLevel {
  const map: Record<ConfigLogLevel, LogLevel> = {
    DEBUG: "debug",
    INFO: "info",
    WARNING: "warn",
    ERROR: "error",
    CRITICAL: "critical",
  };
  return map[level];
}

/** Logger settings. */
export interface LogOptions {
  /** Lowest level written (terminal and file). */
  level: LogLevel;
  /** Text lines or JSON lines. */
  format: LogFormat;
  /** Terminal shows warnings and worse only; the file keeps `level`. */
  quiet?: boolean;
  /** Log file path, or null/undefined for none. */
  file?: string | null;
  /** Rotation of the log file (default 500 MiB, 5 backups). */
  rotation?: RotationOptions;
  /** Root logger name (default `archiver`). */
  name?: string;
  /**
   * Terminal stream: stdout (default, like the Python archiver's stream handler) or stderr (used with `--json`, so
   * that stdout carries only the machine-readable output).
   */
  stream?: "stdout" | "stderr";
  /** Where terminal lines go instead of a stream (tests). */
  terminal?: (line: string, level: LogLevel) => void;
}

/** A Logger that owns its outputs. */
export interface ArchiverLogger extends Logger {
  /** Close the log file. */
  close(): void;
}

const DEFAULT_ROTATION: RotationOptions = { maxBytes: 500 * 1024 * 1024, backups: 5 };
const encoder = new TextEncoder();

/** Create the root logger. A log file that cannot be opened is reported and logging continues on the terminal. */
export function createLogger(options: LogOptions): ArchiverLogger {
  const format = options.format === "json" ? formatJson : formatText;
  const terminal = options.terminal ?? (options.stream === "stderr" ? writeTo(Deno.stderr) : writeTo(Deno.stdout));
  const terminalMin = Math.max(LEVEL_ORDER[options.level], options.quiet ? LEVEL_ORDER.warn : 0);
  const fileMin = LEVEL_ORDER[options.level];
  let file: RotatingFile | null = null;
  let fileError: string | null = null;
  if (options.file) {
    try {
      file = new RotatingFile(options.file, options.rotation ?? DEFAULT_ROTATION);
    } catch (error) {
      fileError = `Cannot open log file '${options.file}': ${(error as Error).message.split("\n")[0]}; ` +
        `logging to the terminal only`;
    }
  }

  const emit = (record: LogRecord): void => {
    const rank = LEVEL_ORDER[record.level];
    if (rank < fileMin && rank < terminalMin) return;
    const line = redact(format(record));
    if (rank >= terminalMin) terminal(line, record.level);
    if (file && rank >= fileMin) {
      try {
        file.writeLine(line);
      } catch (error) {
        const path = file.path;
        file.close();
        file = null;
        terminal(
          redact(format({
            time: new Date(),
            level: "error",
            name: options.name ?? "archiver",
            message: `Log file '${path}' failed: ${(error as Error).message}; logging to the terminal only`,
          })),
          "error",
        );
      }
    }
  };

  const make = (name: string): Logger => {
    const at = (level: LogLevel) => (message: string, fields?: LogFields) => {
      emit({ time: new Date(), level, name, message, fields });
    };
    return {
      debug: at("debug"),
      info: at("info"),
      warn: at("warn"),
      error: at("error"),
      critical: at("critical"),
      child: (childName: string) => make(`${name}.${childName}`),
    };
  };

  const root = make(options.name ?? "archiver");
  if (fileError) root.error(fileError);
  return { ...root, close: () => file?.close() };
}

/** A logger that drops everything (library use without logging). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  critical() {},
  child: () => silentLogger,
};

function writeTo(stream: { writeSync(bytes: Uint8Array): number }): (line: string) => void {
  return (line) => {
    const bytes = encoder.encode(line + "\n");
    let written = 0;
    try {
      while (written < bytes.length) written += stream.writeSync(bytes.subarray(written));
    } catch {
      // The stream is closed (e.g. piped into `head`): the log file, if any, still gets the line; the run goes on.
    }
  };
}
