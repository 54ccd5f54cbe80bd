/**
 * The HTTP layer under the UconDB client: one request, whole body in, whole body out (or, for a large listing,
 * streamed to a consumer), with a deadline. A request body is bytes of known length, whole or in parts (a blob as
 * packed: core/blob/packed.ts), so a `Content-Length` is always sent (a chunked body makes the real server store an
 * empty blob).
 *
 * - `https:` with TLS verification (the default): `fetch`, optionally trusting an extra CA file; a body in parts is
 *   joined first (Deno's `fetch` sends a streamed body chunked, whatever its headers say).
 * - `https:` with the explicit insecure mode: `node:https` with `rejectUnauthorized: false` (Deno's `fetch` cannot
 *   skip verification per client); nothing else uses that path.
 * - plain `http:` (the embedded server on loopback, a UconDB behind a local proxy) with a body of at least
 *   {@link PARTS_MIN_BYTES} in parts: `node:http`, which writes the parts one after another under one Content-Length:
 *   a 12 MB blob is never joined into one more buffer, and it is sent 2–3× faster than through `fetch`. Every other
 *   plain request goes through `fetch`, whose cost per request is lower (a 50 kB put and its checks: ~1 ms less;
 *   BENCHMARKS.md round 9).
 *
 * @module
 */
import https from "node:https";
import { concatBytes } from "../../core/blob/bytes.ts";
import http from "node:http";

/** One request. `timeoutMs` bounds the whole exchange, body included. */
export interface HttpRequest {
  /** HTTP method. */
  method: string;
  /** Absolute URL. */
  url: string;
  /** Request headers. */
  headers?: Record<string, string>;
  /** Whole body, or its parts in order (sent with one Content-Length). */
  body?: Uint8Array | readonly Uint8Array[];
  /** Deadline of the whole exchange, ms. */
  timeoutMs: number;
  /**
   * Where a successful (2xx) answer's body goes, piece by piece as it arrives, instead of into `body` (which is
   * then empty): a large listing is read without holding it. Each piece is the consumer's (the transport does not
   * touch it again). Other answers are collected as usual. An exception it throws ends the exchange with that
   * exception.
   */
  onBody?: (chunk: Uint8Array) => void;
}

/** A complete answer. */
export interface HttpResponse {
  /** HTTP status. */
  status: number;
  /** Response headers. */
  headers: Headers;
  /** Whole response body (empty when it went to `HttpRequest.onBody`). */
  body: Uint8Array;
}

/** Sends requests; `close` releases pooled connections. */
export interface Transport {
  /** Send one request; throws `NetworkError` when no complete answer arrives. */
  send(request: HttpRequest): Promise<HttpResponse>;
  /** Release pooled connections. */
  close(): void;
}

/** The request never got a complete answer (refused, reset, DNS, TLS, timeout): worth retrying. */
export class NetworkError extends Error {
  /** `timedOut` tells a deadline from other network failures. */
  constructor(message: string, readonly timedOut = false) {
    super(message);
    this.name = "NetworkError";
  }
}

/** TLS settings of a transport. */
export interface TlsOptions {
  /** PEM text of extra CA certificates to trust. */
  caPem?: string;
  /** Skip certificate verification (explicit opt-in only). */
  insecureSkipVerify?: boolean;
}

/**
 * The transport for the given TLS settings.
 *
 * @example
 * ```ts
 * const transport = createTransport({ caPem: await Deno.readTextFile("ca.pem") });
 * const answer = await transport.send({ method: "GET", url: "https://ucondb.example/app/version", timeoutMs: 5000 });
 * transport.close();
 * ```
 */
export function createTransport(tls: TlsOptions = {}): Transport {
  if (tls.insecureSkipVerify) return new NodeTransport({ caPem: tls.caPem });
  return new ByBody(new FetchTransport(tls.caPem), new NodeTransport(null));
}

/** Least size of a body in parts that goes through `node:http` on plain `http:` (see the module doc): 4 MiB. */
const PARTS_MIN_BYTES = 4 << 20;

/** Large bodies in parts on plain `http:` through `node:http`, every other request through `fetch` (module doc). */
class ByBody implements Transport {
  constructor(readonly fetching: Transport, readonly streaming: Transport) {}

  send(request: HttpRequest): Promise<HttpResponse> {
    const body = request.body;
    const parts = body !== undefined && !(body instanceof Uint8Array) && body.length > 1 &&
      body.reduce((sum, part) => sum + part.length, 0) >= PARTS_MIN_BYTES;
    return (parts && request.url.startsWith("http:") ? this.streaming : this.fetching).send(request);
  }

  close(): void {
    this.fetching.close();
    this.streaming.close();
  }
}

/** The whole body of a request (parts joined). */
function wholeBody(body: HttpRequest["body"]): Uint8Array | undefined {
  if (body === undefined || body instanceof Uint8Array) return body;
  return body.length === 1 ? body[0] : concatBytes(body);
}

class FetchTransport implements Transport {
  #client?: Deno.HttpClient;

  constructor(caPem?: string) {
    if (caPem) this.#client = Deno.createHttpClient({ caCerts: [caPem] });
  }

  async send(request: HttpRequest): Promise<HttpResponse> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), request.timeoutMs);
    try {
      const response = await fetch(request.url, {
        method: request.method,
        headers: request.headers,
        body: wholeBody(request.body) as BodyInit | undefined,
        signal: controller.signal,
        client: this.#client,
        redirect: "manual",
      });
      if (request.onBody && response.ok && response.body) {
        for await (const chunk of response.body) deliver(request.onBody, chunk);
        return { status: response.status, headers: response.headers, body: new Uint8Array(0) };
      }
      const body = new Uint8Array(await response.arrayBuffer());
      return { status: response.status, headers: response.headers, body };
    } catch (error) {
      if (error instanceof ConsumerFailure) throw error.error;
      if (controller.signal.aborted) {
        throw new NetworkError(`no complete answer within ${request.timeoutMs / 1000} s`, true);
      }
      throw new NetworkError(networkMessage(error));
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.#client?.close();
  }
}

class NodeTransport implements Transport {
  /** For `https:`; only the insecure mode sends those here (see the module doc), so it skips verification. */
  #agent: https.Agent | null;
  #plainAgent = new http.Agent({ keepAlive: true });

  /** With `insecure`, `https:` requests skip certificate verification; without, only `http:` is accepted. */
  constructor(insecure: { caPem?: string } | null) {
    this.#agent = insecure ? new https.Agent({ keepAlive: true, rejectUnauthorized: false, ca: insecure.caPem }) : null;
  }

  send(request: HttpRequest): Promise<HttpResponse> {
    const url = new URL(request.url);
    const secure = url.protocol === "https:";
    if (secure && this.#agent === null) return Promise.reject(new TypeError(`not a plain http: URL: ${request.url}`));
    const headers: Record<string, string> = { ...request.headers };
    const parts = request.body === undefined ? [] : request.body instanceof Uint8Array ? [request.body] : request.body;
    if (request.body !== undefined) headers["content-length"] = String(parts.reduce((sum, p) => sum + p.length, 0));
    return new Promise((resolve, reject) => {
      const call = (secure ? https : http).request(url, {
        method: request.method,
        headers,
        agent: secure ? this.#agent! : this.#plainAgent,
      }, (response) => {
        const chunks: Uint8Array[] = [];
        const status = response.statusCode ?? 0;
        const onBody = request.onBody && status >= 200 && status < 300 ? request.onBody : undefined;
        response.on("data", (chunk: Uint8Array) => {
          if (!onBody) return void chunks.push(chunk);
          try {
            onBody(chunk);
          } catch (error) {
            clearTimeout(timer);
            call.destroy();
            reject(error);
          }
        });
        response.on("end", () => {
          clearTimeout(timer);
          const answerHeaders = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined) answerHeaders.set(name, Array.isArray(value) ? value.join(", ") : value);
          }
          resolve({ status, headers: answerHeaders, body: concatBytes(chunks) });
        });
        response.on("error", fail);
      });
      const timer = setTimeout(() => {
        call.destroy();
        reject(new NetworkError(`no complete answer within ${request.timeoutMs / 1000} s`, true));
      }, request.timeoutMs);
      function fail(error: Error) {
        clearTimeout(timer);
        reject(new NetworkError(networkMessage(error)));
      }
      call.on("error", fail);
      for (const part of parts) call.write(part);
      call.end();
    });
  }

  close(): void {
    this.#agent?.destroy();
    this.#plainAgent.destroy();
  }
}

/** An exception of `HttpRequest.onBody`: passed on as it is, never taken for a network failure. */
class ConsumerFailure {
  constructor(readonly error: unknown) {}
}

function deliver(onBody: (chunk: Uint8Array) => void, chunk: Uint8Array): void {
  try {
    onBody(chunk);
  } catch (error) {
    throw new ConsumerFailure(error);
  }
}

/** The innermost cause of a fetch/socket failure, one line. */
function networkMessage(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  const text = current instanceof Error ? current.message : String(current);
  return text.split("\n")[0];
}
