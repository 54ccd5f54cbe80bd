/**
 * core/notify.ts: the notification text, deduplication across invocations (the ledger file), and that a failing,
 * throwing or hanging notifier never throws out of the notification path nor holds it up.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  composeFailureNotification,
  forgetNotified,
  LEDGER_FILE,
  NotificationLedger,
  notificationStage,
  notifyAll,
  notifyFailures,
  retryCommandFor,
} from "../../core/notify.ts";
import { clearSecrets, registerSecret } from "../../core/redact.ts";
import type { FailureItem, Notification, Notifier } from "../../core/roles.ts";
import { tempDir } from "../_helpers/peers.ts";
import { RecordingLogger } from "../_helpers/recorders.ts";

/** A notifier that records what it was given and behaves as told. */
class FakeNotifier implements Notifier {
  readonly received: Notification[] = [];
  constructor(readonly kind: string, readonly behaviour: "ok" | "reject" | "throw" | "hang" = "ok") {}
  notify(notification: Notification): Promise<void> {
    this.received.push(notification);
    if (this.behaviour === "throw") throw new Error(`${this.kind} exploded synchronously`);
    if (this.behaviour === "reject") return Promise.reject(new Error(`${this.kind} server said no`));
    if (this.behaviour === "hang") return new Promise(() => {});
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const failure = (run: number, reason = "UconDB answered 503", stage = "migration"): FailureItem => ({
  run,
  stage,
  reason,
  attempts: 3,
});

Deno.test("compose: the Python subject and body first, then reasons, attempts and the retry command", () => {
  const notification = composeFailureNotification({
    stage: "import",
    failures: [failure(5, "schema.fcl missing", "import"), failure(3, "bad FHiCL\n  at line 4", "import")],
    retryCommand: retryCommandFor("import", "/etc/archiver/config.yaml"),
    host: "daq01",
    now: new Date(2026, 0, 2, 3, 4, 5),
  });
  assert.equal(notification.subject, "Run Record Archiver Import Errors on daq01 at 2026-01-02 03:04:05");
  assert.equal(
    notification.text,
    [
      "The following runs failed during the import stage:",
      "",
      "3",
      "5",
      "",
      "Details:",
      "  run 3: import failed after 3 attempts: bad FHiCL at line 4",
      "  run 5: import failed after 3 attempts: schema.fcl missing",
      "",
      "Retry the failed runs with:",
      "  deno task archive /etc/archiver/config.yaml --retry-failed-import",
      "",
      "Host: daq01, time: 2026-01-02 03:04:05",
      "",
    ].join("\n"),
  );
  assert.deepEqual(notification.failures.map((f) => f.run), [3, 5]);
  assert.equal(notification.stage, "import");
});

Deno.test("compose: stage words, retry command quoting, secrets redacted, long reasons cut", () => {
  assert.equal(notificationStage("migrate"), "migration");
  assert.equal(notificationStage("Import"), "import");
  assert.equal(
    retryCommandFor("migrate", "my config.yaml"),
    "deno task archive 'my config.yaml' --retry-failed-migrate",
  );
  registerSecret("hunter2-secret");
  try {
    const notification = composeFailureNotification({
      stage: "migrate",
      failures: [failure(1, `login hunter2-secret refused ${"x".repeat(1000)}`)],
      retryCommand: "x",
      host: "h",
    });
    assert.ok(!notification.text.includes("hunter2-secret"));
    assert.match(notification.text, /login \*\*\* refused x+…\n/);
    assert.ok(notification.failures[0].reason.length <= 500);
    assert.match(notification.subject, /^Run Record Archiver Migration Errors on h at /);
  } finally {
    clearSecrets();
  }
});

Deno.test("notifyFailures: the same failure is not sent again by a later invocation; new ones are", async () => {
  await using dir = await tempDir();
  const logger = new RecordingLogger();
  const notifier = new FakeNotifier("email");
  const base = { notifiers: [notifier], stage: "migration", retryCommand: "retry", workDir: dir.path, logger };

  const first = await notifyFailures({ ...base, failures: [failure(10), failure(11)] });
  assert.deepEqual(first.sent, ["email"]);
  assert.equal(notifier.received.length, 1);

  // A later invocation (fresh ledger read from disk) with the same failures: nothing sent.
  const second = await notifyFailures({ ...base, failures: [failure(11), failure(10)] });
  assert.equal(second.notification, null);
  assert.equal(second.suppressed, 2);
  assert.equal(notifier.received.length, 1);
  assert.match(logger.at("info").at(-1) ?? "", /2 migration failures were already notified/);

  // One new run and one old run failing for a new reason: one message about those two only.
  const third = await notifyFailures({
    ...base,
    failures: [failure(10), failure(11, "verification failed"), failure(12)],
  });
  assert.equal(third.suppressed, 1);
  assert.deepEqual(notifier.received[1].failures.map((f) => f.run), [11, 12]);
  assert.match(notifier.received[1].text, /1 more run of this batch failed as already reported/);

  // Run 10 succeeded since: its next identical failure is news again.
  await forgetNotified(dir.path, "migrate", [10], logger);
  await notifyFailures({ ...base, failures: [failure(10)] });
  assert.deepEqual(notifier.received[2].failures.map((f) => f.run), [10]);

  const ledger = JSON.parse(await Deno.readTextFile(join(dir.path, LEDGER_FILE)));
  assert.deepEqual(Object.keys(ledger.notified), ["migration/10", "migration/11", "migration/12"]);
});

Deno.test("notifyFailures: when every notifier fails nothing is remembered, so the next invocation retries", async () => {
  await using dir = await tempDir();
  const logger = new RecordingLogger();
  const failing = new FakeNotifier("slack", "reject");
  const base = { stage: "import", retryCommand: "retry", workDir: dir.path, logger, failures: [failure(7)] };
  const result = await notifyFailures({ ...base, notifiers: [failing] });
  assert.deepEqual(result.failed, ["slack"]);
  await assert.rejects(Deno.stat(join(dir.path, LEDGER_FILE)), Deno.errors.NotFound);

  const working = new FakeNotifier("email");
  const retried = await notifyFailures({ ...base, notifiers: [failing, working] });
  assert.deepEqual(retried.sent, ["email"]);
  assert.deepEqual(retried.failed, ["slack"]);
  assert.equal(working.received.length, 1);
  assert.equal((await NotificationLedger.load(join(dir.path, LEDGER_FILE))).size, 1);
});

Deno.test("notifyAll: rejecting, throwing and hanging notifiers are logged, never thrown, and bounded in time", async () => {
  const logger = new RecordingLogger();
  const ok = new FakeNotifier("email");
  const notification = composeFailureNotification({ stage: "import", failures: [failure(1)], retryCommand: "r" });
  const started = performance.now();
  const result = await notifyAll(
    [new FakeNotifier("slack", "reject"), new FakeNotifier("pager", "throw"), new FakeNotifier("sms", "hang"), ok],
    notification,
    logger,
    300,
  );
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 2000, `took ${elapsed} ms`);
  assert.deepEqual(result.sent, ["email"]);
  assert.deepEqual(result.failed.sort(), ["pager", "slack", "sms"]);
  assert.equal(ok.received.length, 1);
  const errors = logger.at("error").join("\n");
  assert.match(errors, /via slack: slack server said no/);
  assert.match(errors, /via pager: pager exploded synchronously/);
  assert.match(errors, /via sms: no answer within 0\.3 s/);
});

Deno.test("notifyFailures: a corrupt ledger is reported, the failure still notified, the file rewritten", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(join(dir.path, LEDGER_FILE), "{ not json");
  const logger = new RecordingLogger();
  const notifier = new FakeNotifier("email");
  const result = await notifyFailures({
    notifiers: [notifier],
    stage: "import",
    failures: [failure(4, "x", "import")],
    retryCommand: "r",
    workDir: dir.path,
    logger,
  });
  assert.deepEqual(result.sent, ["email"]);
  assert.match(logger.at("warn")[0], /is not valid JSON/);
  const ledger = JSON.parse(await Deno.readTextFile(join(dir.path, LEDGER_FILE)));
  assert.equal(ledger.version, 1);
  assert.deepEqual(Object.keys(ledger.notified), ["import/4"]);
});

Deno.test("notifyFailures: no notifiers or no failures does nothing and touches no file", async () => {
  await using dir = await tempDir();
  const logger = new RecordingLogger();
  const none = await notifyFailures({
    notifiers: [],
    stage: "import",
    failures: [failure(1)],
    retryCommand: "r",
    workDir: dir.path,
    logger,
  });
  assert.equal(none.notification, null);
  const empty = await notifyFailures({
    notifiers: [new FakeNotifier("email")],
    stage: "import",
    failures: [],
    retryCommand: "r",
    workDir: dir.path,
    logger,
  });
  assert.equal(empty.notification, null);
  assert.deepEqual([...Deno.readDirSync(dir.path)], []);
});

Deno.test("NotificationLedger: entries older than 90 days are dropped on save", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "sub", LEDGER_FILE);
  const ledger = await NotificationLedger.load(path);
  ledger.remember("import", [failure(1, "old", "import")], new Date("2026-01-01T00:00:00Z"));
  ledger.remember("import", [failure(2, "new", "import")], new Date("2026-05-01T00:00:00Z"));
  await ledger.save(new Date("2026-05-02T00:00:00Z"));
  const reloaded = await NotificationLedger.load(path);
  assert.equal(reloaded.size, 1);
  assert.equal(reloaded.isNew("import", failure(2, "new", "import")), false);
  assert.equal(reloaded.isNew("import", failure(1, "old", "import")), true);
});

Deno.test("notifyFailures: two stages notifying at once both land in the ledger", async () => {
  await using dir = await tempDir();
  const logger = new RecordingLogger();
  const base = { notifiers: [new FakeNotifier("email")], retryCommand: "r", workDir: dir.path, logger };
  await Promise.all([
    notifyFailures({ ...base, stage: "import", failures: [failure(1, "a", "import"), failure(2, "b", "import")] }),
    notifyFailures({ ...base, stage: "migration", failures: [failure(3)] }),
    forgetNotified(dir.path, "import", [99], logger),
  ]);
  const ledger = JSON.parse(await Deno.readTextFile(join(dir.path, LEDGER_FILE)));
  assert.deepEqual(Object.keys(ledger.notified), ["import/1", "import/2", "migration/3"]);
});
