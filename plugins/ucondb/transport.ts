/**
 * The HTTP layer under the UconDB client: one request, whole body in, whole body out (or, for a large listing,
 * streamed to a consumer), with a deadline. Request bodies are always `Uint8Array`, so a `Content-Length` is always
 * sent (a chunked body makes the real server store an empty blob).
 *
 * TLS verification is on by default (`fetch`, optionally trusting an extra CA file). Deno's `fetch` cannot skip
 * verification per client, so the explicit insecure mode goes through `node:https` with `rejectUnauthorized:
 * false`; nothing else uses that path.
 *
 * @module
 */
import https from "node:https";
import http from "node:http";

/** One request. `timeoutMs` bounds the whole exchange, body included. */
export interface HttpRequest {
  /** HTTP method. */
  method: string;
  /** Absolute URL. */
  url: string;
  /** Request headers. */
  headers?: Record<string, string>;
  /** Whole body (sent with Content-Length). */
  body?: Uint8Array;
  /** Deadline of the whole exchange, ms. */
  timeoutMs: number;
  /**
   * Where a successful (2xx) answer's body goes, piece by piece as it arrives, instead of into `body` (which is
   * then empty): a large listing is read without holding it. Other answers are collected as usual. An exception
   * it throws ends the exchange with that exception.
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
  return tls.insecureSkipVerify ? new NodeTransport(tls.caPem) : new FetchTransport(tls.caPem);
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
        body: request.body as BodyInit | undefined,
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
  #agent: https.Agent;
  #plainAgent = new http.Agent({ keepAlive: true });

  constructor(caPem?: string) {
    this.#agent = new https.Agent({ keepAlive: true, rejectUnauthorized: false, ca: caPem });
  }

  send(request: HttpRequest): Promise<HttpResponse> {
    const url = new URL(request.url);
    const secure = url.protocol === "https:";
    const headers: Record<string, string> = { ...request.headers };
    if (request.body) headers["content-length"] = String(request.body.length);
    return new Promise((resolve, reject) => {
      const call = (secure ? https : http).request(url, {
        method: request.method,
        headers,
        agent: secure ? this.#agent : this.#plainAgent,
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
          resolve({ status, headers: answerHeaders, body: joinChunks(chunks) });
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
      call.end(request.body);
    });
  }

  close(): void {
    this.#agent.destroy();
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

function joinChunks(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** The innermost cause of a fetch/socket failure, one line. */
function networkMessage(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  const text = current instanceof Error ? current.message : String(current);
  return text.split("\n")[0];
}
