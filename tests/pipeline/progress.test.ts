import { assertEquals } from "../state/_assert.ts";
import { Progress } from "../../core/pipeline/progress.ts";
import { formatBytes } from "../../core/pipeline/summary.ts";
import { describeRuns, limitBatch, selectionFilter } from "../../core/pipeline/candidates.ts";

Deno.test("the progress bar draws the first and last state and clears its line", () => {
  const written: string[] = [];
  const bar = new Progress({ write: (text) => written.push(text) });
  bar.start("Import", 4);
  for (let i = 0; i < 3; i++) bar.tick(true);
  bar.tick(false);
  bar.end();
  assertEquals(written[0], `\r\x1b[KImport [${".".repeat(30)}] 0/4`);
  assertEquals(written.at(-2), `\r\x1b[KImport [${"#".repeat(30)}] 4/4, 1 failed`);
  assertEquals(written.at(-1), "\r\x1b[K");
  const silent = new Progress(null);
  silent.start("Import", 2);
  silent.tick(true);
  silent.end();
});

Deno.test("selection, batch limits and run descriptions", () => {
  const keep = selectionFilter({ text: "100-200,305", ranges: [{ from: 100, to: 200 }, { from: 305, to: 305 }] });
  assertEquals([99, 100, 150, 200, 201, 305, 306].filter(keep), [100, 150, 200, 305]);
  assertEquals(selectionFilter(undefined)(7), true);
  assertEquals(limitBatch([1, 2, 3, 4, 5, 6], { incremental: true, batchSize: 2 }), { batch: [1, 2], remaining: 4 });
  assertEquals(limitBatch([1, 2, 3], { incremental: false, batchSize: 2 }), { batch: [1, 2, 3], remaining: 0 });
  assertEquals(limitBatch([1, 2, 3], { incremental: true, batchSize: 1, unlimited: true }).batch, [1, 2, 3]);
  assertEquals(describeRuns([1, 2, 3, 5, 7, 8]), "1-3, 5, 7-8");
  assertEquals(describeRuns([1, 3, 5], 2), "1, 3, ...");
  assertEquals([formatBytes(512), formatBytes(47_800)], ["512 B", "46.7 KiB"]);
});
