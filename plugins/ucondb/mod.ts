/**
 * The `ucondb` sink plugin: run blobs into a UconDB folder/object over HTTP, or into the embedded
 * UconDB-compatible server (`server_url: "embedded:<dir>"`), which is started in-process on a loopback port so that
 * the same HTTP client path is used as in production. When another process already holds `<dir>` (a running
 * archiver, the status server), this process attaches to that process's server instead (embedded.ts).
 *
 * Options are the keys of the `ucon_db` config section.
 *
 * @example
 * ```ts
 * import { ucondb } from "./plugins/ucondb/mod.ts";
 * const sink = await ucondb({ ...defaults, server_url: "https://host:9443/ucon/app", folder_name: "run_records",
 *   object_name: "configuration", writer_user: "writer", writer_password: password }, context);
 * await sink.put(100, blob); // "created" | "identical"
 * await sink.close();
 * ```
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { definePlugin, type Plugin, type PluginContext } from "../../core/registry.ts";
import { ConfigurationError, describeError, TransientError } from "../../core/errors.ts";
import { maskUriCredentials, redact, registerSecret, registerUriCredentials } from "../../core/redact.ts";
import type { Logger } from "../../core/roles.ts";
import { UconDBClient } from "./client.ts";
import { isValidFolderName } from "./storage.ts";
import { EMBEDDED_BASE_URL, type EmbeddedEndpoint, EmbeddedTransport, openEmbedded } from "./embedded.ts";
import { createTransport } from "./transport.ts";
import { UconDBSink } from "./sink.ts";
import type { UconDbConfig } from "../../core/config/types.ts";
import { sectionDefaults, SECTIONS } from "../../core/config/schema.ts";

export { KeyExistsError, UconDBClient, type VersionMeta } from "./client.ts";
export { UconDBSink } from "./sink.ts";
export { startUconDBServer } from "./server.ts";
export { openEmbedded } from "./embedded.ts";

/** Keys a library caller may leave out: a server without Digest auth needs no credentials. */
type OptionalKeys = "writer_user" | "writer_password" | "ca_file";

/** The `ucon_db` config section, keys verbatim; the credentials may be absent or null. */
export type Options = Omit<UconDbConfig, OptionalKeys> & { [K in OptionalKeys]?: UconDbConfig[K] | null };

/**
 * Defaults: the embedded server under the work directory, the Python template's object name, no credentials; the
 * other keys' defaults come from the configuration schema.
 */
export const defaults: Options = {
  server_url: "embedded:",
  folder_name: "run_records",
  object_name: "configuration",
  writer_user: null,
  writer_password: null,
  ...sectionDefaults<Omit<Options, "server_url" | "folder_name" | "object_name">>(SECTIONS.ucon_db),
};

const EMBEDDED = "embedded:";

/** Checked options; throws `ConfigurationError` naming the `ucon_db.<key>`. */
function validate(options: Options): Options {
  const bad = (key: string, problem: string) => new ConfigurationError(`ucon_db.${key} ${problem}`);
  const url = String(options.server_url ?? "");
  if (!url.startsWith(EMBEDDED) && !/^https?:\/\/[^/]/i.test(url)) {
    throw bad("server_url", `'${redact(maskUriCredentials(url))}' must be an http(s):// URL or embedded:<dir>`);
  }
  if (!isValidFolderName(String(options.folder_name ?? ""))) {
    throw bad("folder_name", `'${options.folder_name}' must be letters, digits and _, with at most one '.'`);
  }
  if (typeof options.object_name !== "string" || options.object_name === "" || /[<'>\\|;"]/.test(options.object_name)) {
    throw bad("object_name", `'${options.object_name}' must be a non-empty name without < ' > \\ | ; "`);
  }
  const timeout = Number(options.timeout_seconds);
  if (!(timeout > 0)) throw bad("timeout_seconds", `must be a number > 0 (got ${options.timeout_seconds})`);
  const retries = Number(options.retries);
  if (!Number.isInteger(retries) || retries < 0) {
    throw bad("retries", `must be an integer >= 0 (got ${options.retries})`);
  }
  if (options.verify !== "meta" && options.verify !== "full") {
    throw bad("verify", `must be "meta" or "full" (got ${options.verify})`);
  }
  if (typeof options.insecure_skip_verify !== "boolean") {
    throw bad("insecure_skip_verify", "must be true or false");
  }
  if ((options.writer_user ?? "") === "" !== ((options.writer_password ?? "") === "")) {
    throw bad(options.writer_user ? "writer_password" : "writer_user", "must be set together with the other");
  }
  return { ...options, timeout_seconds: timeout, retries };
}

/**
 * Create the sink: registers the password with the redaction layer, starts the embedded server when configured,
 * and checks the server answers `/version` (a server that is down now is only warned about: see below).
 */
export async function ucondb(options: Options, context: PluginContext): Promise<UconDBSink> {
  const checked = validate({ ...defaults, ...options });
  registerSecret(checked.writer_password ?? undefined);
  const serverUrl = registerUriCredentials(checked.server_url);
  const logger = context.logger.child("ucondb");
  const user = checked.writer_user || undefined;
  const password = checked.writer_password || undefined;

  const caPem = checked.ca_file ? await readCaFile(checked.ca_file, context) : undefined;
  if (checked.insecure_skip_verify) warnInsecure(logger, serverUrl);
  const transport = createTransport({ caPem, insecureSkipVerify: checked.insecure_skip_verify });

  let embedded: EmbeddedEndpoint | undefined;
  let baseUrl = checked.server_url;
  let where = serverUrl;
  if (baseUrl.startsWith(EMBEDDED)) {
    const dir = embeddedDir(baseUrl, context);
    where = `embedded:${dir}`;
    embedded = await openEmbedded({
      dir,
      users: user !== undefined ? { [user]: password ?? "" } : undefined,
      folders: [checked.folder_name],
      waitMs: checked.timeout_seconds * 1000,
      logger,
      lenient: true,
    });
    baseUrl = EMBEDDED_BASE_URL;
  }
  const client = new UconDBClient({
    serverUrl: baseUrl,
    folder: checked.folder_name,
    user,
    password,
    timeoutSeconds: checked.timeout_seconds,
    retries: checked.retries,
    transport: embedded ? new EmbeddedTransport(transport, embedded) : transport,
    displayUrl: embedded ? where : undefined,
    logger,
  });
  const sink = new UconDBSink({
    client,
    objectName: checked.object_name,
    verify: checked.verify,
    logger,
    onClose: embedded ? () => embedded.close() : undefined,
    description: `ucondb ${redact(where)} folder ${checked.folder_name} object ${checked.object_name}`,
  });
  try {
    // An embedded directory whose holder did not answer has already waited timeout_seconds: do not wait again.
    if (embedded?.openError) throw embedded.openError;
    const version = await client.version();
    logger.info(`connected to UconDB at ${redact(where)}, server version ${version}`);
  } catch (error) {
    // A server that is down now must not stop what does not need it (import-only, the report's other sources):
    // its calls fail later, per stage, with the same error (original-archiver.md §16.3, §17.1 C14, §17.4 R8).
    // Anything else (TLS, a wrong URL or folder answer) is a configuration problem and stops here.
    if (error instanceof TransientError) {
      logger.warn(
        `UconDB at ${redact(where)} is not reachable now (${
          describeError(error)
        }); stages that need it will fail until it is`,
      );
      return sink;
    }
    await sink.close();
    throw error;
  }
  return sink;
}

function embeddedDir(url: string, context: PluginContext): string {
  const dir = url.slice(EMBEDDED.length);
  if (dir === "") return resolve(context.workDir, "ucondb");
  return isAbsolute(dir) ? dir : resolve(context.configDir, dir);
}

async function readCaFile(path: string, context: PluginContext): Promise<string> {
  const full = isAbsolute(path) ? path : resolve(context.configDir, path);
  try {
    return await Deno.readTextFile(full);
  } catch (error) {
    throw new ConfigurationError(`ucon_db.ca_file: cannot read ${full}: ${describeError(error)}`);
  }
}

function warnInsecure(logger: Logger, url: string): void {
  const message = `TLS CERTIFICATE VERIFICATION IS DISABLED for UconDB ${redact(url)} ` +
    `(ucon_db.insecure_skip_verify: true): anyone on the network path can read the writer's digest exchange ` +
    `and alter archived blobs. Use ucon_db.ca_file with the server's CA instead.`;
  logger.warn(message);
}

/** The plugin definition the registry uses (role `sink`, name `ucondb`). */
const plugin: Plugin<"sink", Options> = definePlugin<"sink", Options>({
  role: "sink",
  name: "ucondb",
  defaults,
  create: (options, context) => ucondb(options, context),
});
export default plugin;
