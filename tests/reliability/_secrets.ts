/**
 * The secrets of the secrets test and the search for them: every kind of secret the configuration can hold, and
 * every form in which one could leak (as is, URL-encoded, base64 — SMTP AUTH PLAIN/LOGIN send base64 — and the
 * AUTH PLAIN string), searched in named output channels.
 *
 * @module
 */
import { Buffer } from "node:buffer";

/** One value per kind of secret (distinctive, so a hit is never a coincidence). */
export const SECRETS = {
  "ucon_db.writer_password": "UconPw-7f3a9c1e5d",
  "reporting.email.smtp_password": "SmtpPw-2b8d4e6f0a",
  "reporting.slack.bot_token": "xoxb-SlackTok-91c3a7e5",
  "artdaq_db.database_uri password (mongodb)": "MongoPw-5e1f0a2d7c",
  "status_server.token": "StatusTok-c4d2b9a8e6",
} as const;

/** The SMTP login user (its AUTH PLAIN string is searched too). */
export const SMTP_USER = "archiver";
/** The MongoDB user in database_uri. */
export const MONGO_USER = "daqwriter";

/** A secret's leak forms: name of the form → text. */
function forms(secret: string): [string, string][] {
  const base64 = (text: string) => Buffer.from(text).toString("base64");
  const all: [string, string][] = [
    ["as is", secret],
    ["URL-encoded", encodeURIComponent(secret)],
    ["base64", base64(secret)],
    ["SMTP AUTH PLAIN", base64(`\u0000${SMTP_USER}\u0000${secret}`)],
  ];
  return all.filter(([, value], i) => all.findIndex(([, other]) => other === value) === i);
}

/** Collects what was searched and what leaked. */
export class LeakSearch {
  /** `channel: secret (form)` per leak. */
  readonly leaks: string[] = [];
  /** Channels searched, with their sizes. */
  readonly channels: { name: string; bytes: number }[] = [];

  /** Search one channel's text for every secret in every form. */
  search(channel: string, text: string): void {
    this.channels.push({ name: channel, bytes: text.length });
    for (const [kind, secret] of Object.entries(SECRETS)) {
      for (const [form, value] of forms(secret)) {
        if (text.includes(value)) {
          const at = text.indexOf(value);
          const context = text.slice(Math.max(0, at - 80), at + value.length + 20).replaceAll("\n", "⏎");
          this.leaks.push(`${channel}: ${kind} (${form}) … ${context}`);
        }
      }
    }
  }

  /** A one-line summary for the test output. */
  summary(): string {
    const bytes = this.channels.reduce((sum, channel) => sum + channel.bytes, 0);
    return `${this.channels.length} channels, ${bytes} bytes searched, ${this.leaks.length} leaks`;
  }
}
