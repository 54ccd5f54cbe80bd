/**
 * In-memory `Logger` and `Metrics` that remember what they were given, for assertions in any test. Set `TEST_LOG=1`
 * to also see the recorded log lines on stderr while a test runs.
 *
 * @example
 * ```ts
 * import { RecordingLogger, RecordingMetrics } from "../_helpers/recorders.ts";
 * const logger = new RecordingLogger();
 * logger.child("ucondb").warn("HTTP 503: busy");
 * logger.has("busy"); // true
 * logger.text(); // "warn: HTTP 503: busy"
 * ```
 *
 * @module
 */
import type { LogFields, Logger, LogLevel, Metrics } from "../../core/roles.ts";

/** One recorded log line. */
export interface LoggedLine {
  level: LogLevel;
  name: string;
  message: string;
  fields?: LogFields;
}

const ECHO = Boolean(Deno.env.get("TEST_LOG"));

/** A Logger that keeps every line (children share the list). */
export class RecordingLogger implements Logger {
  readonly lines: LoggedLine[];
  readonly name: string;

  constructor(name = "test", lines: LoggedLine[] = []) {
    this.name = name;
    this.lines = lines;
  }

  #add(level: LogLevel, message: string, fields?: LogFields): void {
    this.lines.push({ level, name: this.name, message, fields });
    if (ECHO) console.error(`${level}: ${message}`);
  }
  debug(message: string, fields?: LogFields): void {
    this.#add("debug", message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.#add("info", message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.#add("warn", message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.#add("error", message, fields);
  }
  critical(message: string, fields?: LogFields): void {
    this.#add("critical", message, fields);
  }
  child(name: string): Logger {
    return new RecordingLogger(`${this.name}.${name}`, this.lines);
  }

  /** Messages of one level. */
  at(level: LogLevel): string[] {
    return this.lines.filter((line) => line.level === level).map((line) => line.message);
  }

  /** Whether some line contains `text`. */
  has(text: string): boolean {
    return this.lines.some((line) => line.message.includes(text));
  }

  /** Every line as `<level>: <message>`, one per line (for regex assertions). */
  text(): string {
    return this.lines.map((line) => `${line.level}: ${line.message}`).join("\n");
  }
}

/** One recorded metric. */
export interface SentMetric {
  path: string;
  value: number;
  timestamp?: number;
}

/** A Metrics that keeps every value. */
export class RecordingMetrics implements Metrics {
  readonly sent: SentMetric[] = [];
  closed = false;

  send(path: string, value: number, timestamp?: number): void {
    this.sent.push({ path, value, timestamp });
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  /** Values sent under `path`. */
  values(path: string): number[] {
    return this.sent.filter((metric) => metric.path === path).map((metric) => metric.value);
  }

  /** The last value sent under `path`. */
  value(path: string): number | undefined {
    return this.sent.findLast((metric) => metric.path === path)?.value;
  }
}
