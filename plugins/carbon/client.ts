/**
 * The Carbon (Graphite plaintext) client: one persistent TCP connection, lines batched into few writes, a bounded
 * queue that drops the oldest lines when Carbon is away (drops counted and posted as `carbon.dropped_metrics`),
 * reconnect with exponential backoff, and a `close()` that flushes within a bounded time.
 *
 * `send()` only formats a line and appends it to the queue: it never waits for the network and never throws, so a
 * dead or slow Carbon cannot slow or fail the pipeline (the Python archiver opened one connection per metric with a
 * 2 s timeout, inside the measured call).
 *
 * @example
 * ```ts
 * import { CarbonClient } from "./client.ts";
 * const client = new CarbonClient({ host: "127.0.0.1", port: 2003, prefix: "demo.run_archiver.dev" });
 * client.send("migrate.runs_processed", 5);
 * await client.close(); // flushed (or given up on) within close_timeout
 * ```
 *
 * @module
 */
import { describeError } from "../../core/errors.ts";
import type { Logger, Metrics } from "../../core/roles.ts";
import { carbonLine } from "./line.ts";
import { LineQueue } from "./queue.ts";

/** Path (below the prefix) of the client's own counter of lines it had to drop. */
export const DROPPED_METRIC = "carbon.dropped_metrics";

/** Settings of a client; every duration in milliseconds. */
export interface CarbonClientSettings {
  /** Carbon host name or address. */
  host: string;
  /** Plaintext line receiver port. */
  port: number;
  /** Prepended to every path with a dot (`<prefix>.<path>`). */
  prefix: string;
  /** Lines per TCP write. Default 500. */
  batchSize?: number;
  /** Lines held while Carbon is unreachable; beyond it the oldest are dropped. Default 10000. */
  queueSize?: number;
  /** Queued lines are written at least this often. Default 1000. */
  flushIntervalMs?: number;
  /** Timeout of a connect and of one write. Default 2000 (the Python client's socket timeout). */
  timeoutMs?: number;
  /** First reconnect delay after a failure; doubles per failure. Default 250. */
  reconnectMinMs?: number;
  /** Upper bound of the reconnect delay. Default 30000. */
  reconnectMaxMs?: number;
  /** Longest time `flush()`/`close()` wait for queued lines to be written. Default 2000. */
  closeTimeoutMs?: number;
  /** Where connection problems are reported (once per outage, not once per metric). */
  logger?: Logger;
  /** Clock in ms since epoch (tests). */
  now?: () => number;
}

/** Counters of a client, for the status server and tests. */
export interface CarbonStats {
  /** Lines waiting to be written. */
  queued: number;
  /** Lines written to a Carbon connection. */
  sent: number;
  /** Lines dropped: queue overflow, or still queued when `close()` gave up. */
  dropped: number;
  /** Whether a connection is open now. */
  connected: boolean;
  /** Successful connects (the first one included). */
  connects: number;
}

const encoder = new TextEncoder();

/** Graphite plaintext client; implements the `Metrics` role. */
export class CarbonClient implements Metrics {
  /** Carbon host. */
  readonly host: string;
  /** Plaintext receiver port. */
  readonly port: number;
  /** Prepended to every path. */
  readonly prefix: string;
  readonly #batchSize: number;
  readonly #flushIntervalMs: number;
  readonly #timeoutMs: number;
  readonly #reconnectMinMs: number;
  readonly #reconnectMaxMs: number;
  readonly #closeTimeoutMs: number;
  readonly #logger?: Logger;
  readonly #now: () => number;
  readonly #queue: LineQueue;
  /** Aborted by close(): cancels a pending connect and closes the open connection. */
  readonly #lifetime = new AbortController();
  #conn: Deno.TcpConn | null = null;
  #watching: Promise<void> | null = null;
  #draining: Promise<boolean> | null = null;
  #closing: Promise<void> | null = null;
  #closed = false;
  #timer: ReturnType<typeof setInterval>;
  #retryAt = 0;
  #failures = 0;
  #sent = 0;
  #dropped = 0;
  #reportedDropped = 0;
  #connects = 0;
  #overflowWarned = false;

  /** Start the flush timer; no connection is made until there is something to send. */
  constructor(settings: CarbonClientSettings) {
    this.host = settings.host;
    this.port = settings.port;
    this.prefix = settings.prefix;
    this.#batchSize = Math.max(1, Math.floor(settings.batchSize ?? 500));
    this.#queue = new LineQueue(settings.queueSize ?? 10000);
    this.#flushIntervalMs = Math.max(10, settings.flushIntervalMs ?? 1000);
    this.#timeoutMs = Math.max(1, settings.timeoutMs ?? 2000);
    this.#reconnectMinMs = Math.max(1, settings.reconnectMinMs ?? 250);
    this.#reconnectMaxMs = Math.max(this.#reconnectMinMs, settings.reconnectMaxMs ?? 30000);
    this.#closeTimeoutMs = Math.max(0, settings.closeTimeoutMs ?? 2000);
    this.#logger = settings.logger;
    this.#now = settings.now ?? Date.now;
    this.#timer = setInterval(() => void this.#kick(false), this.#flushIntervalMs);
    // The flush timer must not keep a finished archiver alive: close() flushes what is left.
    Deno.unrefTimer(this.#timer);
  }

  /** Queue one value; `timestamp` in seconds (default now). Never blocks, never throws. */
  send(path: string, value: number, timestamp?: number): void {
    try {
      if (this.#closed) {
        this.#dropped++;
        return;
      }
      const line = carbonLine(this.prefix, path, value, timestamp ?? this.#now() / 1000);
      if (line === null) {
        this.#logger?.debug(`Metric '${path}' not sent to Carbon: value ${value} is not a finite number`);
        return;
      }
      const dropped = this.#queue.push(line);
      if (dropped > 0) this.#countDropped(dropped);
      // During an outage the flush timer retries on its own; kicking per send would only churn promises.
      if (this.#queue.length >= this.#batchSize && this.#now() >= this.#retryAt) void this.#kick(false);
    } catch (error) {
      // A metric must never take the pipeline down; an internal bug here is logged, not thrown.
      this.#logger?.debug(`Metric '${path}' not queued: ${describeError(error)}`);
    }
  }

  /** Write everything queued now (ignoring the reconnect backoff once), waiting at most `close_timeout`. */
  async flush(): Promise<void> {
    if (this.#closed) return;
    await this.#flushWithin(this.#closeTimeoutMs);
  }

  /** Flush within the bounded time, then close the connection; later `send()`s are dropped. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  /** Counters for the status server and tests. */
  stats(): CarbonStats {
    return {
      queued: this.#queue.length,
      sent: this.#sent,
      dropped: this.#dropped,
      connected: this.#conn !== null,
      connects: this.#connects,
    };
  }

  async #shutdown(): Promise<void> {
    clearInterval(this.#timer);
    await this.#flushWithin(this.#closeTimeoutMs);
    this.#closed = true;
    const lost = this.#queue.clear();
    if (lost > 0) {
      this.#dropped += lost;
      this.#logger?.warn(`${lost} metrics could not be delivered to Carbon at ${this.#address()} before shutdown`);
    }
    this.#lifetime.abort();
    if (this.#conn) this.#disconnect(this.#conn);
    await this.#draining;
    await this.#watching;
  }

  async #flushWithin(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => timer = setTimeout(resolve, ms));
    const work = (async () => {
      await this.#draining;
      // Two tries: a write into a connection Carbon has just dropped fails once before the reconnect.
      for (let attempt = 0; attempt < 2 && this.#queue.length > 0 && !this.#closed; attempt++) {
        if (await this.#kick(true)) break;
      }
    })();
    try {
      await Promise.race([work, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Start a drain unless one is running; resolves true when the queue was emptied. */
  #kick(ignoreBackoff: boolean): Promise<boolean> {
    this.#draining ??= this.#drain(ignoreBackoff)
      .catch((error) => {
        this.#logger?.debug(`Carbon drain failed: ${describeError(error)}`);
        return false;
      })
      .finally(() => this.#draining = null);
    return this.#draining;
  }

  async #drain(ignoreBackoff: boolean): Promise<boolean> {
    while (this.#queue.length > 0) {
      const conn = await this.#connection(ignoreBackoff);
      if (!conn) return false;
      this.#reportDrops();
      const batch = this.#queue.take(this.#batchSize);
      try {
        await this.#write(conn, encoder.encode(batch.join("")));
        this.#sent += batch.length;
      } catch (error) {
        // Resending is safe: Carbon stores one value per path and second, so a duplicate line overwrites itself.
        const dropped = this.#queue.requeueFront(batch);
        if (dropped > 0) this.#countDropped(dropped);
        this.#logger?.warn(`Carbon connection to ${this.#address()} failed while writing: ${describeError(error)}`);
        this.#disconnect(conn);
        return false;
      }
    }
    if (this.#queue.length === 0) this.#overflowWarned = false;
    return true;
  }

  async #connection(ignoreBackoff: boolean): Promise<Deno.TcpConn | null> {
    if (this.#conn) return this.#conn;
    if (this.#lifetime.signal.aborted) return null;
    if (!ignoreBackoff && this.#now() < this.#retryAt) return null;
    const attempt = new AbortController();
    const timer = setTimeout(
      () => attempt.abort(new Error(`connect timed out after ${this.#timeoutMs} ms`)),
      this.#timeoutMs,
    );
    try {
      const conn = await Deno.connect({
        hostname: this.host,
        port: this.port,
        signal: AbortSignal.any([this.#lifetime.signal, attempt.signal]),
      });
      this.#conn = conn;
      this.#connects++;
      if (this.#failures > 0) this.#logger?.info(`Reconnected to Carbon at ${this.#address()}`);
      this.#failures = 0;
      this.#retryAt = 0;
      this.#watching = this.#watch(conn);
      return conn;
    } catch (error) {
      this.#failures++;
      const delay = Math.min(this.#reconnectMaxMs, this.#reconnectMinMs * 2 ** Math.min(30, this.#failures - 1));
      this.#retryAt = this.#now() + delay;
      const reason = attempt.signal.aborted ? describeError(attempt.signal.reason) : describeError(error);
      const message = `Could not connect to Carbon at ${this.#address()}: ${reason}; ` +
        `${this.#queue.length} metrics queued, retrying in ${(delay / 1000).toFixed(2)} s`;
      // One warning per outage; the rest at debug level, so a dead Carbon cannot flood the log.
      if (this.#failures === 1) this.#logger?.warn(message);
      else this.#logger?.debug(message);
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Carbon never writes on the line receiver: EOF or an error on read means the connection is gone. */
  async #watch(conn: Deno.TcpConn): Promise<void> {
    const buffer = new Uint8Array(256);
    try {
      while ((await conn.read(buffer)) !== null) { /* ignore anything Carbon might send */ }
    } catch { /* closed locally or reset by the peer */ }
    if (this.#conn === conn) {
      this.#logger?.info(`Carbon at ${this.#address()} closed the connection; reconnecting`);
      this.#disconnect(conn);
    }
  }

  async #write(conn: Deno.TcpConn, bytes: Uint8Array): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const writing = (async () => {
      let offset = 0;
      while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
    })();
    writing.catch(() => {}); // after a timeout the connection is closed and this rejects; already handled
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`write timed out after ${this.#timeoutMs} ms`)), this.#timeoutMs);
    });
    try {
      await Promise.race([writing, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  #disconnect(conn: Deno.TcpConn): void {
    if (this.#conn === conn) this.#conn = null;
    try {
      conn.close();
    } catch { /* already closed (by the abort signal or the peer) */ }
  }

  #countDropped(count: number): void {
    this.#dropped += count;
    if (!this.#overflowWarned) {
      this.#overflowWarned = true;
      this.#logger?.warn(
        `Carbon queue full (${this.#queue.capacity} lines, ${this.#address()} unreachable): dropping the oldest ` +
          `metrics; the count is posted as ${DROPPED_METRIC}`,
      );
    }
  }

  /** Queue the cumulative drop counter when it changed; bypasses the bound (one line per drain). */
  #reportDrops(): void {
    if (this.#dropped === this.#reportedDropped) return;
    this.#reportedDropped = this.#dropped;
    const line = carbonLine(this.prefix, DROPPED_METRIC, this.#dropped, this.#now() / 1000);
    if (line) this.#queue.pushUnbounded(line);
  }

  #address(): string {
    return `${this.host}:${this.port}`;
  }
}
