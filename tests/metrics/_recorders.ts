/**
 * In-memory `Logger` and `Metrics` that remember what they were given, for the metrics and notify tests.
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

/** A Logger that keeps every line (children share the list). */
export class RecordingLogger implements Logger {
  readonly lines: LoggedLine[];
  readonly name: string;

  constructor(name = "test", lines: LoggedLine[] = []) {
    this.name = name;
    this.lines = lines;
  }

  debug(message: string, fields?: LogFields): void {
    this.lines.push({ level: "debug", name: this.name, message, fields });
  }
  info(message: string, fields?: LogFields): void {
    this.lines.push({ level: "info", name: this.name, message, fields });
  }
  warn(message: string, fields?: LogFields): void {
    this.lines.push({ level: "warn", name: this.name, message, fields });
  }
  error(message: string, fields?: LogFields): void {
    this.lines.push({ level: "error", name: this.name, message, fields });
  }
  critical(message: string, fields?: LogFields): void {
    this.lines.push({ level: "critical", name: this.name, message, fields });
  }
  child(name: string): Logger {
    return new RecordingLogger(`${this.name}.${name}`, this.lines);
  }

  /** Messages of one level. */
  at(level: LogLevel): string[] {
    return this.lines.filter((line) => line.level === level).map((line) => line.message);
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
}
