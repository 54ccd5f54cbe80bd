/**
 * Small shared helpers of the §17 parity tests (original-archiver.md §17): editing a site's configuration and
 * capturing what the archiver sends to peers (Carbon plaintext lines, UconDB HTTP requests) when it
 * runs as a real CLI subprocess; SMTP mails are caught by tests/_helpers/smtp.ts. Sites themselves come from
 * tests/pipeline/_e2e.ts.
 *
 * @module
 */
import type { Site } from "../pipeline/_e2e.ts";

/** Replace lines of a site's config.yaml (each pattern must match, so a typo cannot make a test vacuous). */
export async function editConfig(site: Site, ...edits: [RegExp, string][]): Promise<void> {
  let text = await Deno.readTextFile(site.config);
  for (const [pattern, replacement] of edits) {
    if (!pattern.test(text)) throw new Error(`editConfig: ${pattern} matches nothing in ${site.config}`);
    text = text.replace(pattern, replacement);
  }
  await Deno.writeTextFile(site.config, text);
}

/** A TCP listener that keeps everything it receives (a Carbon plaintext receiver). */
export interface TcpCapture extends AsyncDisposable {
  port: number;
  /** Everything received so far, all connections concatenated. */
  text(): string;
}

/** Start a TCP capture on a free loopback port. */
export function captureTcp(): TcpCapture {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const decoder = new TextDecoder();
  let received = "";
  const connections: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      connections.push(
        (async () => {
          for await (const chunk of conn.readable) received += decoder.decode(chunk, { stream: true });
        })().catch(() => {}),
      );
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    text: () => received,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      await Promise.all(connections);
    },
  };
}

/** One request seen by the recording proxy. */
export interface SeenRequest {
  method: string;
  /** Path and query as sent, e.g. `/app/data/f/o?full_meta=yes&tag=100&key=100&override=no`. */
  url: string;
  /** The scheme word of the Authorization header (`Digest`), or "" when absent. */
  auth: string;
  status: number;
}

/** An HTTP proxy in front of a real upstream (the embedded UconDB server) that records every request. */
export interface RecordingProxy extends AsyncDisposable {
  /** Base URL to configure as `ucon_db.server_url` (the upstream's path kept). */
  url: string;
  requests: SeenRequest[];
}

/** Start a recording proxy forwarding to `upstream` (a base URL such as `http://127.0.0.1:8080/app`). */
export function recordingProxy(upstream: string): RecordingProxy {
  const target = new URL(upstream);
  const requests: SeenRequest[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const url = new URL(request.url);
    const forwarded = new URL(url.pathname + url.search, target.origin);
    const headers = new Headers(request.headers);
    headers.delete("host");
    const answer = await fetch(forwarded, {
      method: request.method,
      headers,
      body: request.body ? await request.arrayBuffer() : undefined,
    });
    const body = await answer.arrayBuffer();
    requests.push({
      method: request.method,
      url: url.pathname + url.search,
      auth: (request.headers.get("authorization") ?? "").split(" ")[0],
      status: answer.status,
    });
    return new Response(body, { status: answer.status, headers: answer.headers });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}${target.pathname}`,
    requests,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}
