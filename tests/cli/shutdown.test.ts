import assert from "node:assert/strict";
import { ShutdownController } from "../../core/cli/shutdown.ts";
import { RecordingLogger } from "../_helpers/recorders.ts";

class Exited extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

function controller(clock: { now: number }) {
  return new ShutdownController({
    now: () => clock.now,
    exit: (code) => {
      throw new Exited(code);
    },
  });
}

Deno.test("first signal requests a graceful shutdown and aborts the signal with the reason", () => {
  const clock = { now: 0 };
  const shutdown = controller(clock);
  const logger = new RecordingLogger();
  shutdown.setLogger(logger);
  assert.equal(shutdown.requested, false);
  shutdown.handleSignal("SIGINT");
  assert.equal(shutdown.requested, true);
  assert.equal(shutdown.reason, "User request");
  assert.equal(shutdown.signal.aborted, true);
  assert.equal(shutdown.signal.reason, "User request");
  assert.deepEqual(logger.at("warn").slice(1, 4), [
    "GRACEFUL SHUTDOWN REQUESTED (Ctrl-C)",
    "Current run will finish processing...",
    "Press Ctrl-C two more times within 2 seconds for immediate shutdown",
  ]);
});

Deno.test("the third signal within 2 s exits 130 after the before-exit hooks; slower signals restart the count", () => {
  const clock = { now: 0 };
  const shutdown = controller(clock);
  const logger = new RecordingLogger();
  shutdown.setLogger(logger);
  let closed = false;
  shutdown.onImmediateExit(() => closed = true);
  shutdown.handleSignal("SIGINT");
  clock.now = 1500;
  shutdown.handleSignal("SIGINT");
  assert.equal(logger.at("warn").at(-1), "Ctrl-C pressed 2/3 times - press 1 more for immediate shutdown");
  clock.now = 3600; // more than 2 s after the previous one: the count restarts
  shutdown.handleSignal("SIGINT");
  assert.equal(shutdown.count, 1);
  clock.now = 4000;
  shutdown.handleSignal("SIGINT");
  clock.now = 4500;
  assert.throws(() => shutdown.handleSignal("SIGINT"), (error) => error instanceof Exited && error.code === 130);
  assert.equal(logger.at("warn").at(-1), "IMMEDIATE SHUTDOWN REQUESTED (3x Ctrl-C)");
  assert.equal(closed, true);
  assert.equal(shutdown.reason, "User request", "the first reason is kept");
});

Deno.test("other triggers: SIGTERM reason, request() from the lock monitor, first reason wins", () => {
  const shutdown = controller({ now: 0 });
  shutdown.setLogger(new RecordingLogger());
  shutdown.request("Lock file removed");
  shutdown.handleSignal("SIGTERM");
  assert.equal(shutdown.reason, "Lock file removed");
  const term = controller({ now: 0 });
  term.setLogger(new RecordingLogger());
  term.handleSignal("SIGTERM");
  assert.equal(term.reason, "Termination signal (SIGTERM)");
});
