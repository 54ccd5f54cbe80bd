/**
 * Shared pieces of the UconDB tests: the peer under test (the embedded server, or a real UconDB when
 * UCONDB_TEST_URL/FOLDER/USER/PASSWORD are set), a plugin context, and small faulty peers.
 *
 * @module
 */
import type { Logger } from "../../core/roles.ts";
import { noopMetrics } from "../../core/measure.ts";
import { RecordingLogger } from "../_helpers/recorders.ts";
import type { PluginContext } from "../../core/registry.ts";
import { type ClientOptions, UconDBClient } from "../../plugins/ucondb/client.ts";
import { startUconDBServer } from "../../plugins/ucondb/server.ts";

/** A plugin context rooted at `dir`. */
export function testContext(dir: string, logger: Logger = new RecordingLogger()): PluginContext {
  return { logger, metrics: noopMetrics(), workDir: dir, configDir: dir };
}

/** Where the client suite runs: URL, folder, writer credentials, and an object name of its own. */
export interface Peer {
  url: string;
  folder: string;
  user: string;
  password: string;
  /** A fresh object name per call, so tests never see each other's (or run records') versions. */
  object(): string;
  real: boolean;
  client(overrides?: Partial<ClientOptions>): UconDBClient;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * The peer for the client suite: a real UconDB when UCONDB_TEST_URL, UCONDB_TEST_FOLDER, UCONDB_TEST_USER and
 * UCONDB_TEST_PASSWORD are all set (objects named `archiver-test-<time>-<n>`), else the embedded server in a temp dir.
 */
export async function peer(): Promise<Peer> {
  const env = (name: string) => Deno.env.get(name) ?? "";
  const stamp = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  let counter = 0;
  const object = () => `archiver-test-${stamp}-${++counter}`;
  const make = (
    url: string,
    folder: string,
    user: string,
    password: string,
    real: boolean,
    stop: () => Promise<void>,
  ) => {
    const clients: UconDBClient[] = [];
    return {
      url,
      folder,
      user,
      password,
      object,
      real,
      client(overrides: Partial<ClientOptions> = {}) {
        const client = new UconDBClient({
          serverUrl: url,
          folder,
          user,
          password,
          timeoutSeconds: 10,
          retries: 1,
          retryBaseMs: 20,
          ...overrides,
        });
        clients.push(client);
        return client;
      },
      async [Symbol.asyncDispose]() {
        for (const client of clients) client.close();
        await stop();
      },
    };
  };
  if (env("UCONDB_TEST_URL") && env("UCONDB_TEST_FOLDER") && env("UCONDB_TEST_USER") && env("UCONDB_TEST_PASSWORD")) {
    return make(
      env("UCONDB_TEST_URL"),
      env("UCONDB_TEST_FOLDER"),
      env("UCONDB_TEST_USER"),
      env("UCONDB_TEST_PASSWORD"),
      true,
      () => Promise.resolve(),
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "ucondb-peer-" });
  const password = `pw-${crypto.randomUUID()}`;
  const server = await startUconDBServer({
    dir,
    users: { writer: password },
    folders: ["run_records"],
    durable: false,
  });
  return make(server.url, "run_records", "writer", password, false, async () => {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  });
}

/** A local HTTP server answering with `handler`; counts requests. */
export function fakeServer(
  handler: (request: Request, count: number) => Response | Promise<Response>,
): { url: string; requests: () => number } & AsyncDisposable {
  let count = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => handler(request, ++count));
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests: () => count,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

/**
 * A TCP peer that accepts connections and resets them: reads the request, then closes without answering. The
 * first `resets` connections are reset; later ones get `answer` (a raw HTTP response) when given.
 */
export function resettingServer(
  resets: number,
  answer?: string,
): { url: string; connections: () => number } & AsyncDisposable {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let connections = 0;
  const open = new Set<Deno.Conn>();
  const loop = (async () => {
    for await (const conn of listener) {
      connections++;
      open.add(conn);
      const serve = async () => {
        const buffer = new Uint8Array(65536);
        try {
          await conn.read(buffer);
          if (connections > resets && answer) {
            await conn.write(new TextEncoder().encode(answer));
          }
        } catch { /* the client went away */ }
        try {
          conn.close();
        } catch { /* already closed */ }
        open.delete(conn);
      };
      serve();
    }
  })();
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    connections: () => connections,
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const conn of open) {
        try {
          conn.close();
        } catch { /* closed */ }
      }
      await loop.catch(() => {});
    },
  };
}
