/**
 * §17.3 migration scenarios through the CLI subprocess (original-archiver.md §17.3): the UconDB HTTP calls (M1) seen
 * by a recording proxy in front of the embedded UconDB server, non-run keys in the listing (M3, M4), and the Carbon
 * lines (M7, M8) caught on a TCP capture. M2, M5, M6, M9 and M10 are covered on the fakes and units
 * (docs/parity.md).
 */
import { join } from "node:path";
import { unpackBlob } from "../../core/blob/mod.ts";
import { startUconDBServer, UconDBClient } from "../../plugins/ucondb/mod.ts";
import { assertEquals } from "../state/_assert.ts";
import { tempDir } from "../_helpers/peers.ts";
import { cli, makeSite, readJson } from "../pipeline/_e2e.ts";
import { metadataText, PROCESS_FHICL, writeRun } from "../run-records/_runs.ts";
import { captureTcp, editConfig, recordingProxy } from "./_helpers.ts";

const TIMES = { start: "Mon Jun  2 09:00:00 UTC 2025", stop: "Mon Jun  2 09:30:00 UTC 2025" };
const encoder = new TextEncoder();

/** Carbon lines `<path> <value> <ts>` as [path, value] pairs. */
function metricLines(text: string): [string, number][] {
  return text.trim().split("\n").filter((l) => l !== "").map((line) => {
    const [path, value, ts] = line.split(" ");
    assertEquals(/^\d+$/.test(ts), true, `whole-second timestamp: ${line}`);
    return [path, Number(value)];
  });
}

Deno.test("M1/M3/M4/M7/M8: UconDB calls, non-run keys ignored, Carbon stage counters and call durations", async () => {
  await using dir = await tempDir();
  const site = await makeSite(dir.path, []);
  for (const run of [7, 100, 101]) {
    await writeRun(site.records, String(run), {
      "metadata.txt": metadataText("demo", TIMES),
      "boot.txt": "debug level: 1\n",
      "tpc01.fcl": PROCESS_FHICL,
    });
  }
  const ucondbDir = join(dir.path, "ucondb-external");
  const server = await startUconDBServer({
    dir: ucondbDir,
    users: { archiver: "e2e-secret-pw" },
    folders: ["run_records"],
  });
  await using proxy = recordingProxy(server.url);
  await using carbon = captureTcp();
  try {
    await editConfig(
      site,
      [/server_url: .*/, `server_url: ${proxy.url}`],
      [/$/, `carbon:\n  enabled: true\n  host: 127.0.0.1\n  port: ${carbon.port}\n  metric_prefix: parity.rra\n`],
    );
    // M8: nothing to migrate → 0/0/0 and no last_successful_run.
    let result = await cli(site, "--migrate-only");
    assertEquals(result.code, 0, result.out);
    let metrics = new Map(metricLines(carbon.text()));
    assertEquals(
      ["runs_processed", "runs_successful", "runs_failed"].map((m) => metrics.get(`parity.rra.migrate.${m}`)),
      [0, 0, 0],
    );
    assertEquals(metrics.has("parity.rra.migrate.last_successful_run"), false);

    result = await cli(site, "--import-only");
    assertEquals(result.code, 0, result.out);
    // M3/M4: keys "abc", "12a", a keyless version and "7" are in the object; only 7 is a run (P lists {7}; with a
    // null key P failed the whole listing, here it is ignored). 101 holds someone else's blob: a permanent conflict.
    const writer = new UconDBClient({
      serverUrl: server.url,
      folder: "run_records",
      user: "archiver",
      password: "e2e-secret-pw",
      timeoutSeconds: 5,
    });
    for (const key of ["abc", "12a", "7", "101"]) {
      await writer.put("configuration", encoder.encode(`not ours ${key}`), { key });
    }
    await writer.put("configuration", encoder.encode("keyless"));
    // A run in UconDB that this archiver has no record of is adopted as archived (switch-over from Python); one
    // it failed before is processed, so 101 is made a known failure.
    await Deno.writeTextFile(join(site.work, "migrate_failures.log"), "101\n");
    proxy.requests.length = 0;
    const before = carbon.text().length;

    result = await cli(site, "--migrate-only");
    assertEquals(result.code, 1, result.out);
    assertEquals(await Deno.readTextFile(join(site.work, "migrate_failures.log")), "101\n");
    const state = await readJson(site, "migrator_state.json");
    assertEquals(state.done, [[7, 7], [100, 100]]);
    assertEquals(state.last_attempted_run, 101);

    // M1: one authenticated POST per run with key = tag = N and no override; Digest auth (the unauthenticated
    // attempt before it is the 401 challenge). Verification reads metadata (`meta`), never the whole blob (I).
    const posts = proxy.requests.filter((r) => r.method === "POST" && r.url.includes("/data/"));
    const post100 = posts.filter((r) => new URL(r.url, "http://x").searchParams.get("key") === "100");
    const answered = post100.filter((r) => r.status !== 401);
    assertEquals(answered.length, 1, JSON.stringify(proxy.requests));
    const params = new URL(answered[0].url, "http://x").searchParams;
    assertEquals(new URL(answered[0].url, "http://x").pathname.endsWith("/data/run_records/configuration"), true);
    assertEquals(
      [params.get("key"), params.get("tag"), params.get("override"), params.get("full_meta")],
      ["100", "100", "no", "yes"],
    );
    assertEquals(answered[0].auth, "Digest");
    assertEquals(posts.some((r) => r.url.includes("key=7")), false, "run 7 is already in UconDB");
    assertEquals(proxy.requests.some((r) => r.method === "GET" && r.url.includes("/data/")), false);

    // The blob: §7.1 order (regular files sorted, then the end files in their fixed order).
    const blob = unpackBlob((await writer.getByKey("configuration", "100"))!);
    assertEquals(blob.run, 100);
    const names = blob.files.map((f) => f.path.replace(/^.*\//, ""));
    assertEquals(names.slice(-4), ["boot.fcl", "metadata.fcl", "RunHistory.fcl", "RunHistory2.fcl"]);
    assertEquals(names.indexOf("schema.fcl") < names.indexOf("tpc01.fcl"), true, String(names));
    writer.close();

    // M7: the Python counters and per-call durations under the Python names.
    const lines = metricLines(carbon.text().slice(before));
    metrics = new Map(lines);
    assertEquals(
      ["runs_processed", "runs_successful", "runs_failed", "last_successful_run"].map((m) =>
        metrics.get(`parity.rra.migrate.${m}`)
      ),
      [2, 1, 1, 100],
    );
    const uploads = lines.filter(([path]) => path === "parity.rra.UconDBClient.upload_blob.duration_ms");
    assertEquals(uploads.length, 2, "one per upload attempt (100, and the conflicting 101)");
    assertEquals(uploads.every(([, value]) => value >= 0), true);
    assertEquals(
      lines.some(([path]) => path === "parity.rra.ArtdaqDBClient.export_run_configuration.duration_ms"),
      true,
    );
    assertEquals(lines.some(([path]) => path === "parity.rra.ArtdaqDBClient.get_archived_runs.duration_ms"), true);
  } finally {
    await server.close();
  }
});
