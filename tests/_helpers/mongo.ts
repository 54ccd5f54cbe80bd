/**
 * A MongoDB server for tests. By default an in-process CongoDB (the MongoDB wire-compatible server of
 * `@push.rocks/smartmongo`, components.md §2) on a free port; when `ARTDAQDB_TEST_MONGO_URI` is set, that real
 * server instead (e.g. `mongodb://127.0.0.1:27017/artdaqdb_test`), unchanged tests. Each test database gets a
 * unique name and is dropped on stop when the server is real.
 *
 * CongoDB's known gaps (components.md §2): only ObjectId `_id`, no unique-index enforcement, no auth, and it
 * merges duplicate keys of a stored document (observed here); `preservesDuplicateKeys` reports the last one.
 *
 * @example
 * ```ts
 * await using mongo = await startMongo();
 * const uri = mongo.uriFor("suite_1"); // mongodb://127.0.0.1:<port>/suite_1
 * ```
 *
 * @module
 */

import { CongoServer } from "congodb";
import { MongoClient } from "mongodb";

/** The env var naming a real MongoDB server for the tests. */
export const REAL_MONGO_ENV = "ARTDAQDB_TEST_MONGO_URI";

/** A running test server. */
export interface TestMongo extends AsyncDisposable {
  /** `congodb` (in-process) or `mongod` (the server named by ARTDAQDB_TEST_MONGO_URI). */
  readonly kind: "congodb" | "mongod";
  /** Whether stored documents keep duplicate keys (a real mongod does; CongoDB merges them). */
  readonly preservesDuplicateKeys: boolean;
  /** A connection URI for database `name` (unique names keep tests apart). */
  uriFor(name: string): string;
  /** Stops the in-process server, or drops the databases handed out on a real one. */
  stop(): Promise<void>;
}

let sequence = 0;

/** A fresh database name, unique in this process and across concurrent runs. */
export function uniqueDatabaseName(prefix = "artdaqdb_test"): string {
  return `${prefix}_${Deno.pid}_${Date.now().toString(36)}_${++sequence}`;
}

/** Starts CongoDB in-process, or connects the real server of `ARTDAQDB_TEST_MONGO_URI`. */
export async function startMongo(): Promise<TestMongo> {
  const real = Deno.env.get(REAL_MONGO_ENV);
  return real ? realMongo(real) : await congo();
}

async function congo(): Promise<TestMongo> {
  const server = new CongoServer({ port: 0, host: "127.0.0.1" });
  await server.start();
  // getConnectionUri() reports the configured port (0); the bound one is on the node server.
  const port = (server as unknown as { server: { address(): { port: number } } }).server.address().port;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.stop();
  };
  return {
    kind: "congodb",
    preservesDuplicateKeys: false,
    uriFor: (name) => `mongodb://127.0.0.1:${port}/${name}`,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

function realMongo(base: string): TestMongo {
  const names: string[] = [];
  const uriFor = (name: string) => {
    names.push(name);
    // Replace the database path of the given URI, keep hosts, credentials and options.
    return base.replace(/^(mongodb(?:\+srv)?:\/\/[^/?#]*)(\/[^?#]*)?/i, `$1/${name}`);
  };
  const stop = async () => {
    if (names.length === 0) return;
    const client = new MongoClient(base, { serverMonitoringMode: "poll" });
    try {
      for (const name of names.splice(0)) await client.db(name).dropDatabase();
    } finally {
      await client.close();
    }
  };
  return { kind: "mongod", preservesDuplicateKeys: true, uriFor, stop, [Symbol.asyncDispose]: stop };
}
