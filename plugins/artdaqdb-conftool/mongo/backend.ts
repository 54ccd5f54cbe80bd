/**
 * The MongoDB provider (`mongodb://`, artdaq-database.md §3.4): one MongoDB collection per artdaq collection in
 * the URI's database, documents with an ObjectId `_id` and the same fields as the filesystem documents, duplicate
 * keys kept through raw BSON (`bson.ts`).
 *
 * Differences from the C++ provider, all invisible to its readers: every write is an upsert by `_id` (a retry
 * replaces instead of duplicating; the C++ "overwrite" re-inserts under a new id), and each collection we write
 * gets an index on `configurations.name` so that finding a run is an indexed query (the C++ code creates no index
 * and scans).
 *
 * The client polls for server monitoring (`serverMonitoringMode: "poll"`): streaming heartbeats are not
 * implemented by every wire-compatible server, and polling costs nothing measurable here.
 *
 * @module
 */

import { type Db, MongoClient, type MongoClientOptions, ObjectId } from "mongodb";
import { describeError, StoreError, TransientError } from "../../../core/errors.ts";
import { redact } from "../../../core/redact.ts";
import type { Backend, ConfigurationEntry, FindOptions, StoredDocument } from "../backend.ts";
import { inArtdaqOrder } from "../document.ts";
import { runOfConfiguration } from "../naming.ts";
import { SYSTEM_METADATA, systemMetadataDocument } from "../system_metadata.ts";
import type { Clock } from "../timestamp.ts";
import type { MongoUri } from "../uri.ts";
import { fromBson, toBson } from "./bson.ts";
import { JsonObject } from "../../../core/json/mod.ts";

/** Settings of the MongoDB backend. */
export interface MongoBackendOptions {
  uri: MongoUri;
  clock: Clock;
  /** Environment lookup for `ARTDAQ_DATABASE_CLIENT_CERT` / `ARTDAQ_DATABASE_CA_CERT`. */
  env: (name: string) => string | undefined;
}

/** The MongoDB provider. */
export class MongoBackend implements Backend {
  readonly provider = "mongo" as const;
  readonly #options: MongoBackendOptions;
  readonly #client: MongoClient;
  #connecting: Promise<Db> | null = null;
  readonly #indexed = new Set<string>();

  constructor(options: MongoBackendOptions) {
    this.#options = options;
    this.#client = new MongoClient(options.uri.connectionString, clientOptions(options.env));
  }

  describe(): string {
    return this.#options.uri.masked;
  }

  async configurationsByRun(collection: string, entity: string): Promise<Map<number, string[]>> {
    const byRun = await this.#configurations(collection, entity, "^\\s*\\d+/");
    return new Map([...byRun].map(([run, entries]) => [run, entries.map((entry) => entry.name)]));
  }

  async configurationsOfRun(collection: string, entity: string, run: number): Promise<ConfigurationEntry[]> {
    return (await this.#configurations(collection, entity, `^\\s*0*${run}/`)).get(run) ?? [];
  }

  findConfiguration(configuration: string, collection?: string, options: FindOptions = {}): Promise<StoredDocument[]> {
    const filter: Record<string, unknown> = { "configurations.name": configuration };
    if (options.exceptVersion !== undefined) filter.version = { $ne: options.exceptVersion };
    return this.#call("find documents", async (db) => {
      const collections = collection ? [collection] : await this.#collections(db);
      const found = await Promise.all(collections.map(async (collection) => {
        const raw = await db.collection(collection)
          .find(filter, { raw: true })
          .toArray() as unknown as Uint8Array[];
        return raw.map((bytes) => {
          const doc = inArtdaqOrder(fromBson(bytes));
          const id = doc.get("_id");
          return { collection, id: id instanceof JsonObject ? String(id.get("$oid")) : String(id), doc };
        });
      }));
      return found.flat();
    });
  }

  upsert(collection: string, documents: readonly StoredDocument[]): Promise<void> {
    if (documents.length === 0) return Promise.resolve();
    return this.#call(`write into ${collection}`, async (db) => {
      await this.#ensureIndex(db, collection);
      // Raw commands, because only they pass our duplicate-key documents to npm:bson untouched. Insert first, as
      // the C++ provider does (servers before 5.0 refuse dotted field names such as FHiCL's
      // `daq.fragment_receiver.board_id` in a replacement, not in an insert); replace only what exists already.
      const inserted = await db.command({
        insert: collection,
        documents: documents.map((stored) => toBson(stored.doc)),
        ordered: false,
      });
      const errors = (inserted.writeErrors ?? []) as Array<{ index: number; code?: number; errmsg?: string }>;
      const existing = errors.filter((error) => error.code === DUPLICATE_KEY).map((error) => documents[error.index]);
      checkWriteReply({ ...inserted, writeErrors: errors.filter((error) => error.code !== DUPLICATE_KEY) }, collection);
      if (existing.length === 0) return;
      const replaced = await db.command({
        update: collection,
        updates: existing.map((stored) => ({
          q: { _id: new ObjectId(stored.id) },
          u: toBson(stored.doc),
          upsert: true,
        })),
        ordered: true,
      });
      checkWriteReply(replaced, collection);
    });
  }

  remove(collection: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    return this.#call(`remove from ${collection}`, async (db) => {
      await db.collection(collection).deleteMany({ _id: { $in: ids.map((id) => new ObjectId(id)) } });
    });
  }

  ensureDatabase(): Promise<void> {
    return this.#call("create SystemMetadata", async (db) => {
      const metadata = db.collection(SYSTEM_METADATA);
      if (await metadata.countDocuments({}, { limit: 1 }) > 0) return;
      const record = new JsonObject([
        ["document", systemMetadataDocument(this.#options.uri.masked, this.#options.clock())],
      ]);
      const reply = await db.command({ insert: SYSTEM_METADATA, documents: [toBson(record)] });
      checkWriteReply(reply, SYSTEM_METADATA);
    });
  }

  async close(): Promise<void> {
    const connecting = this.#connecting;
    this.#connecting = null;
    if (connecting) await connecting.catch(() => {});
    await this.#client.close().catch(() => {});
  }

  async #configurations(
    collection: string,
    entity: string,
    pattern: string,
  ): Promise<Map<number, ConfigurationEntry[]>> {
    const rows = await this.#call(
      `list configurations in ${collection}`,
      (db) =>
        db.collection(collection).aggregate<{ _id: string; assigned: string | null }>([
          { $match: { "entities.name": entity, "configurations.name": { $regex: pattern } } },
          { $project: { _id: 0, configurations: 1 } },
          { $unwind: "$configurations" },
          { $match: { "configurations.name": { $regex: pattern } } },
          { $group: { _id: "$configurations.name", assigned: { $max: "$configurations.assigned" } } },
        ]).toArray(),
    );
    const out = new Map<number, ConfigurationEntry[]>();
    for (const row of rows) {
      const run = runOfConfiguration(row._id);
      if (run === null) continue;
      const entry = { name: row._id, assigned: row.assigned ?? "" };
      const list = out.get(run);
      if (list) list.push(entry);
      else out.set(run, [entry]);
    }
    return out;
  }

  async #collections(db: Db): Promise<string[]> {
    const list = await db.listCollections({}, { nameOnly: true }).toArray();
    return list.map((c) => c.name).filter((name) => name !== SYSTEM_METADATA && !name.startsWith("system.")).sort();
  }

  async #ensureIndex(db: Db, collection: string): Promise<void> {
    if (this.#indexed.has(collection)) return;
    await db.collection(collection).createIndex({ "configurations.name": 1 });
    this.#indexed.add(collection);
  }

  #database(): Promise<Db> {
    this.#connecting ??= this.#client.connect().then((client) => client.db(this.#options.uri.database));
    this.#connecting.catch(() => (this.#connecting = null));
    return this.#connecting;
  }

  async #call<T>(what: string, action: (db: Db) => Promise<T>): Promise<T> {
    try {
      return await action(await this.#database());
    } catch (error) {
      if (error instanceof StoreError) throw error;
      const message = redact(`artdaqDB ${this.#options.uri.masked}: cannot ${what}: ${describeError(error)}`);
      throw isTransient(error) ? new TransientError(message) : new StoreError(message);
    }
  }
}

function clientOptions(env: (name: string) => string | undefined): MongoClientOptions {
  const options: MongoClientOptions = { serverMonitoringMode: "poll" };
  // X.509 client authentication, as the C++ provider enables it (artdaq-database.md §1.2).
  const clientCert = existingFile(env("ARTDAQ_DATABASE_CLIENT_CERT"));
  if (clientCert) {
    options.tls = true;
    options.authMechanism = "MONGODB-X509";
    options.tlsCertificateKeyFile = clientCert;
    const caCert = existingFile(env("ARTDAQ_DATABASE_CA_CERT"));
    if (caCert) options.tlsCAFile = caCert;
  }
  return options;
}

function existingFile(path: string | undefined): string | null {
  if (!path) return null;
  try {
    return Deno.statSync(path).isFile ? path : null;
  } catch {
    return null;
  }
}

/** MongoDB's duplicate key error code. */
const DUPLICATE_KEY = 11000;

function checkWriteReply(reply: Record<string, unknown>, collection: string): void {
  const errors = reply.writeErrors as Array<{ errmsg?: string }> | undefined;
  if (reply.ok !== 1 || (errors && errors.length > 0)) {
    const detail = errors?.map((e) => e.errmsg ?? "").join("; ") || JSON.stringify(reply);
    throw new StoreError(redact(`artdaqDB: write into ${collection} failed: ${detail}`));
  }
}

function isTransient(error: unknown): boolean {
  const name = (error as Error)?.name ?? "";
  return /^Mongo(Network|ServerSelection|PoolCleared|NotConnected|Topology)/.test(name) ||
    /ECONNREFUSED|ECONNRESET|ETIMEDOUT/.test(describeError(error));
}
