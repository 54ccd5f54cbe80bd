/**
 * The two line formats: the Python archiver's `%(asctime)s - %(name)s - %(levelname)s - %(message)s` for people,
 * one JSON object per line for machines. Both return the line unredacted; the logger redacts the finished line.
 *
 * @module
 */
import type { LogFields, LogLevel } from "../roles.ts";

/** One log event. */
export interface LogRecord {
  /** When it happened. */
  time: Date;
  /** Severity. */
  level: LogLevel;
  /** Dotted logger name (`archiver.importer`, `archiver.plugins.ucondb`). */
  name: string;
  /** The message (redacted after formatting). */
  message: string;
  /** Structured fields (run, stage, duration...). */
  fields?: LogFields;
}

/** Python's level names, used in text lines. */
export const PYTHON_LEVEL_NAMES: Record<LogLevel, string> = {
  debug: "DEBUG",
  info: "INFO",
  warn: "WARNING",
  error: "ERROR",
  critical: "CRITICAL",
};

/**
 * `2025-10-24 14:32:15,123 - archiver.importer - INFO - message key=value` (local time, as Python's asctime).
 *
 * @example
 * ```ts
 * formatText({ time: new Date(), level: "info", name: "archiver", message: "hello", fields: { run: 5 } });
 * ```
 */
export function formatText(record: LogRecord): string {
  const t = record.time;
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  const stamp = `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ` +
    `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())},${pad(t.getMilliseconds(), 3)}`;
  let line = `${stamp} - ${record.name} - ${PYTHON_LEVEL_NAMES[record.level]} - ${record.message}`;
  if (record.fields) {
    for (const [key, value] of Object.entries(record.fields)) {
      if (value === undefined) continue;
      line += ` ${key}=${textValue(value)}`;
    }
  }
  return line;
}

/**
 * `{"time":"…Z","level":"info","logger":"archiver","message":"hello","run":5}`; fields never overwrite the four
 * standard keys.
 */
export function formatJson(record: LogRecord): string {
  const object: Record<string, unknown> = {};
  if (record.fields) {
    for (const [key, value] of Object.entries(record.fields)) object[key] = jsonValue(value);
  }
  Object.assign(object, {
    time: record.time.toISOString(),
    level: record.level,
    logger: record.name,
    message: record.message,
  });
  const { time, level, logger, message, ...rest } = object;
  return safeStringify({ time, level, logger, message, ...rest });
}

/**
 * JSON that never throws: bigints as strings, errors as their first message line, cycles as `"[circular]"`. A log
 * call must never fail because of what a caller put in a field.
 */
export function safeStringify(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (typeof inner === "bigint") return inner.toString();
    if (inner instanceof Error) return inner.message.split("\n")[0] || inner.name;
    if (typeof inner === "object" && inner !== null) {
      if (seen.has(inner)) return "[circular]";
      seen.add(inner);
    }
    return inner;
  }) ?? "null";
}

function textValue(value: unknown): string {
  const plain = jsonValue(value);
  if (typeof plain === "string") return /[\s"=]/.test(plain) || plain === "" ? JSON.stringify(plain) : plain;
  return safeStringify(plain);
}

function jsonValue(value: unknown): unknown {
  if (value instanceof Error) return value.message.split("\n")[0] || value.name;
  if (typeof value === "bigint") return value.toString();
  return value;
}
