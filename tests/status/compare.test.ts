import assert from "node:assert/strict";
import { compareRun } from "../../core/status/compare.ts";
import { compareRuns, renderRun, renderSummary, selectRuns, summarize } from "../../core/status/compare_command.ts";
import { unifiedDiff } from "../../core/status/diff.ts";
import { StoreError } from "../../core/errors.ts";
import { parseRunSelection } from "../../core/cli/runs.ts";
import { fakeRoles, runFiles } from "./_fakes.ts";

const encoder = new TextEncoder();

Deno.test("unifiedDiff: diff -u layout, merged hunks, missing final newline", () => {
  const a = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n";
  const b = "a\nB\nc\nd\ne\nf\ng\nh\ni\nJ\nk\nl";
  assert.equal(
    unifiedDiff(a, b, { fromName: "x", toName: "y" }),
    [
      "--- x",
      "+++ y",
      "@@ -1,5 +1,5 @@",
      " a",
      "-b",
      "+B",
      " c",
      " d",
      " e",
      "@@ -7,5 +7,6 @@",
      " g",
      " h",
      " i",
      "-j",
      "+J",
      " k",
      "+l",
      "\\ No newline at end of file",
      "",
    ].join("\n"),
  );
  assert.equal(unifiedDiff("same\n", "same\n"), "");
  assert.equal(unifiedDiff("", "x\n"), "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n");
});

Deno.test("unifiedDiff: large files stay fast and bounded", () => {
  const big = Array.from({ length: 50_000 }, (_, i) => `line ${i}`);
  const changed = big.slice();
  changed[100] = "changed";
  changed.splice(30_000, 5);
  const started = performance.now();
  const diff = unifiedDiff(big.join("\n") + "\n", changed.join("\n") + "\n");
  assert.ok(performance.now() - started < 2000);
  assert.match(diff, /^-line 100\n\+changed$/m);
  assert.match(diff, /^@@ -29998,11 \+29998,6 @@$/m);
  // Two unrelated files: the edit-distance bound falls back to remove-all/add-all instead of O(N·M).
  const left = Array.from({ length: 5000 }, (_, i) => `a ${i}`).join("\n");
  const right = Array.from({ length: 5000 }, (_, i) => `b ${i}`).join("\n");
  const t = performance.now();
  assert.ok(unifiedDiff(left, right).length > 0);
  assert.ok(performance.now() - t < 3000);
});

Deno.test("compareRun: matching, different with a readable diff, missing and extra files", async () => {
  const blobFiles = new Map([[11, [
    { path: "boot.fcl", data: encoder.encode("daq: {\n  run_number: 11\n  partition: 2\n}\n") },
    { path: "metadata.fcl", data: runFiles(11)[1].data },
    { path: "extra.fcl", data: encoder.encode("x: 1\n") },
  ]]]);
  const roles = fakeRoles({ fs: [], db: [10, 11], ucon: [10, 11], blobFiles });
  const same = await compareRun(10, roles);
  assert.equal(same.status, "matching");
  assert.equal(same.matchingFiles, 3);
  assert.deepEqual(same.files, []);

  const diff = await compareRun(11, roles);
  assert.equal(diff.status, "different");
  assert.equal(diff.matchingFiles, 1);
  assert.deepEqual(diff.files.map((f) => [f.path, f.status]), [
    ["RunHistory.fcl", "missing_in_ucondb"],
    ["boot.fcl", "different"],
    ["extra.fcl", "extra_in_ucondb"],
  ]);
  assert.equal(
    diff.files[1].diff,
    "--- artdaqdb/boot.fcl\n+++ ucondb/boot.fcl\n@@ -1,4 +1,4 @@\n daq: {\n   run_number: 11\n-  partition: 1\n+  partition: 2\n }\n",
  );
  const text = renderRun(diff);
  assert.match(text, /^✗ Run 11: differences found \(1 file\(s\) match\)$/m);
  assert.match(text, /^ {2}- RunHistory\.fcl: missing in UconDB$/m);
  assert.match(text, /^ {4}\+ {2}partition: 2$/m);

  const ignoring = await compareRun(11, roles, { ignoreFiles: ["RunHistory", "extra", "boot"] });
  assert.equal(ignoring.status, "matching");
});

Deno.test("compareRun: missing sides and errors are told apart", async () => {
  const roles = fakeRoles({ fs: [], db: [1], ucon: [2] });
  assert.equal((await compareRun(1, roles)).status, "missing_ucondb");
  assert.equal((await compareRun(2, roles)).status, "missing_artdaqdb");
  const broken = { ...roles, store: { exportRun: () => Promise.reject(new StoreError("mongodb timed out")) } };
  const failed = await compareRun(1, broken);
  assert.equal(failed.status, "failed");
  assert.equal(failed.error, "mongodb timed out");
  const garbage = { ...roles, sink: { get: () => Promise.resolve(encoder.encode("not a blob")) } };
  const unpack = await compareRun(1, garbage);
  assert.equal(unpack.status, "failed");
  assert.match(unpack.error!, /cannot be unpacked/);
});

Deno.test("compare command pieces: run selection, ordered streaming results, summary and exit logic", async () => {
  const blobFiles = new Map([[3, [{ path: "boot.fcl", data: encoder.encode("other\n") }]]]);
  const roles = fakeRoles({ fs: [], db: [1, 2, 3, 5], ucon: [1, 2, 3, 4], blobFiles });
  assert.deepEqual(await selectRuns(roles), [1, 2, 3, 4, 5]);
  assert.deepEqual(await selectRuns(roles, parseRunSelection("2-3,9")), [2, 3, 9]);
  const seen: number[] = [];
  const results = await compareRuns([1, 2, 3, 4, 5], roles, {}, 3, (r) => seen.push(r.run));
  assert.deepEqual(seen, [1, 2, 3, 4, 5]);
  const summary = summarize(results);
  assert.deepEqual(summary, {
    compared: 3,
    matching: 2,
    different: 1,
    failed: 0,
    missingArtdaqdb: 1,
    missingUcondb: 1,
  });
  const text = renderSummary(summary, results);
  assert.match(text, /^CRITICAL: MIGRATION VALIDATION FAILED$/m);
  assert.match(text, /^Matching runs: 2 \(66\.7%\)$/m);
  assert.match(text, /^Runs to investigate: 3$/m);
  const clean = summarize(results.filter((r) => r.run !== 3));
  assert.match(renderSummary(clean, []), /All runs match! Migration validation PASSED\./);
});
