import assert from "node:assert/strict";
import { leasedSink } from "../../core/status/lease.ts";
import { keepLastGoodRuns, querySources } from "../../core/status/sources.ts";
import type { Sink } from "../../core/roles.ts";
import { fakeRoles, type FakeWorld } from "./_fakes.ts";

Deno.test("leasedSink: concurrent calls share one instance, closed after the last; reopened after close", async () => {
  const events: string[] = [];
  let open = 0;
  const base = fakeRoles({ fs: [], db: [], ucon: [1, 2] }).sink;
  const lease = leasedSink("ucondb embedded:/x", async () => {
    if (open > 0) throw new Error("directory locked by another instance");
    open++;
    events.push("open");
    await new Promise((resolve) => setTimeout(resolve, 5));
    return {
      ...base,
      close: async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        open--;
        events.push("close");
      },
    } satisfies Sink;
  });
  const [runs, stat, blob] = await Promise.all([lease.listRuns(), lease.stat(1), lease.get(2)]);
  assert.deepEqual(runs, [1, 2]);
  assert.equal(stat?.run, 1);
  assert.ok(blob && blob.length > 0);
  assert.deepEqual(events, ["open", "close"]);
  assert.deepEqual(await lease.listRuns(), [1, 2]);
  assert.deepEqual(events, ["open", "close", "open", "close"]);
  assert.equal(lease.describe(), "ucondb embedded:/x");
});

Deno.test("leasedSink: an open failure says what to suspect and the next call tries again", async () => {
  let fail = true;
  const base = fakeRoles({ fs: [], db: [], ucon: [7] }).sink;
  const lease = leasedSink(
    "ucondb embedded:/x",
    () => fail ? Promise.reject(new Error("is used by another server")) : Promise.resolve(base),
  );
  await assert.rejects(
    lease.listRuns(),
    /cannot open ucondb embedded:\/x \(an archiver may be using it right now\): is used by another server/,
  );
  fail = false;
  assert.deepEqual(await lease.listRuns(), [7]);
});

Deno.test("keepLastGoodRuns: an unreachable source keeps the runs of its last good listing, marked", async () => {
  const world: FakeWorld = { fs: [1, 2], db: [1], ucon: [1] };
  const first = await querySources(fakeRoles(world));
  world.down = { sink: true };
  const second = keepLastGoodRuns(await querySources(fakeRoles(world)), first);
  assert.equal(second.ucondb.reachable, false);
  assert.deepEqual(second.ucondb.runs, [1]);
  assert.equal(second.ucondb.runsFrom, first.takenAt);
  const third = keepLastGoodRuns(await querySources(fakeRoles(world)), second);
  assert.equal(third.ucondb.runsFrom, first.takenAt, "still the time of the last listing that answered");
  world.down = {};
  const back = keepLastGoodRuns(await querySources(fakeRoles(world)), third);
  assert.equal(back.ucondb.reachable, true);
  assert.equal(back.ucondb.runsFrom, undefined);
});
