/**
 * The MongoDB backend behind a door that opens on first use: the `mongodb` driver costs ~33 MB of memory and
 * ~0.1 s of start-up, which every invocation on a filesystem database (and every `--incremental` check with
 * nothing new) paid for nothing when it was imported up front. Same behaviour as `MongoBackend`: nothing is
 * opened until the first call; a module that fails to load fails that call.
 *
 * @module
 */

import type { Backend, ConfigurationEntry, FindOptions, StoredDocument } from "../backend.ts";
import type { MongoBackendOptions } from "./backend.ts";

/** `MongoBackend`, with the driver loaded by the first call that needs it. */
export class LazyMongoBackend implements Backend {
  readonly provider = "mongo" as const;
  readonly #options: MongoBackendOptions;
  #backend: Promise<Backend> | null = null;

  constructor(options: MongoBackendOptions) {
    this.#options = options;
  }

  #load(): Promise<Backend> {
    return this.#backend ??= import("./backend.ts").then((module) => new module.MongoBackend(this.#options));
  }

  describe(): string {
    return this.#options.uri.masked;
  }

  async configurationsByRun(collection: string, entity: string): Promise<Map<number, string[]>> {
    return await (await this.#load()).configurationsByRun(collection, entity);
  }

  async configurationsOfRun(collection: string, entity: string, run: number): Promise<ConfigurationEntry[]> {
    return await (await this.#load()).configurationsOfRun(collection, entity, run);
  }

  async findConfiguration(
    configuration: string,
    collection?: string,
    options?: FindOptions,
  ): Promise<StoredDocument[]> {
    return await (await this.#load()).findConfiguration(configuration, collection, options);
  }

  async upsert(collection: string, documents: readonly StoredDocument[]): Promise<void> {
    await (await this.#load()).upsert(collection, documents);
  }

  async remove(collection: string, ids: readonly string[]): Promise<void> {
    await (await this.#load()).remove(collection, ids);
  }

  async ensureDatabase(): Promise<void> {
    await (await this.#load()).ensureDatabase();
  }

  async close(): Promise<void> {
    // Never loaded: nothing was opened.
    if (this.#backend) await (await this.#backend).close();
  }
}
