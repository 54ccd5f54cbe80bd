/**
 * An SMTP server on loopback (npm smtp-server, in-process) that keeps every mail it receives: plain, STARTTLS or
 * implicit TLS with the self-signed test certificate (tests/fixtures-tls), with or without login. Used by the email
 * notifier's tests and by the parity tests that run the archiver as a CLI subprocess.
 *
 * @example
 * ```ts
 * import { smtpPeer } from "../_helpers/smtp.ts";
 * await using smtp = await smtpPeer({ starttls: false });
 * // configure reporting.email.smtp_port: smtp.port, run, then:
 * console.log(smtp.mails[0].headers.subject, smtp.mails[0].body);
 * ```
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { SMTPServer } from "smtp-server";
import { freePort } from "./peers.ts";

/** The self-signed `localhost` certificate the server presents (a client trusts it through `smtp_ca_file`). */
export const TLS_CERT_FILE: string = fileURLToPath(new URL("../fixtures-tls/localhost.crt", import.meta.url));
const TLS_KEY_FILE = fileURLToPath(new URL("../fixtures-tls/localhost.key", import.meta.url));

/** One mail as the server received it. */
export interface ReceivedMail {
  /** Envelope sender. */
  from: string;
  /** Envelope recipients. */
  to: string[];
  /** Whether the session was encrypted (STARTTLS or implicit TLS). */
  secure: boolean;
  /** The user who logged in, if any. */
  user?: string;
  /** Headers: names lower-cased, folded lines unfolded. */
  headers: Record<string, string>;
  /** The text body, quoted-printable or base64 decoded, line ends `\n`. */
  body: string;
}

/** How the server behaves. */
export interface SmtpPeerOptions {
  /** Implicit TLS from the first byte (SMTPS). Default false. */
  secure?: boolean;
  /** Offer STARTTLS (never with `secure`). Default true. */
  starttls?: boolean;
  /** Offer AUTH and accept only this login; without it AUTH is not offered and mail needs no login. */
  auth?: { user: string; password: string };
}

/** A running server; disposing it stops it. */
export interface SmtpPeer extends AsyncDisposable {
  /** Loopback port it listens on. */
  port: number;
  /** Every mail received so far, in order. */
  mails: ReceivedMail[];
}

/** Start the server on a free loopback port. */
export async function smtpPeer(options: SmtpPeerOptions = {}): Promise<SmtpPeer> {
  const mails: ReceivedMail[] = [];
  const [key, cert] = await Promise.all([Deno.readTextFile(TLS_KEY_FILE), Deno.readTextFile(TLS_CERT_FILE)]);
  const login = options.auth;
  const server = new SMTPServer({
    secure: options.secure ?? false,
    key,
    cert,
    logger: false,
    authOptional: !login,
    disabledCommands: [
      ...(options.starttls === false || options.secure ? ["STARTTLS"] : []),
      ...(login ? [] : ["AUTH"]),
    ],
    onAuth(auth, _session, callback) {
      if (login && auth.username === login.user && auth.password === login.password) {
        callback(null, { user: login.user });
      } else callback(new Error("Invalid username or password"));
    },
    onData(stream, session, callback) {
      (async () => {
        let raw = "";
        const decoder = new TextDecoder();
        for await (const chunk of stream) raw += decoder.decode(chunk, { stream: true });
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          secure: session.secure,
          user: session.user === undefined ? undefined : String(session.user),
          ...parseMail(raw),
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

/** Headers and body of a raw RFC 5322 single-part message; a quoted-printable or base64 text body is decoded. */
function parseMail(raw: string): Pick<ReceivedMail, "headers" | "body"> {
  const split = raw.indexOf("\r\n\r\n");
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, " ");
  const headers: Record<string, string> = {};
  for (const line of head.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.slice(split + 4);
  const encoding = (headers["content-transfer-encoding"] ?? "").toLowerCase();
  if (encoding === "quoted-printable") {
    const bytes = body.replace(/=\r\n/g, "").replace(
      /=([0-9A-F]{2})/gi,
      (_, hex) => String.fromCharCode(parseInt(hex, 16)),
    );
    body = new TextDecoder().decode(Uint8Array.from(bytes, (c) => c.charCodeAt(0)));
  } else if (encoding === "base64") {
    body = new TextDecoder().decode(Uint8Array.from(atob(body.replace(/\s+/g, "")), (c) => c.charCodeAt(0)));
  }
  return { headers, body: body.replace(/\r\n/g, "\n") };
}
