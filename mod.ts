/**
 * The Run Record Archiver as a library: the roles, the pipeline, the FHiCL engine, the blob format and every
 * built-in plugin factory, so that a script can call a store or a sink directly.
 *
 * The examples follow the seed's client examples (ArtdaqDBClient, UconDBClient, CarbonClient) in TypeScript.
 * They run as they are: `deno test -A --doc mod.ts`.
 *
 * @example Archive and export a run with the native artdaqDB store (the seed's ArtdaqDBClient)
 * ```ts
 * import { artdaqdbConftool, runRecords } from "./mod.ts";
 *
 * const dbDir = await Deno.makeTempDir();
 * const source = runRecords({ run_records_dir: "fixtures/run_records" });
 * const store = artdaqdbConftool({ database_uri: `filesystemdb://${dbDir}` });
 *
 * const prepared = await source.prepare(11001);
 * await store.putRun(prepared, "initial"); // initial insert
 * if (prepared.complete) await store.putRun(prepared, "update"); // stop-time update (RunHistory2)
 *
 * console.log(await store.listRuns()); // [ 11001 ]
 * console.log(await store.configurationName(11001)); // "11001/<name>"
 * const exported = await store.exportRun(11001);
 * console.log(exported.files.map((f) => f.path));
 * await store.close();
 * await source.close();
 * await Deno.remove(dbDir, { recursive: true });
 * ```
 *
 * @example Upload a blob to UconDB and read it back (the seed's UconDBClient), on the embedded server
 * ```ts
 * import { noopMetrics, packBlob, silentLogger, ucondb } from "./mod.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const sink = await ucondb(
 *   { server_url: `embedded:${dir}`, folder_name: "test01", object_name: "configuration", timeout_seconds: 10,
 *     writer_user: "writer", writer_password: "example-password", insecure_skip_verify: false, verify: "meta",
 *     retries: 2 },
 *   { logger: silentLogger, metrics: noopMetrics(), workDir: dir, configDir: dir },
 * );
 * const blob = packBlob(12345, "12345/standard", "2026-11-29T10:00:00.000+0000", [
 *   { path: "boot.fcl", data: new TextEncoder().encode("a: 1\n") },
 * ]);
 * console.log(await sink.put(12345, blob)); // "created"
 * console.log(await sink.put(12345, blob)); // "identical": already there, same size and adler32
 * console.log(await sink.listRuns()); // [ 12345 ]
 * console.log((await sink.get(12345))?.length === blob.length); // true
 * await sink.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @example Post metrics to Carbon (the seed's CarbonClient); a disabled client is a no-op
 * ```ts
 * import { carbon } from "./mod.ts";
 *
 * const metrics = carbon({ enabled: false, host: null, port: 2003, metric_prefix: "exp.run_archiver.prod" });
 * metrics.send("import.runs_processed", 42); // never blocks, never throws
 * await metrics.close();
 * ```
 *
 * @example Convert FHiCL to artdaq_database's DB-JSON and back
 * ```ts
 * import { dbJsonToFhicl, fhiclToDbJson, stringifyArtdaq } from "./mod.ts";
 *
 * const doc = fhiclToDbJson("# DAQ boot settings\ndebug_level: 2\n", "boot.fcl");
 * console.log(stringifyArtdaq(doc).length > 0); // true
 * console.log(dbJsonToFhicl(doc));
 * ```
 *
 * @module
 */

/** The roles (interfaces) plugins fill: Source, Store, Sink, Metrics, Notifier, and their data types. */
export type * from "./core/roles.ts";
/** Error classes with exit codes and one-line messages. */
export * from "./core/errors.ts";
/** The redaction layer every output passes through. */
export { maskUriCredentials, redact, registerSecret, registerUriCredentials } from "./core/redact.ts";
/** The plugin registry and the plugin shape (`Options` + `defaults` + factory). */
export { definePlugin, type Plugin, type PluginContext, Registry } from "./core/registry.ts";
/** Every built-in plugin, and a registry holding them. */
export { BUILTIN_PLUGINS, builtinRegistry } from "./plugins/mod.ts";
/** Configuration → role instances (what cli.ts and server.ts do). */
export { createRoles, type Roles } from "./core/wiring.ts";
/** Loading an archiver configuration (`config.yaml` of the Python archiver loads unchanged). */
export { type ArchiverConfig, loadConfig } from "./core/config/mod.ts";
/** Loggers (text or JSON lines, redacted). */
export { createLogger, silentLogger } from "./core/log/mod.ts";
/** The measuring wrapper and a no-op Metrics. */
export { measured, noopMetrics } from "./core/measure.ts";
/** The archive pipeline: every mode of the Python archiver. */
export { runArchiver, type RunArchiverOptions } from "./core/pipeline/mod.ts";
/** Per-stage state files. */
export { loadStageState, stagePaths, StageState } from "./core/state/mod.ts";
/** The single-archiver lock. */
export { acquireLock, type HeldLock } from "./core/lock/mod.ts";
/** The FHiCL engine: parser, printer, DB-JSON both ways. */
export {
  dbJsonToFhicl,
  FhiclSyntaxError,
  fhiclToDbJson,
  parse as parseFhicl,
  print as printFhicl,
} from "./core/fhicl/mod.ts";
/** The order-preserving JSON model of artdaq_database documents. */
export { parseOrdered, stringifyArtdaq } from "./core/json/mod.ts";
/** The blob: pack, unpack, adler32. */
export { adler32, packBlob, unpackBlob } from "./core/blob/mod.ts";

/** Source: DAQInterface run-record directories. */
export { runRecords } from "./plugins/run-records/mod.ts";
/** Store: artdaq_database's own format over filesystemdb:// and mongodb://. */
export { artdaqdbConftool } from "./plugins/artdaqdb-conftool/mod.ts";
/** Store: artdaq_database's bulkloader/bulkdownloader, locally or over SSH. */
export { artdaqdbBulktools } from "./plugins/artdaqdb-bulktools/mod.ts";
/** Sink: UconDB over HTTP (and the embedded UconDB-compatible server). */
export { startUconDBServer, ucondb, UconDBClient } from "./plugins/ucondb/mod.ts";
/** Metrics: Carbon/Graphite plaintext. */
export { carbon } from "./plugins/carbon/mod.ts";
/** Notifiers: email (SMTP) and Slack. */
export { email } from "./plugins/email/mod.ts";
export { slack } from "./plugins/slack/mod.ts";
