import assert from "node:assert/strict";
import { reportStatus } from "../../core/status/report.ts";
import { clearSecrets, registerSecret } from "../../core/redact.ts";
import type { ArchiverConfig } from "../../core/config/types.ts";
import { silentLogger } from "../../core/log/mod.ts";
import { tempDir } from "../_helpers/peers.ts";
import { appPaths, fakeRoles, type FakeWorld, range, writeState } from "./_fakes.ts";

function config(dir: string): ArchiverConfig {
  return {
    app: appPaths(dir),
    source_files: { run_records_dir: "/data/run_records" },
    artdaq_db: { database_uri: "mongodb://archiver:s3cretpw@db.example:27017/artdaq" },
    ucon_db: { server_url: "https://ucondb.example/app", folder_name: "sbnd", object_name: "run_records" },
    configFile: `${dir}/config.yaml`,
  } as unknown as ArchiverConfig;
}

async function run(world: FakeWorld, dir: string, flags: { compareState?: boolean; json?: boolean } = {}) {
  let out = "";
  const code = await reportStatus({
    config: config(dir),
    flags: { compareState: flags.compareState ?? false, json: flags.json ?? false, configFile: "config.yaml" },
    roles: fakeRoles(world),
    logger: silentLogger,
    write: (text) => (out += text),
  });
  return { code, out };
}

Deno.test("report R5: contiguous ranges, gaps, recommendations as the Python report prints them", async () => {
  await using dir = await tempDir();
  const { code, out } = await run({ fs: [1, 2, 3, 5, 7, 8], db: [1, 2, 3, 5], ucon: [] }, dir.path);
  assert.deepEqual(code, 0);
  assert.ok(out.includes("  Contiguous:      1-3, 5, 7-8\n"), out);
  assert.ok(out.includes("  Gaps:            4, 6\n"), out);
  assert.ok(out.includes("  Contiguous:      1-3, 5\n"), out);
  assert.ok(out.includes("  Status:          No runs found\n"), out);
  assert.ok(out.includes("1. Run IMPORTER: 2 run(s) on filesystem not in artdaqDB (range: 7-8)\n"), out);
  assert.ok(out.includes("2. Run MIGRATOR: 4 run(s) in artdaqDB not in UconDB (range: 1-5)\n"), out);
  assert.ok(out.includes("=".repeat(70) + "\nEND OF STATUS REPORT\n"), out);
});

Deno.test("report R6: all sources equal → synchronized", async () => {
  await using dir = await tempDir();
  const { code, out } = await run({ fs: [1, 2], db: [1, 2], ucon: [1, 2] }, dir.path);
  assert.deepEqual(code, 0);
  assert.ok(out.includes("1. All systems are synchronized - no action needed"), out);
});

Deno.test("report R7: --compare-state block with failures and the retry command", async () => {
  await using dir = await tempDir();
  await writeState(dir.path, "import", {
    done: [1, 2, 3, 5],
    lastContiguousRun: 3,
    failures: [{ run: 7, reason: "metadata.txt: no stop time", attempts: 3 }],
  });
  const { code, out } = await run({ fs: [1, 2, 3, 5, 7, 8], db: [1, 2, 3, 5], ucon: [] }, dir.path, {
    compareState: true,
  });
  assert.deepEqual(code, 0);
  assert.ok(out.includes("  Last Contiguous Run: 3\n"), out);
  assert.ok(out.includes("  Status:              All expected runs present in ArtdaqDB\n"), out);
  assert.ok(out.includes("  New Runs Available:  3 run(s) since last state update (range: 5-8)\n"), out);
  assert.ok(out.includes("  Status:              No migration state recorded\n"), out);
  assert.ok(out.includes("  Failed Runs:         1 run(s) logged as failed (7)\n"), out);
  assert.ok(out.includes("    - run 7: metadata.txt: no stop time (3 attempts"), out);
  assert.ok(out.includes("  Retry With:          deno task archive config.yaml --retry-failed-import\n"), out);
});

Deno.test("report R8 (improved): an unreachable source is marked, the report goes on, exit 1, no secret", async () => {
  await using dir = await tempDir();
  registerSecret("s3cretpw");
  try {
    const { code, out } = await run(
      { fs: [1, 2], db: [1, 2], ucon: [], down: { sink: true }, secretInErrors: "s3cretpw" },
      dir.path,
    );
    assert.deepEqual(code, 1);
    assert.match(out, /✗ UconDB query failed: UconDB unreachable \(password=\*\*\*\)/);
    assert.ok(out.includes("  Status:          UNREACHABLE"), out);
    assert.ok(out.includes("ARTDAQDB (Intermediate Storage)"), out);
    assert.ok(out.includes("mongodb://archiver:***@db.example:27017/artdaq"), out);
    assert.ok(!out.includes("s3cretpw"), out);
    assert.ok(!out.includes("Run MIGRATOR"), "no recommendation from an unreachable source");
  } finally {
    clearSecrets();
  }
});

Deno.test("report R9: more than 10 ranges and more than 20 gaps are shortened", async () => {
  await using dir = await tempDir();
  const odd = range(1, 23).filter((n) => n % 2 === 1);
  const { out } = await run({ fs: odd, db: [1, 50], ucon: [] }, dir.path);
  assert.ok(out.includes("  Contiguous:      1, 3, 5, 7, 9 ... 15, 17, 19, 21, 23 (12 ranges total)\n"), out);
  assert.ok(out.includes("  Gaps:            2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22\n"), out);
  assert.ok(
    out.includes(
      "  Gaps:            2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21 ... (48 gaps total)",
    ),
    out,
  );
});

Deno.test("report --json: machine-readable, gaps as ranges, fast over 100,000 runs spread wide", async () => {
  await using dir = await tempDir();
  // 100,000 runs with a gap after every run: 100,000 ranges and ~10^7 missing numbers that must not materialize.
  const fs = Array.from({ length: 100_000 }, (_, i) => 1000 + i * 100);
  const db = range(1000, 100_999);
  const started = performance.now();
  const { code, out } = await run({ fs, db, ucon: db }, dir.path, { json: true, compareState: true });
  const elapsed = performance.now() - started;
  assert.deepEqual(code, 0);
  const report = JSON.parse(out);
  assert.deepEqual(report.ok, true);
  assert.deepEqual(report.sources.filesystem.total, 100_000);
  assert.deepEqual(report.sources.filesystem.gapCount, 99_999 * 99);
  assert.deepEqual(report.sources.artdaqdb.contiguous, "1000-100999");
  assert.deepEqual(report.sources.artdaqdb.gaps, "");
  assert.ok(report.sources.filesystem.gaps.startsWith("1001-1099, 1101-1199"));
  assert.deepEqual(report.recommendations[0].code, "run-importer");
  assert.ok(elapsed < 3000, `report took ${elapsed} ms`);
});

Deno.test("report --compare-state with a corrupt state file: sources still reported, the error names the fix, exit 1", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/migrator_state.json`, "{not json");
  const { code, out } = await run({ fs: [1], db: [1], ucon: [1] }, dir.path, { compareState: true });
  assert.equal(code, 1);
  assert.ok(out.includes("  Contiguous:      1\n"), out);
  assert.match(
    out,
    /State files unreadable: state file '.*migrator_state\.json' is not valid JSON.*--recover-migrate-state/,
  );
});
