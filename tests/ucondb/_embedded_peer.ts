/**
 * Test helper process: another process using `embedded:<dir>` (argument 1), driven over stdin/stdout with one JSON
 * object per line. The writer's password comes from the environment (PEER_PASSWORD), never from the arguments.
 *
 * - mode `sink` (argument 2, default): opens the ucondb sink, answers `{"op":"put","run":N,"text":T}`,
 *   `{"op":"list"}`, `{"op":"get","run":N}` and `{"op":"close"}` (closes the sink and exits 0); SIGTERM also
 *   closes the sink and exits 0.
 * - mode `lock`: only takes the directory's lock (no server, no server.json), as a holder still starting up.
 *
 * Prints `{"ready":true,"pid":P}` first, then one `{"ok":true,"result":...}` or `{"ok":false,"error":...}` per
 * request.
 *
 * @module
 */
import { join } from "node:path";
import { silentLogger } from "../../core/log/mod.ts";
import { noopMetrics } from "../../core/measure.ts";
import { defaults, ucondb } from "../../plugins/ucondb/mod.ts";

const [dir, mode = "sink"] = Deno.args;
const say = (value: unknown) => console.log(JSON.stringify(value));

if (mode === "lock") {
  await Deno.mkdir(dir, { recursive: true });
  const lock = await Deno.open(join(dir, "server.lock"), { read: true, write: true, create: true });
  if (!(await lock.tryLock(true))) throw new Error(`${dir} is locked`);
  say({ ready: true, pid: Deno.pid });
  setInterval(() => {}, 1000);
} else {
  const sink = await ucondb({
    ...defaults,
    server_url: `embedded:${dir}`,
    writer_user: "writer",
    writer_password: Deno.env.get("PEER_PASSWORD") ?? "",
    timeout_seconds: 5,
  }, { logger: silentLogger, metrics: noopMetrics(), workDir: dir, configDir: dir });
  const stop = async () => {
    await sink.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", stop);
  say({ ready: true, pid: Deno.pid });
  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
  let buffered = "";
  for await (const chunk of lines) {
    buffered += chunk;
    let newline;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const request = JSON.parse(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
      if (request.op === "close") await stop();
      try {
        let result: unknown;
        if (request.op === "put") result = await sink.put(request.run, new TextEncoder().encode(request.text));
        else if (request.op === "list") result = await sink.listRuns();
        else if (request.op === "get") {
          const bytes = await sink.get(request.run);
          result = bytes === null ? null : new TextDecoder().decode(bytes);
        } else throw new Error(`unknown op ${request.op}`);
        say({ ok: true, result });
      } catch (error) {
        say({ ok: false, error: String((error as Error).message) });
      }
    }
  }
  await stop();
}
