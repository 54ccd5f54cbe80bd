/**
 * The email notifier against a real SMTP server on loopback (npm smtp-server, in-process): plain, STARTTLS with a
 * self-signed certificate trusted through `smtp_ca_file`, implicit TLS, authentication; and the failures (no
 * STARTTLS offered, wrong password, untrusted certificate, nobody listening) reported without leaking secrets.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { SMTPServer } from "smtp-server";
import { email, EmailError } from "../../plugins/email/mod.ts";
import { composeFailureNotification, notifyFailures } from "../../core/notify.ts";
import { ConfigurationError } from "../../core/errors.ts";
import { freePort } from "../_helpers/carbon.ts";
import { tempDir } from "../_helpers/peers.ts";
import { RecordingLogger } from "../metrics/_recorders.ts";

const CERT_FILE = fileURLToPath(new URL("../fixtures-tls/localhost.crt", import.meta.url));
const KEY_FILE = fileURLToPath(new URL("../fixtures-tls/localhost.key", import.meta.url));
const USER = "archiver";
const PASSWORD = "s3cret-smtp-pass";

/** One mail as the server received it. */
interface ReceivedMail {
  from: string;
  to: string[];
  secure: boolean;
  user?: string;
  headers: Record<string, string>;
  body: string;
}

interface SmtpPeer extends AsyncDisposable {
  port: number;
  mails: ReceivedMail[];
}

/** Start smtp-server on a free loopback port. */
async function smtpPeer(options: { secure?: boolean; starttls?: boolean; auth?: boolean }): Promise<SmtpPeer> {
  const mails: ReceivedMail[] = [];
  const [key, cert] = await Promise.all([Deno.readTextFile(KEY_FILE), Deno.readTextFile(CERT_FILE)]);
  const disabledCommands = [
    ...(options.starttls === false || options.secure ? ["STARTTLS"] : []),
    ...(options.auth ? [] : ["AUTH"]),
  ];
  const server = new SMTPServer({
    secure: options.secure ?? false,
    key,
    cert,
    logger: false,
    authOptional: !options.auth,
    disabledCommands,
    onAuth(auth, _session, callback) {
      if (auth.username === USER && auth.password === PASSWORD) callback(null, { user: USER });
      else callback(new Error("Invalid username or password"));
    },
    onData(stream, session, callback) {
      (async () => {
        const chunks: Uint8Array[] = [];
        for await (const chunk of stream) chunks.push(chunk);
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          secure: session.secure,
          user: session.user === undefined ? undefined : String(session.user),
          ...parseMail(new TextDecoder().decode(concat(chunks))),
        });
        callback();
      })().catch((error) => callback(error));
    },
  });
  // A client that rejects our certificate aborts the handshake; the server reports that as an error event.
  server.on("error", () => {});
  const port = freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", () => resolve()));
  return {
    port,
    mails,
    async [Symbol.asyncDispose]() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Headers (unfolded, lower-case names) and the decoded text body of a single-part mail. */
function parseMail(raw: string): { headers: Record<string, string>; body: string } {
  const split = raw.indexOf("\r\n\r\n");
  const headers: Record<string, string> = {};
  for (const line of raw.slice(0, split).replace(/\r\n[ \t]+/g, " ").split("\r\n")) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.slice(split + 4);
  if (headers["content-transfer-encoding"] === "quoted-printable") {
    const bytes = body.replace(/=\r\n/g, "").replace(
      /=([0-9A-F]{2})/g,
      (_, hex) => String.fromCharCode(parseInt(hex, 16)),
    );
    body = new TextDecoder().decode(Uint8Array.from(bytes, (c) => c.charCodeAt(0)));
  } else if (headers["content-transfer-encoding"] === "base64") {
    body = new TextDecoder().decode(Uint8Array.from(atob(body.replace(/\s+/g, "")), (c) => c.charCodeAt(0)));
  }
  return { headers, body: body.replace(/\r\n/g, "\n") };
}

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

Deno.test("email: STARTTLS with a self-signed certificate (smtp_ca_file) and login", async () => {
  await using peer = await smtpPeer({ auth: true });
  const notifier = await email({
    ...baseOptions(peer.port),
    smtp_use_tls: true,
    smtp_user: USER,
    smtp_password: PASSWORD,
    smtp_ca_file: CERT_FILE,
  });
  await notifier.notify(notification);
  assert.equal(peer.mails.length, 1);
  assert.equal(peer.mails[0].secure, true);
  assert.equal(peer.mails[0].user, USER);
});

Deno.test("email: implicit TLS (smtp_use_ssl) with login", async () => {
  await using peer = await smtpPeer({ secure: true, auth: true });
  const notifier = await email({
    ...baseOptions(peer.port),
    smtp_use_ssl: true,
    smtp_user: USER,
    smtp_password: PASSWORD,
    smtp_ca_file: CERT_FILE,
  });
  await notifier.notify(notification);
  assert.equal(peer.mails.length, 1);
  assert.equal(peer.mails[0].secure, true);
  assert.equal(peer.mails[0].user, USER);
});

Deno.test("email: STARTTLS required but not offered fails; nothing is sent in clear", async () => {
  await using peer = await smtpPeer({ starttls: false });
  const notifier = await email({ ...baseOptions(peer.port), smtp_use_tls: true, smtp_ca_file: CERT_FILE });
  await assert.rejects(notifier.notify(notification), EmailError);
  assert.equal(peer.mails.length, 0);
});

Deno.test("email: a wrong password fails with a message that names the server and never the password", async () => {
  await using peer = await smtpPeer({ auth: true });
  const wrong = "wrong-password-xyz";
  const notifier = await email({
    ...baseOptions(peer.port),
    smtp_use_tls: true,
    smtp_user: USER,
    smtp_password: wrong,
    smtp_ca_file: CERT_FILE,
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
