/**
 * The email notifier against a real SMTP server on loopback (npm smtp-server, in-process): plain, STARTTLS with a
 * self-signed certificate trusted through `smtp_ca_file`, implicit TLS, authentication; and the failures (no
 * STARTTLS offered, wrong password, untrusted certificate, nobody listening) reported without leaking secrets.
 */
import assert from "node:assert/strict";
import { email, EmailError } from "../../plugins/email/mod.ts";
import { composeFailureNotification, notifyFailures } from "../../core/notify.ts";
import { ConfigurationError } from "../../core/errors.ts";
import { freePort, tempDir } from "../_helpers/peers.ts";
import { smtpPeer, TLS_CERT_FILE } from "../_helpers/smtp.ts";
import { RecordingLogger } from "../_helpers/recorders.ts";

const USER = "archiver";
const PASSWORD = "s3cret-smtp-pass";
const LOGIN = { user: USER, password: PASSWORD };

const notification = composeFailureNotification({
  stage: "import",
  failures: [
    { run: 5, stage: "import", reason: "schema.fcl missing in /conf", attempts: 3 },
    { run: 3, stage: "import", reason: "boot.txt: line 4: expected 'key: value'", attempts: 3 },
  ],
  retryCommand: "deno task archive config.yaml --retry-failed-import",
  host: "daq01",
  now: new Date(2026, 10, 29, 14, 5, 9),
});

function baseOptions(port: number) {
  return {
    enabled: true,
    recipient_email: "ops@example.org, shifter@example.org",
    sender_email: "archiver@example.org",
    smtp_host: "127.0.0.1",
    smtp_port: port,
    smtp_timeout_seconds: 5,
  };
}

Deno.test("email: plain SMTP delivers the Python subject and body to every recipient, no STARTTLS upgrade", async () => {
  await using peer = await smtpPeer({ starttls: true });
  const notifier = await email(baseOptions(peer.port));
  await notifier.notify(notification);
  assert.equal(peer.mails.length, 1);
  const mail = peer.mails[0];
  assert.equal(mail.from, "archiver@example.org");
  assert.deepEqual(mail.to, ["ops@example.org", "shifter@example.org"]);
  assert.equal(mail.secure, false, "smtp_use_tls: false keeps the connection plain, as in the Python archiver");
  assert.equal(mail.headers.subject, "Run Record Archiver Import Errors on daq01 at 2026-11-29 14:05:09");
  assert.equal(mail.headers.to, "ops@example.org, shifter@example.org");
  assert.ok(mail.body.startsWith("The following runs failed during the import stage:\n\n3\n5\n"), mail.body);
  assert.match(mail.body, /run 3: import failed after 3 attempts: boot\.txt: line 4: expected 'key: value'/);
  assert.match(mail.body, /deno task archive config\.yaml --retry-failed-import/);
});

for (
  const [name, server, tls] of [
    ["STARTTLS with a self-signed certificate (smtp_ca_file) and login", {}, { smtp_use_tls: true }],
    ["implicit TLS (smtp_use_ssl) with login", { secure: true }, { smtp_use_ssl: true }],
  ] as const
) {
  Deno.test(`email: ${name}`, async () => {
    await using peer = await smtpPeer({ ...server, auth: LOGIN });
    const notifier = await email({
      ...baseOptions(peer.port),
      ...tls,
      smtp_user: USER,
      smtp_password: PASSWORD,
      smtp_ca_file: TLS_CERT_FILE,
    });
    await notifier.notify(notification);
    assert.equal(peer.mails.length, 1);
    assert.equal(peer.mails[0].secure, true);
    assert.equal(peer.mails[0].user, USER);
  });
}

Deno.test("email: STARTTLS required but not offered fails; nothing is sent in clear", async () => {
  await using peer = await smtpPeer({ starttls: false });
  const notifier = await email({ ...baseOptions(peer.port), smtp_use_tls: true, smtp_ca_file: TLS_CERT_FILE });
  await assert.rejects(notifier.notify(notification), EmailError);
  assert.equal(peer.mails.length, 0);
});

Deno.test("email: a wrong password fails with a message that names the server and never the password", async () => {
  await using peer = await smtpPeer({ auth: LOGIN });
  const wrong = "wrong-password-xyz";
  const notifier = await email({
    ...baseOptions(peer.port),
    smtp_use_tls: true,
    smtp_user: USER,
    smtp_password: wrong,
    smtp_ca_file: TLS_CERT_FILE,
  });
  const error = await notifier.notify(notification).then(() => null, (e: unknown) => e);
  assert.ok(error instanceof EmailError);
  assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${peer.port}: .*(Invalid login|auth)`, "i"));
  assert.ok(!error.message.includes(wrong));
  assert.equal(peer.mails.length, 0);
});

Deno.test("email: an untrusted server certificate is refused (verification stays on)", async () => {
  await using peer = await smtpPeer({ secure: true });
  const notifier = await email({ ...baseOptions(peer.port), smtp_use_ssl: true });
  await assert.rejects(notifier.notify(notification), (error: unknown) => {
    assert.ok(error instanceof EmailError);
    assert.match(error.message, /certificate/i);
    return true;
  });
  assert.equal(peer.mails.length, 0);
});

Deno.test("email: an unreachable SMTP server is logged, neither thrown nor remembered, and fast", async () => {
  await using dir = await tempDir();
  const logger = new RecordingLogger();
  const notifier = await email(baseOptions(freePort()));
  const started = performance.now();
  const result = await notifyFailures({
    notifiers: [notifier],
    stage: "import",
    failures: notification.failures,
    retryCommand: notification.retryCommand,
    workDir: dir.path,
    logger,
  });
  assert.ok(performance.now() - started < 3000);
  assert.deepEqual(result.failed, ["email"]);
  assert.match(logger.at("error")[0], /Failed to send import failure notification via email: .*127\.0\.0\.1/);
  await assert.rejects(Deno.stat(`${dir.path}/notified_failures.json`), Deno.errors.NotFound);
});

Deno.test("email: enabled without recipient, sender or host is a configuration error (Python message)", async () => {
  await assert.rejects(
    email({ enabled: true, smtp_host: "x" }),
    (error: unknown) =>
      error instanceof ConfigurationError &&
      error.message ===
        "Email config: 'recipient_email', 'sender_email', and 'smtp_host' are required when enabled is true.",
  );
  await assert.rejects(
    email({ ...baseOptions(25), smtp_ca_file: "/nonexistent/ca.pem" }),
    /smtp_ca_file: cannot read '\/nonexistent\/ca\.pem'/,
  );
});
