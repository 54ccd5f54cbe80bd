/**
 * A fault-injecting HTTP/1.1 proxy for reliability tests: it sits between a client (the archiver's UconDB client)
 * and a real upstream (the embedded UconDB-compatible server) and, on a chosen share of requests, answers 5xx,
 * hangs past the client's timeout, or resets the connection — either before the request reaches the upstream or
 * after (the nasty case: the put landed, the client never hears so and tries again).
 *
 * Every answer carries `Connection: close`, so one TCP connection = one request and a fault never leaks into the
 * next request.
 *
 * @example
 * ```ts
 * const proxy = await startFaultyProxy("http://127.0.0.1:8080", { rate: 0.3, seed: 7 });
 * // point the client at proxy.url ...
 * console.log(proxy.stats); // { requests, forwarded, faults: { "5xx": n, hang: n, reset: n }, ... }
 * await proxy.close();
 * ```
 *
 * @module
 */
import { seededRandom } from "../../core/random.ts";

/** The kinds of fault the proxy injects. */
export type FaultKind = "5xx" | "hang" | "reset";

/** What to inject. */
export interface FaultPlan {
  /** Share of requests that get a fault, 0..1. Can be changed later with `setRate`. */
  rate: number;
  /** Kinds to choose from (uniformly). Default: all three. */
  kinds?: FaultKind[];
  /** Seed of the deterministic random generator (default 1), so a failing run can be replayed. */
  seed?: number;
  /** How long a hung connection is held before the proxy closes it, ms (default 5000; > the client's timeout). */
  hangMs?: number;
}

/** Counters of what the proxy did. */
export interface ProxyStats {
  /** Requests received (complete request heads). */
  requests: number;
  /** Requests passed to the upstream (including those whose answer was then replaced by a fault). */
  forwarded: number;
  /** Faults injected, by kind. */
  faults: Record<FaultKind, number>;
  /** Faults injected after the upstream had already handled the request. */
  afterUpstream: number;
}

/** A running proxy. */
export interface FaultyProxy {
  /** Base URL to give the client, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** What happened so far. */
  stats: ProxyStats;
  /** Change the fault rate (0 = a transparent proxy). */
  setRate(rate: number): void;
  /** Stop listening and drop open connections. */
  close(): Promise<void>;
}

/** Start a proxy on 127.0.0.1 (a free port) in front of `upstream` (a base URL without a trailing slash). */
export function startFaultyProxy(upstream: string, plan: FaultPlan): Promise<FaultyProxy> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const kinds = plan.kinds ?? ["5xx", "hang", "reset"];
  const hangMs = plan.hangMs ?? 5000;
  // Seeded: the same seed gives the same fault sequence.
  const random = seededRandom(plan.seed ?? 1);
  const stats: ProxyStats = { requests: 0, forwarded: 0, faults: { "5xx": 0, hang: 0, reset: 0 }, afterUpstream: 0 };
  let rate = plan.rate;
  const open = new Set<Deno.Conn>();
  const timers = new Set<ReturnType<typeof setTimeout>>();

  const handle = async (conn: Deno.Conn) => {
    open.add(conn);
    try {
      const fault = random() < rate ? kinds[Math.floor(random() * kinds.length)] : null;
      const afterUpstream = fault !== null && random() < 0.5;
      if (fault === "reset" && !afterUpstream) {
        // Close while request bytes are still unread: the kernel answers with a TCP RST.
        await conn.read(new Uint8Array(16));
        stats.requests++;
        stats.faults.reset++;
        return;
      }
      const request = await readRequest(conn);
      if (!request) return;
      stats.requests++;
      let answer: Uint8Array | null = null;
      if (fault === null || afterUpstream) {
        stats.forwarded++;
        answer = await forward(upstream, request);
      }
      if (fault === null) {
        await writeAll(conn, answer!);
        return;
      }
      stats.faults[fault]++;
      if (afterUpstream) stats.afterUpstream++;
      if (fault === "5xx") {
        const body = "<html><body><h1>503 Service Unavailable</h1></body></html>";
        await writeAll(conn, httpResponse(503, "Service Unavailable", { "content-type": "text/html" }, body));
      } else if (fault === "hang") {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            timers.delete(timer);
            resolve();
          }, hangMs);
          timers.add(timer);
        });
      }
      // "reset" after the upstream: close without any answer.
    } catch {
      // The client went away (its timeout, our own reset): nothing to do.
    } finally {
      open.delete(conn);
      try {
        conn.close();
      } catch { /* already closed */ }
    }
  };

  const accepting = (async () => {
    for await (const conn of listener) handle(conn);
  })().catch(() => {});

  const { port } = listener.addr as Deno.NetAddr;
  return Promise.resolve({
    url: `http://127.0.0.1:${port}`,
    stats,
    setRate: (value: number) => void (rate = value),
    close: async () => {
      listener.close();
      for (const timer of timers) clearTimeout(timer);
      for (const conn of open) {
        try {
          conn.close();
        } catch { /* closed meanwhile */ }
      }
      await accepting;
    },
  });
}

interface RawRequest {
  method: string;
  target: string;
  headers: [string, string][];
  body: Uint8Array<ArrayBuffer>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "host", "te"]);

/** One HTTP/1.1 request (head + Content-Length body); null when the client closed first. */
async function readRequest(conn: Deno.Conn): Promise<RawRequest | null> {
  let buffer: Uint8Array<ArrayBuffer> = new Uint8Array(0);
  const chunk = new Uint8Array(64 * 1024);
  let headEnd = -1;
  while (headEnd < 0) {
    const n = await conn.read(chunk);
    if (n === null) return null;
    buffer = concat(buffer, chunk.subarray(0, n));
    headEnd = indexOfCrlfCrlf(buffer);
  }
  const [requestLine, ...lines] = decoder.decode(buffer.subarray(0, headEnd)).split("\r\n");
  const [method, target] = requestLine.split(" ");
  const headers = lines.map((line) => {
    const colon = line.indexOf(":");
    return [line.slice(0, colon).trim(), line.slice(colon + 1).trim()] as [string, string];
  });
  const length = Number(headers.find(([name]) => name.toLowerCase() === "content-length")?.[1] ?? 0);
  let body = buffer.subarray(headEnd + 4);
  while (body.length < length) {
    const n = await conn.read(chunk);
    if (n === null) return null;
    body = concat(body, chunk.subarray(0, n));
  }
  return { method, target, headers, body: body.subarray(0, length) };
}

/** Pass the request to the upstream and return its answer as raw HTTP/1.1 bytes. */
async function forward(upstream: string, request: RawRequest): Promise<Uint8Array> {
  const headers = new Headers();
  for (const [name, value] of request.headers) if (!HOP_BY_HOP.has(name.toLowerCase())) headers.append(name, value);
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  const response = await fetch(upstream + request.target, {
    method: request.method,
    headers,
    body: hasBody ? request.body : undefined,
    redirect: "manual",
  });
  const body = new Uint8Array(await response.arrayBuffer());
  const out: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name)) out[name] = value;
  });
  return httpResponse(response.status, response.statusText || "OK", out, body);
}

function httpResponse(
  status: number,
  reason: string,
  headers: Record<string, string>,
  body: string | Uint8Array,
): Uint8Array {
  const bytes = typeof body === "string" ? encoder.encode(body) : body;
  const head = [`HTTP/1.1 ${status} ${reason}`];
  for (const [name, value] of Object.entries(headers)) head.push(`${name}: ${value}`);
  head.push(`content-length: ${bytes.length}`, "connection: close", "", "");
  return concat(encoder.encode(head.join("\r\n")), bytes);
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function indexOfCrlfCrlf(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) return i;
  }
  return -1;
}
