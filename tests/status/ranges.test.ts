import assert from "node:assert/strict";
import {
  compactRanges,
  difference,
  formatGaps,
  formatList,
  formatRanges,
  gapRanges,
  sortedUnique,
  toRanges,
  upperBound,
} from "../../core/status/ranges.ts";
import { ThroughputHistory } from "../../core/status/throughput.ts";
import { tempDir } from "../_helpers/peers.ts";

Deno.test("ranges: maximal ranges, gaps, Python shortening rules", () => {
  const ranges = toRanges([1, 2, 3, 5, 7, 8]);
  assert.deepEqual(ranges, [[1, 3], [5, 5], [7, 8]]);
  assert.equal(formatRanges(ranges), "1-3, 5, 7-8");
  assert.equal(formatGaps(ranges), "4, 6");
  assert.equal(formatRanges([]), "None");
  assert.equal(formatGaps(toRanges([1, 2])), "None");
  assert.equal(
    formatGaps(toRanges([1, 1_000_000])),
    [...Array(20)].map((_, i) => i + 2).join(", ") + " ... (999998 gaps total)",
  );
  assert.equal(compactRanges(gapRanges(toRanges([100, 201, 305]))), "101-200, 202-304");
  assert.equal(formatList(toRanges([1, 2, 3]), 2, "runs"), "1, 2 ... (3 runs total)");
});

Deno.test("ranges: set helpers are linear and exact", () => {
  assert.deepEqual(sortedUnique([5, 1, 5, 3, 1]), [1, 3, 5]);
  const sorted = [1, 2, 3];
  const copy = sortedUnique(sorted);
  copy.push(4);
  assert.deepEqual(sorted, [1, 2, 3], "the input is never modified");
  assert.deepEqual(difference([1, 2, 3, 5, 8], [2, 5, 9]), [1, 3, 8]);
  assert.equal(upperBound([1, 3, 5], 3), 2);
  assert.equal(upperBound([1, 3, 5], 0), 0);
  assert.equal(upperBound([1, 3, 5], 9), 3);
});

Deno.test("throughput: differences between samples per bucket, failures by their time, persisted", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/status_history.jsonl`;
  const now = Date.UTC(2026, 10, 29, 12, 0, 0);
  const history = await ThroughputHistory.open(path);
  assert.equal(await history.record({ at: now - 50 * 60_000, imported: 10, migrated: 5 }), true);
  assert.equal(await history.record({ at: now - 40 * 60_000, imported: 10, migrated: 5 }), false, "unchanged");
  await history.record({ at: now - 30 * 60_000, imported: 40, migrated: 25 });
  await history.record({ at: now - 29 * 60_000, imported: 0, migrated: 0 }); // a recovery rewrote the state
  await history.record({ at: now - 10 * 60_000, imported: 12, migrated: 6 });
  const reopened = await ThroughputHistory.open(path);
  assert.equal(reopened.samples().length, 4);
  const series = reopened.series({ now, buckets: 60, failureTimes: [now - 10 * 60_000, now - 90 * 60_000] });
  assert.equal(series.bucketMs, 60_000);
  const total = (key: "imported" | "migrated" | "failed") => series.buckets.reduce((sum, b) => sum + b[key], 0);
  assert.equal(total("imported"), 30 + 12);
  assert.equal(total("migrated"), 20 + 6);
  assert.equal(total("failed"), 1, "a failure outside the window is not counted");
  await Deno.writeTextFile(path, "{torn", { append: true });
  assert.equal((await ThroughputHistory.open(path)).samples().length, 4, "a torn last line is skipped");
});

Deno.test("throughput: the history is bounded, halved when full (file rewritten once per half)", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/status_history.jsonl`;
  const history = await ThroughputHistory.open(path, { maxSamples: 10 });
  for (let i = 1; i <= 11; i++) await history.record({ at: i * 1000, imported: i, migrated: i });
  assert.deepEqual(history.samples().map((s) => s.imported), [7, 8, 9, 10, 11]);
  assert.equal((await Deno.readTextFile(path)).trimEnd().split("\n").length, 5);
  await history.record({ at: 12_000, imported: 12, migrated: 12 });
  assert.equal((await ThroughputHistory.open(path, { maxSamples: 10 })).samples().length, 6);
  const memory = ThroughputHistory.inMemory({ maxSamples: 4 });
  for (let i = 1; i <= 5; i++) await memory.record({ at: i, imported: i, migrated: 0 });
  assert.deepEqual(memory.samples().map((s) => s.imported), [4, 5]);
});
