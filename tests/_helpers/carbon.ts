/**
 * A real carbon-cache (Debian graphite-carbon) for tests: started on free loopback ports in a temp directory with
 * 1-second whisper resolution, read back with `/usr/bin/whisper-fetch` (called directly: its `#!/usr/bin/python3`
 * has the whisper module, the `python3` on PATH may not).
 *
 * @example
 * ```ts
 * import { CARBON_HINT, carbonAvailable, startCarbon } from "../_helpers/carbon.ts";
 * import { requirePeer } from "../_helpers/peers.ts";
 * if (!requirePeer("carbon-cache", carbonAvailable(), CARBON_HINT)) return;
 * await using carbon = await startCarbon();
 * // send "test.metric 42 <ts>" to carbon.port ...
 * const points = await carbon.waitForPoints("test.metric", (p) => p.length > 0);
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { freePort, hasExecutable } from "./peers.ts";

/** The carbon daemon (Debian graphite-carbon). */
const CARBON_CACHE = "/usr/bin/carbon-cache";
/** The whisper reader (Debian python3-whisper); run directly, never through the `python3` on PATH. */
const WHISPER_FETCH = "/usr/bin/whisper-fetch";

/** Hint for `requirePeer` when carbon is missing. */
export const CARBON_HINT = "apt-get install -y --no-install-recommends graphite-carbon python3-whisper";

/** Whether carbon-cache and whisper-fetch are installed. */
export function carbonAvailable(): boolean {
  return hasExecutable(CARBON_CACHE) && hasExecutable(WHISPER_FETCH);
}

/** One stored point: unix seconds and value. */
export type WhisperPoint = [timestamp: number, value: number];

/** A running carbon-cache. */
export interface CarbonPeer extends AsyncDisposable {
  host: string;
  /** Plaintext line receiver port. */
  port: number;
  /** Where the `.wsp` files are (metric dots become directories). */
  whisperDir: string;
  /** Non-null points of `metric` from `fromSeconds` (default: the last hour) until now. */
  fetch(metric: string, fromSeconds?: number): Promise<WhisperPoint[]>;
  /** Poll `fetch` until `done(points)` holds; throws with the last points after `timeoutMs` (default 15 s). */
  waitForPoints(
    metric: string,
    done: (points: WhisperPoint[]) => boolean,
    timeoutMs?: number,
  ): Promise<WhisperPoint[]>;
  /** Stop the process (SIGTERM, then SIGKILL after 5 s) and wait until it has exited. */
  stop(): Promise<void>;
  /** Start it again on the same ports and data directory (after `stop`). */
  start(): Promise<void>;
}

/** Start a carbon-cache in a fresh temp directory; dispose (or `stop`) it at the end of the test. */
export async function startCarbon(): Promise<CarbonPeer> {
  const root = await Deno.makeTempDir({ prefix: "archiver-carbon-" });
  for (const dir of ["conf", "whisper", "log", "run", "lists"]) await Deno.mkdir(join(root, dir));
  const port = freePort();
  const conf = join(root, "conf", "carbon.conf");
  await Deno.writeTextFile(
    conf,
    [
      "[cache]",
      `STORAGE_DIR = ${root}/`,
      `LOCAL_DATA_DIR = ${root}/whisper/`,
      `WHITELISTS_DIR = ${root}/lists/`,
      `CONF_DIR = ${root}/conf/`,
      `LOG_DIR = ${root}/log/`,
      `PID_DIR = ${root}/run/`,
      "USER =",
      "MAX_CACHE_SIZE = inf",
      "MAX_UPDATES_PER_SECOND = inf",
      // The default (50/min) would silently drop new metrics in tests.
      "MAX_CREATES_PER_MINUTE = inf",
      "LINE_RECEIVER_INTERFACE = 127.0.0.1",
      `LINE_RECEIVER_PORT = ${port}`,
      "ENABLE_UDP_LISTENER = False",
      "PICKLE_RECEIVER_INTERFACE = 127.0.0.1",
      `PICKLE_RECEIVER_PORT = ${freePort()}`,
      "CACHE_QUERY_INTERFACE = 127.0.0.1",
      `CACHE_QUERY_PORT = ${freePort()}`,
      "CARBON_METRIC_INTERVAL = 0",
      "WHISPER_AUTOFLUSH = True",
      "WHISPER_FALLOCATE_CREATE = False",
      "LOG_CREATES = True",
      "",
    ].join("\n"),
  );
  // 1-second resolution: the default 60 s would merge the points a test sends.
  await Deno.writeTextFile(
    join(root, "conf", "storage-schemas.conf"),
    "[all]\npattern = .*\nretentions = 1s:1h,60s:7d\n",
  );
  const whisperDir = join(root, "whisper");
  let child: Deno.ChildProcess | null = null;
  let logFile: Deno.FsFile | null = null;

  const start = async () => {
    await Deno.remove(join(root, "run", "carbon.pid")).catch(() => {});
    logFile = await Deno.open(join(root, "log", "console.log"), { append: true, create: true, write: true });
    child = new Deno.Command(CARBON_CACHE, {
      args: [`--config=${conf}`, `--pidfile=${join(root, "run", "carbon.pid")}`, "--nodaemon", "start"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // Keep the log for diagnosis; the pipes must be drained or carbon blocks on a full pipe.
    const sink = logFile;
    void Promise.all([
      child.stdout.pipeTo(sink.writable, { preventClose: true }),
      child.stderr.pipeTo(new WritableStream()),
    ]).catch(() => {});
    await waitForPort(port, child, root);
  };

  const stop = async () => {
    const running = child;
    if (!running) return;
    child = null;
    try {
      running.kill("SIGTERM");
    } catch { /* already gone */ }
    const timer = setTimeout(() => {
      try {
        running.kill("SIGKILL");
      } catch { /* exited meanwhile */ }
    }, 5000);
    await running.status;
    clearTimeout(timer);
    // Let the pipe pumps finish before closing the log file they write to.
    await new Promise((resolve) => setTimeout(resolve, 20));
    try {
      (logFile as Deno.FsFile | null)?.close();
    } catch { /* closed by the pump */ }
    logFile = null;
  };

  const fetch = async (metric: string, fromSeconds?: number): Promise<WhisperPoint[]> => {
    const file = join(whisperDir, ...metric.split(".")) + ".wsp";
    try {
      await Deno.stat(file);
    } catch {
      return [];
    }
    const from = Math.floor(fromSeconds ?? Date.now() / 1000 - 3600);
    const output = await new Deno.Command(WHISPER_FETCH, {
      args: ["--json", `--from=${from}`, file],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!output.success) {
      throw new Error(`whisper-fetch ${file} failed: ${new TextDecoder().decode(output.stderr).trim()}`);
    }
    const data = JSON.parse(new TextDecoder().decode(output.stdout)) as {
      start: number;
      step: number;
      values: (number | null)[];
    };
    const points: WhisperPoint[] = [];
    data.values.forEach((value, index) => {
      if (value !== null) points.push([data.start + index * data.step, value]);
    });
    return points;
  };

  const waitForPoints = async (
    metric: string,
    done: (points: WhisperPoint[]) => boolean,
    timeoutMs = 15000,
  ): Promise<WhisperPoint[]> => {
    const deadline = Date.now() + timeoutMs;
    let points: WhisperPoint[] = [];
    while (Date.now() < deadline) {
      points = await fetch(metric);
      if (done(points)) return points;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(
      `carbon: metric ${metric} did not reach the expected points in ${timeoutMs} ms; have ${JSON.stringify(points)}`,
    );
  };

  await start();
  return {
    host: "127.0.0.1",
    port,
    whisperDir,
    fetch,
    waitForPoints,
    stop,
    start,
    async [Symbol.asyncDispose]() {
      await stop();
      await Deno.remove(root, { recursive: true }).catch(() => {});
    },
  };
}

async function waitForPort(port: number, child: Deno.ChildProcess, root: string): Promise<void> {
  let exited = false;
  child.status.then(() => exited = true);
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline && !exited) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const log = await Deno.readTextFile(join(root, "log", "console.log")).catch(() => "");
  try {
    child.kill("SIGKILL");
  } catch { /* exited */ }
  await child.status;
  throw new Error(`carbon-cache did not listen on 127.0.0.1:${port}: ${log.split("\n").slice(-5).join(" | ")}`);
}
