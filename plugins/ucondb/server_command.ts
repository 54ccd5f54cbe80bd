/**
 * `deno task archive ucondb-server`: run the embedded UconDB-compatible server on its own.
 *
 * ```
 * archive ucondb-server --dir D [--port P] [--host 127.0.0.1] [--user U --password-file F] [--folder NAME ...]
 *                       [--read-only]
 * ```
 *
 * The password is read from a file (never from the command line, where `ps` shows it). Without `--user` puts need
 * no authentication, as with the real server's `authentication: none`; a warning says so. Stops on SIGINT/SIGTERM.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { describeError, UsageError } from "../../core/errors.ts";
import { redact, registerSecret } from "../../core/redact.ts";
import { startUconDBServer } from "./server.ts";

const USAGE =
  `usage: archive ucondb-server --dir DIR [--port PORT] [--host 127.0.0.1] [--user USER --password-file FILE]
                             [--folder NAME]... [--read-only]`;

/**
 * Entry point; resolves with the exit code once the server has stopped (0) or failed to start (1, 2 usage).
 *
 * @example
 * ```ts
 * Deno.exit(await main(["--dir", "/var/lib/ucondb", "--port", "8080", "--user", "writer", "--password-file", "pw"]));
 * ```
 */
export async function main(args: string[], signal?: AbortSignal): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        dir: { type: "string" },
        port: { type: "string", default: "8080" },
        host: { type: "string", default: "127.0.0.1" },
        user: { type: "string" },
        "password-file": { type: "string" },
        folder: { type: "string", multiple: true },
        "read-only": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    }));
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (!values.dir) throw new UsageError("--dir is required");
    if (!/^\d+$/.test(values.port) || Number(values.port) > 65535) throw new UsageError(`bad --port '${values.port}'`);
    if ((values.user === undefined) !== (values["password-file"] === undefined)) {
      throw new UsageError("--user and --password-file go together");
    }
  } catch (error) {
    console.error(`error: ${describeError(error)}\n${USAGE}`);
    return 2;
  }
  try {
    let users: Record<string, string> | undefined;
    if (values.user !== undefined) {
      const password = (await Deno.readTextFile(values["password-file"]!)).replace(/\r?\n$/, "");
      if (password === "") throw new Error(`${values["password-file"]} is empty`);
      registerSecret(password);
      users = { [values.user]: password };
    } else {
      console.error("WARNING: no --user given: anyone who can reach the port can put and create folders");
    }
    const server = await startUconDBServer({
      dir: values.dir,
      hostname: values.host,
      port: Number(values.port),
      users,
      folders: values.folder ?? [],
      readOnly: values["read-only"],
    });
    console.log(`UconDB-compatible server for ${values.dir} listening on ${server.url}`);
    await waitForStop(signal);
    await server.close();
    return 0;
  } catch (error) {
    console.error(`error: ${redact(describeError(error))}`);
    return 1;
  }
}

/** Resolves on SIGINT/SIGTERM or when `signal` aborts. */
function waitForStop(signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      Deno.removeSignalListener("SIGINT", stop);
      Deno.removeSignalListener("SIGTERM", stop);
      signal?.removeEventListener("abort", stop);
      resolve();
    };
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
    signal?.addEventListener("abort", stop);
  });
}
