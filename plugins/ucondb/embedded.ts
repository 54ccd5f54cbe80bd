/**
 * `ucon_db.server_url: embedded:<dir>` shared between processes. One process at a time holds the directory (its
 * lock) and serves it over loopback HTTP, publishing the address in `<dir>/server.json`; every other process that
 * opens `embedded:<dir>` — the status server, `--report-status`, `compare`, an archiver started while the status
 * server holds it — attaches to that address as an ordinary HTTP client. So readers work beside a running archiver
 * and always see its latest puts (all of them go through the one holder).
 *
 * Resolution (at open, and again whenever the attached server stops answering):
 * 1. take the lock → this process holds the directory and serves it;
 * 2. else read `server.json`: a live PID whose server answers `GET /version` → attach to it;
 * 3. else (holder starting up and not listening yet, holder closing, a stale file left by a crashed holder with a
 *    dead PID) wait a little and go back to 1, until `waitMs` runs out: then a `TransientError` that says which
 *    process holds the directory, so the caller retries later.
 *
 * When the holder exits, an attached process's next request is refused; the transport re-resolves — the first
 * process to take the lock serves from then on, the others attach to it — and sends the request again once.
 * With `lenient`, a directory whose holder does not answer at open is not an error yet: the endpoint starts
 * unresolved and each request tries again (a `TransientError` after `waitMs` while the holder still does not answer).
 *
 * @example
 * ```ts
 * import { openEmbedded } from "./embedded.ts";
 * const endpoint = await openEmbedded({ dir: "/var/lib/archiver/ucondb", folders: ["run_records"], waitMs: 10_000 });
 * console.log(endpoint.url, endpoint.holding ? "serving" : "attached");
 * await endpoint.close();
 * ```
 *
 * @module
 */
import { describeError, TransientError } from "../../core/errors.ts";
import type { Logger } from "../../core/roles.ts";
import { type RunningServer, type ServerOptions, startUconDBServer } from "./server.ts";
import { DirectoryLockedError } from "./storage.ts";
import { readPublished } from "./published.ts";
import { processExists } from "../../core/process.ts";
import { type HttpRequest, type HttpResponse, NetworkError, type Transport } from "./transport.ts";

/** Settings of an embedded directory opened by a sink. */
export interface EmbeddedOptions extends Pick<ServerOptions, "dir" | "users" | "folders" | "durable"> {
  /** How long one resolution may wait for a holder that is starting or closing, ms. */
  waitMs: number;
  /** Where taking over and attaching are reported (info). */
  logger?: Logger;
  /** When no holder answers at open, start unresolved instead of throwing (each request resolves again). */
  lenient?: boolean;
}

/** An embedded directory as this process uses it: served here, or attached to the holder's server. */
export interface EmbeddedEndpoint {
  /** Base URL requests go to right now; null while unresolved (a lenient open found no answering holder). */
  readonly url: string | null;
  /** True when this process holds the directory (serves it). */
  readonly holding: boolean;
  /** Why a lenient open is unresolved (the open's `TransientError`); null once resolved. */
  readonly openError: TransientError | null;
  /**
   * After a request to `failedUrl` got no answer (or, with null, while unresolved): resolve again (take over, or
   * attach to the new holder) and return the URL to use. The same URL means the holder is still there (the failure
   * was something else). Concurrent calls share one resolution. Throws `TransientError` when no holder answers
   * within `waitMs`.
   */
  reresolve(failedUrl: string | null): Promise<string>;
  /** Stop serving (when holding) or detach; idempotent. */
  close(): Promise<void>;
}

const PROBE_MS = 1000;
const FIRST_WAIT_MS = 25;
const LONGEST_WAIT_MS = 500;

/**
 * Open `options.dir`: serve it when its lock is free, else attach to the process that serves it. Throws
 * `TransientError` when it is locked and no server of it answers within `waitMs` (unless `lenient`).
 */
export async function openEmbedded(options: EmbeddedOptions): Promise<EmbeddedEndpoint> {
  let current: Resolved | null = null;
  let openError: TransientError | null = null;
  try {
    current = await resolve(options, null);
  } catch (error) {
    if (!options.lenient || !(error instanceof TransientError)) throw error;
    openError = error;
  }
  let resolving: Promise<string> | null = null;
  let closed = false;
  return {
    get url() {
      return current?.url ?? null;
    },
    get holding() {
      return current?.server !== undefined;
    },
    get openError() {
      return current ? null : openError;
    },
    reresolve(failedUrl: string | null): Promise<string> {
      if (closed) return Promise.reject(new TransientError(`embedded UconDB ${options.dir} is closed`));
      if (current && failedUrl !== current.url) return Promise.resolve(current.url);
      resolving ??= resolve(options, current).then((next) => {
        current = next;
        return next.url;
      }).finally(() => (resolving = null));
      return resolving;
    },
    async close() {
      if (closed) return;
      closed = true;
      await resolving?.catch(() => {});
      await current?.server?.close();
    },
  };
}

interface Resolved {
  url: string;
  /** Set when this process holds the directory. */
  server?: RunningServer;
}

/** One resolution (see the module doc), bounded by `waitMs`. `previous` is the endpoint that stopped answering. */
async function resolve(options: EmbeddedOptions, previous: Resolved | null): Promise<Resolved> {
  const deadline = Date.now() + options.waitMs;
  let lastSeen = "no server.json yet";
  for (let wait = FIRST_WAIT_MS;; wait = Math.min(2 * wait, LONGEST_WAIT_MS)) {
    try {
      const server = await startUconDBServer({
        dir: options.dir,
        users: options.users,
        folders: options.folders,
        durable: options.durable,
        logger: options.logger,
      });
      options.logger?.info(
        previous
          ? `took over embedded UconDB ${options.dir} (its server at ${previous.url} stopped); listening on ${server.url}`
          : `embedded UconDB-compatible server for ${options.dir} listening on ${server.url}`,
      );
      return { url: server.url, server };
    } catch (error) {
      if (!(error instanceof DirectoryLockedError)) throw error;
    }
    const published = await readPublished(options.dir);
    // Without /proc (unknown), the probe of the published URL decides.
    if (published && await processExists(published.pid) !== false) {
      const problem = await probe(published.url, Math.max(1, Math.min(PROBE_MS, deadline - Date.now())));
      if (problem === null) {
        if (published.url !== previous?.url) {
          options.logger?.info(
            `embedded UconDB ${options.dir} is served by process ${published.pid}; attached to ${published.url}`,
          );
        }
        return { url: published.url };
      }
      lastSeen = `process ${published.pid} published ${published.url}, which does not answer (${problem})`;
    } else if (published) {
      lastSeen = `server.json names process ${published.pid}, which has exited (stale file)`;
    }
    if (Date.now() + wait > deadline) {
      throw new TransientError(
        `embedded UconDB ${options.dir} is locked by another process, but no server of it answered within ` +
          `${options.waitMs / 1000} s (${lastSeen}); retry shortly, or stop the process that holds ${options.dir}`,
      );
    }
    await new Promise((done) => setTimeout(done, wait));
  }
}

/** Null when `url` answers `GET /version` with 200 within `timeoutMs`, else the reason. */
async function probe(url: string, timeoutMs: number): Promise<string | null> {
  try {
    const response = await fetch(`${url}/version`, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.ok ? null : `HTTP ${response.status}`;
  } catch (error) {
    return describeError(error).split("\n")[0];
  }
}

/** The base URL the embedded client builds its requests on; the transport puts the holder's URL in its place. */
export const EMBEDDED_BASE_URL = "http://embedded.invalid";

/**
 * A transport that sends every request to the endpoint's current URL (requests are built on `EMBEDDED_BASE_URL`)
 * and, when the attached server refuses or drops a connection, re-resolves the endpoint and sends once more to the
 * new holder. A timeout is not re-resolved: a slow holder is still the holder. A failed resolution is the
 * `TransientError` itself, not a network error: it already waited `waitMs`, so the client does not retry it.
 */
export class EmbeddedTransport implements Transport {
  readonly #inner: Transport;
  readonly #endpoint: EmbeddedEndpoint;

  /** Requests built on `EMBEDDED_BASE_URL` go to `endpoint.url` through `inner`. */
  constructor(inner: Transport, endpoint: EmbeddedEndpoint) {
    this.#inner = inner;
    this.#endpoint = endpoint;
  }

  /** Send to the current holder; on a refused or dropped connection re-resolve and send again once. */
  async send(request: HttpRequest): Promise<HttpResponse> {
    const url = this.#endpoint.url ?? await this.#endpoint.reresolve(null);
    try {
      return await this.#inner.send(rebase(request, url));
    } catch (error) {
      if (!(error instanceof NetworkError) || error.timedOut) throw error;
      const next = await this.#endpoint.reresolve(url);
      if (next === url) throw error;
      return await this.#inner.send(rebase(request, next));
    }
  }

  /** Release the inner transport's connections. */
  close(): void {
    this.#inner.close();
  }
}

function rebase(request: HttpRequest, url: string): HttpRequest {
  if (!request.url.startsWith(EMBEDDED_BASE_URL)) return request;
  return { ...request, url: url + request.url.slice(EMBEDDED_BASE_URL.length) };
}
