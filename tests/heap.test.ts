/**
 * The main thread's heap governor (core/heap.ts): when it collects, what it takes as the live size, that it is off
 * without `gc`, and that under the archiver's V8 flags it really bounds a heap V8 would let grow.
 */
import assert from "node:assert/strict";
import { ARCHIVER_V8_FLAGS } from "../core/cli/v8_flags.ts";
import {
  type HeapAccess,
  heapCheckpoint,
  HeapGovernor,
  MIN_HEAP_SLACK,
  PRESSURE_RSS,
  PRESSURE_SLACK,
} from "../core/heap.ts";

const MB = 2 ** 20;

/** A heap of `live` bytes plus garbage that a collection removes. */
class FakeHeap implements HeapAccess {
  live = 10 * MB;
  garbage = 0;
  collections = 0;
  resident = 100 * MB;
  used(): number {
    return this.live + this.garbage;
  }
  /** Options giving the governor this heap and its resident memory. */
  get options(): { access: HeapAccess; rss: () => number } {
    return { access: this, rss: () => this.resident };
  }
  collect(): void {
    this.garbage = 0;
    this.collections++;
  }
}

Deno.test("heap governor: collects once the heap outgrows the live size by the slack, then measures the live size", () => {
  const heap = new FakeHeap();
  const governor = new HeapGovernor(heap.options);
  assert.equal(governor.active, true);
  heap.garbage = MIN_HEAP_SLACK; // exactly the slack: not yet
  assert.equal(governor.check(), false);
  heap.garbage = MIN_HEAP_SLACK + 1;
  assert.equal(governor.check(), true);
  assert.equal(heap.collections, 1);
  assert.equal(governor.collections, 1);
  // The live size grew (an index); the next trigger is measured from it.
  heap.live = 40 * MB;
  heap.garbage = 0;
  assert.equal(governor.check(), false);
  heap.garbage = MIN_HEAP_SLACK + 1; // above the old live size + slack, but live grew: one collection
  assert.equal(governor.check(), true);
  heap.garbage = MIN_HEAP_SLACK; // live 40 MB now: the same growth is within the slack
  assert.equal(governor.check(), false);
});

Deno.test("heap governor: the slack is at least half the live heap (a large live heap is not collected every second)", () => {
  const heap = new FakeHeap();
  heap.live = 400 * MB;
  const governor = new HeapGovernor(heap.options);
  heap.garbage = 150 * MB; // > 32 MB, < 200 MB
  assert.equal(governor.check(), false);
  heap.garbage = 201 * MB;
  assert.equal(governor.check(), true);
});

Deno.test("heap governor: above PRESSURE_RSS of resident memory the slack is a quarter of the live heap, at least PRESSURE_SLACK", () => {
  const heap = new FakeHeap();
  const governor = new HeapGovernor(heap.options);
  heap.resident = PRESSURE_RSS; // at the mark: not yet under pressure
  heap.garbage = PRESSURE_SLACK + 1;
  assert.equal(governor.check(), false);
  heap.resident = PRESSURE_RSS + 1;
  heap.garbage = PRESSURE_SLACK; // exactly the slack: not yet
  assert.equal(governor.check(), false);
  heap.garbage = PRESSURE_SLACK + 1;
  assert.equal(governor.check(), true);
  // A large live heap under pressure: a quarter of it.
  heap.live = 100 * MB;
  heap.garbage = 0;
  governor.rebase();
  heap.garbage = 25 * MB;
  assert.equal(governor.check(), false);
  heap.garbage = 25 * MB + 1;
  assert.equal(governor.check(), true);
  assert.equal(heap.collections, 2);
});

Deno.test("heap governor: without an exposed gc it is inactive and never collects", async () => {
  // In a child without --expose-gc, whatever flags this test process runs with.
  const code = `
    import { HeapGovernor } from ${JSON.stringify(new URL("../core/heap.ts", import.meta.url).href)};
    const governor = HeapGovernor.start();
    console.log(JSON.stringify([governor.active, governor.check()]));
    governor.stop();
  `;
  const out = await new Deno.Command(Deno.execPath(), { args: ["eval", code], stdout: "piped", stderr: "piped" })
    .output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const [active, collected] = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.equal(active, false);
  assert.equal(collected, false);
});

Deno.test("heap governor: with the archiver's V8 flags it is active and keeps a churning heap near its live size", async () => {
  // A child with the archive task's flags keeps 20 MB alive and allocates ~1 GB of objects that survive a while
  // (as the archiver's index entries and documents do), with the governor on or off; it prints its peak heap size.
  // V8 alone let this heap reach ~440 MB; governed, ~135 MB.
  const child = (governed: boolean) => `
    import { getHeapStatistics } from "node:v8";
    import { HeapGovernor } from ${JSON.stringify(new URL("../core/heap.ts", import.meta.url).href)};
    const governor = ${governed} ? HeapGovernor.start({ intervalMs: 10 }) : null;
    const keep = Array.from({ length: 20 }, () => new Array(128 * 1024).fill(1.5));
    let peak = 0;
    const ring = [];
    for (let i = 0; i < 400; i++) {
      ring.push(Array.from({ length: 20000 }, (_, j) => ({ i, j, s: "x" + j })));
      if (ring.length > 30) ring.shift();
      if (i % 5 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      peak = Math.max(peak, getHeapStatistics().total_heap_size);
    }
    console.log(JSON.stringify({ active: governor?.active ?? false, collections: governor?.collections ?? 0, peak, kept: keep.length }));
  `;
  const run = async (governed: boolean) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", `--v8-flags=${ARCHIVER_V8_FLAGS}`, child(governed)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    return JSON.parse(new TextDecoder().decode(out.stdout)) as { active: boolean; collections: number; peak: number };
  };
  const governed = await run(true);
  const free = await run(false);
  assert.equal(governed.active, true, "ARCHIVER_V8_FLAGS exposes gc");
  assert.ok(governed.collections > 0, "the governor collected");
  assert.ok(
    governed.peak < free.peak * 0.6,
    `peak heap with the governor ${(governed.peak / MB).toFixed(0)} MB, without ${(free.peak / MB).toFixed(0)} MB`,
  );
});

Deno.test("heap governor: heapCheckpoint checks the running governor (long synchronous work), none once stopped", () => {
  const heap = new FakeHeap();
  heapCheckpoint(); // none running: nothing happens
  const governor = HeapGovernor.start({ ...heap.options, intervalMs: 60_000 });
  try {
    heap.garbage = MIN_HEAP_SLACK + 1;
    heapCheckpoint();
    assert.equal(heap.collections, 1, "collected at the checkpoint, not at the timer");
  } finally {
    governor.stop();
  }
  heap.garbage = MIN_HEAP_SLACK + 1;
  heapCheckpoint();
  assert.equal(heap.collections, 1, "a stopped governor is not checked");
});

Deno.test("compactHeap: with the archiver's V8 flags it gives the grown young generation back; without gc it does nothing", async () => {
  const child = `
    import { getHeapSpaceStatistics } from "node:v8";
    import { compactHeap } from ${JSON.stringify(new URL("../core/heap.ts", import.meta.url).href)};
    const young = () => getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size;
    let ring = [];
    for (let i = 0; i < 3_000_000; i++) {
      ring.push({ i, s: "x" + i });
      if (ring.length > 300_000) ring = [];
    }
    ring = [];
    const before = young();
    const ran = compactHeap();
    console.log(JSON.stringify({ ran, before, after: young() }));
  `;
  const run = async (flags: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", ...flags, child],
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    return JSON.parse(new TextDecoder().decode(out.stdout)) as { ran: boolean; before: number; after: number };
  };
  const compacted = await run([`--v8-flags=${ARCHIVER_V8_FLAGS}`]);
  assert.equal(compacted.ran, true);
  // The churn grows the young generation towards its maximum (16 MB under `--max-semi-space-size=8`), from ~1 MB.
  assert.ok(compacted.before >= 8 * MB, `the churn grew the young generation to ${compacted.before / MB} MB`);
  assert.ok(compacted.after <= 2 * MB, `after compactHeap: ${compacted.after / MB} MB`);
  const plain = await run([]);
  assert.equal(plain.ran, false);
});

Deno.test("heap governor: under memory pressure every timed check also trims the C heap, with or without gc; not below the mark, none once stopped", async () => {
  let resident = PRESSURE_RSS;
  for (const access of [new FakeHeap(), undefined]) {
    let trims = 0;
    // Without `access`, this test process (no --expose-gc) gives the governor no gc: only the trim runs.
    const governor = HeapGovernor.start({ access, rss: () => resident, trim: () => trims++, intervalMs: 5 });
    assert.equal(governor.active, access !== undefined);
    resident = PRESSURE_RSS; // at the mark: no pressure
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(trims, 0, "no trim below the mark");
    resident = PRESSURE_RSS + 1;
    const deadline = Date.now() + 5000;
    while (trims < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    governor.stop();
    assert.ok(trims >= 3, `${trims} trims in 5 s`);
    const stopped = trims;
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(trims, stopped);
  }
});
