/**
 * The batch's state saver (core/pipeline/batch.ts `ThrottledSaver`): commit before save, at most one save per
 * interval, and an interval that grows with the cost of a save (a store whose index rewrite takes long).
 */
import assert from "node:assert/strict";
import { MAX_SAVE_INTERVAL_MS, SAVE_COST_FACTOR, ThrottledSaver } from "../../core/pipeline/batch.ts";
import type { StageState } from "../../core/state/mod.ts";

/** A saver on a fake clock whose commit takes `commitMs` of it; records the order of commits and saves. */
function harness(commitMs: number) {
  let now = 0;
  const events: string[] = [];
  const saver = new ThrottledSaver({} as StageState, 1000, () => {
    events.push(`commit@${now}`);
    now += commitMs;
    return Promise.resolve();
  }, {
    save: () => {
      events.push(`save@${now}`);
      return Promise.resolve();
    },
    now: () => now,
  });
  return { saver, events, advance: (ms: number) => now += ms };
}

Deno.test("saver: commits before it saves, at most once per second while saves are cheap", async () => {
  const { saver, events, advance } = harness(5);
  saver.poke(); // within the first second after the batch's own save: nothing
  await saver.flush();
  assert.deepEqual(events, ["commit@0", "save@5"]);
  events.length = 0;
  advance(500);
  saver.poke();
  await Promise.resolve();
  assert.equal(events.length, 0, "0.5 s after the last save");
  advance(600);
  saver.poke();
  saver.poke(); // coalesced
  await saver.flush();
  assert.equal(saver.intervalMs, 1000);
  assert.deepEqual(events.filter((e) => e.startsWith("save")).length, 2, "the poke's save and the flush's");
});

Deno.test("saver: a slow save (a large index) spaces the saves to SAVE_COST_FACTOR times its duration", async () => {
  const { saver, events, advance } = harness(400);
  await saver.flush();
  assert.equal(saver.intervalMs, SAVE_COST_FACTOR * 400);
  events.length = 0;
  advance(2000); // > 1 s but < 4 s after that save started
  saver.poke();
  await Promise.resolve();
  assert.equal(events.length, 0);
  advance(2500);
  saver.poke();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(events.filter((e) => e.startsWith("save")).length, 1);
});

Deno.test("saver: the interval never exceeds MAX_SAVE_INTERVAL_MS, however slow a save", async () => {
  const { saver } = harness(60_000);
  await saver.flush();
  assert.equal(saver.intervalMs, MAX_SAVE_INTERVAL_MS);
});
