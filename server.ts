/**
 * The status server: `deno task serve [CONFIG] [--host H] [--port P]`. Loads the archiver's configuration, makes
 * the read-only data roles, and serves the status page, the JSON API and `/metrics` (see core/server/app.ts).
 * Binds `status_server.host` (default 127.0.0.1) and `status_server.port` (default 8080); with
 * `status_server.token` set every route but `/healthz` needs `Authorization: Bearer <token>`.
 * SIGINT/SIGTERM stop it cleanly.
 *
 * @example
 * ```sh
 * deno task serve config.yaml
 * curl -s http://127.0.0.1:8080/api/status | jq .counts
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { loadConfig } from "./core/config/mod.ts";
import { describeError, UsageError } from "./core/errors.ts";
import { createLogger, levelFromConfig } from "./core/log/mod.ts";
import { redact } from "./core/redact.ts";
import { chooseConfig } from "./core/cli/main.ts";
import { enterInvocationDir } from "./core/cli/invocation.ts";
import { createApp } from "./core/server/app.ts";
import { StatusService } from "./core/server/service.ts";
import { openReadRoles } from "./core/status/read_roles.ts";
import { openStateView } from "./core/status/state_view.ts";
import { ThroughputHistory } from "./core/status/throughput.ts";
import { builtinRegistry } from "./plugins/mod.ts";

const USAGE = "usage: deno task serve [CONFIG] [--host HOST] [--port PORT]";

/** Start the server; resolves with the exit code once it has been stopped by a signal. */
export async function main(args: string[]): Promise<number> {
  let values: { host?: string; port?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { host: { type: "string" }, port: { type: "string" }, help: { type: "boolean", short: "h" } },
    }));
    if (positionals.length > 1) throw new UsageError(`only one CONFIG expected, got ${positionals.join(" ")}`);
    if (values.port !== undefined && !/^\d{1,5}$/.test(values.port)) throw new UsageError("--port must be a number");
  } catch (error) {
    console.error(`${USAGE}\nserve: error: ${redact(describeError(error))}`);
    return 2;
  }
  if (values.help) {
    console.log(
      `${USAGE}\n\nServe the archiver's status page, JSON API (/api/...) and Prometheus /metrics.\n` +
        "HOST, PORT and an optional bearer token come from the config section status_server.",
    );
    return 0;
  }
  const chosen = await chooseConfig(positionals[0]);
  const config = await loadConfig(chosen.path, { exportEnvFile: true });
  const logger = createLogger({
    level: levelFromConfig(config.app.log_level),
    format: config.app.log_format,
    file: config.app.log_file,
    name: "status-server",
  });
  const host = values.host ?? config.status_server.host;
  const port = values.port !== undefined ? Number(values.port) : config.status_server.port;
  const token = config.status_server.token;
  if (!token && !isLoopback(host)) {
    logger.warn(`status server bound to ${host} without status_server.token: anyone who can reach it sees the status`);
  }
  const roles = await openReadRoles(config, builtinRegistry(), logger);
  const service = new StatusService({
    roles,
    state: openStateView(config),
    configFile: chosen.path,
    history: await ThroughputHistory.open(join(config.app.work_dir, "status_history.jsonl")),
    logger,
    lockFile: config.app.lock_file,
  });
  try {
    const app = createApp({ service, token });
    const server = Deno.serve({
      hostname: host,
      port,
      onListen: ({ hostname, port }) => logger.info(`Status server listening on http://${hostname}:${port}/`),
    }, app.fetch);
    // Listen first, list afterwards: the page says "starting" meanwhile instead of the port being closed.
    // The background loop starts whatever the first refresh did: a failed first listing must be retried, not leave
    // the page saying "starting" for ever.
    service.refresh()
      .catch((error) => logger.error(`first status refresh failed: ${redact(describeError(error))}`))
      .finally(() => service.start());
    const stop = () => server.shutdown();
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
    await server.finished;
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
    logger.info("Status server stopped");
    return 0;
  } finally {
    await service.close();
    await roles.close();
    logger.close();
  }
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

if (import.meta.main) {
  enterInvocationDir();
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(redact(`serve: error: ${describeError(error)}`));
    Deno.exit(1);
  }
}
