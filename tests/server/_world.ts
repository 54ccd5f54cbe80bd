/**
 * A status server over fake roles and real state files, for API and browser tests.
 *
 * @module
 */
import { createApp } from "../../core/server/app.ts";
import { StatusService } from "../../core/server/service.ts";
import { openStateView } from "../../core/status/state_view.ts";
import { ThroughputHistory } from "../../core/status/throughput.ts";
import { tempDir } from "../_helpers/peers.ts";
import { appPaths, fakeRoles, type FakeWorld, range, writeState } from "../status/_fakes.ts";

/** A running world: temp dir, service, app; dispose to clean up. */
export interface World extends AsyncDisposable {
  dir: string;
  service: StatusService;
  app: ReturnType<typeof createApp>;
}

/**
 * Runs 1000-1119: 1000-1099 archived, 1100-1104 imported, 1105-1107 failed (import 1105-1106, migrate 1107),
 * 1108-1119 waiting (1108 being imported by the running archiver); 1101 awaits its stop-time update.
 */
export function standardWorld(): FakeWorld {
  return { fs: range(1000, 1119), db: range(1000, 1107), ucon: range(1000, 1099) };
}

/** Build a world with the standard state (or `world` and a custom state writer). */
export async function openWorld(
  options: {
    world?: FakeWorld;
    token?: string | null;
    writeStates?: (dir: string) => Promise<void>;
    listingIntervalMs?: number;
  } = {},
): Promise<World> {
  const temp = await tempDir("status-server-");
  const world = options.world ?? standardWorld();
  await (options.writeStates ?? standardStates)(temp.path);
  // An archiver "holds the lock": this test process, so the PID is alive.
  await Deno.writeTextFile(`${temp.path}/.archiver.lock`, `${Deno.pid}\n`);
  const history = await ThroughputHistory.open(`${temp.path}/status_history.jsonl`);
  const now = Date.now();
  // Earlier samples so the chart has bars: 60 imported and 50 migrated over the last half hour.
  for (let i = 0; i <= 6; i++) {
    await history.record({ at: now - (30 - i * 5) * 60_000, imported: 48 + i * 10, migrated: 40 + i * 10 });
  }
  const service = new StatusService({
    roles: fakeRoles(world),
    state: openStateView({ app: appPaths(temp.path) } as never),
    configFile: "/etc/archiver/config.yaml",
    history,
    stateIntervalMs: 200,
    lockFile: `${temp.path}/.archiver.lock`,
    listingIntervalMs: options.listingIntervalMs ?? 60_000,
  });
  await service.refresh();
  const app = createApp({ service, token: options.token ?? null });
  return {
    dir: temp.path,
    service,
    app,
    async [Symbol.asyncDispose]() {
      await service.close();
      await temp[Symbol.asyncDispose]();
    },
  };
}

/** The standard state of `standardWorld`. */
export async function standardStates(dir: string): Promise<void> {
  await writeState(dir, "import", {
    done: range(1000, 1104).concat([1107]),
    lastContiguousRun: 1104,
    failures: [
      { run: 1105, reason: "metadata.txt: line 3: expected 'Key: value' <b>bold</b>", attempts: 3 },
      { run: 1106, reason: "boot.txt is not valid UTF-8 (byte 0xff at offset 12)", attempts: 3, permanent: true },
    ],
    pending: [1101],
    inFlight: [1108],
  });
  await writeState(dir, "migrate", {
    done: range(1000, 1099),
    lastContiguousRun: 1099,
    failures: [{ run: 1107, reason: "UconDB returned 503 Service Unavailable", attempts: 4 }],
  });
}
