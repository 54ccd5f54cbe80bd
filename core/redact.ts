/**
 * The one redaction layer. Every configured secret (UconDB password, SMTP password, Slack token, credentials
 * inside a MongoDB URI) is registered here when the configuration is loaded; every output channel (logs, log
 * file, reports, the status server, error messages) passes its text through `redact`.
 *
 * @example
 * ```ts
 * import { redact, registerSecret } from "./redact.ts";
 * registerSecret("hunter2");
 * console.log(redact("password=hunter2")); // "password=***"
 * ```
 *
 * @module
 */

const MASK = "***";
const secrets = new Set<string>();
let pattern: RegExp | null = null;

/** Secrets shorter than this are not registered: masking every "a" would make logs unreadable. */
const MIN_SECRET_LENGTH = 3;

/** Remember a secret so that `redact` masks it, also in its URL-encoded and JSON-escaped forms. */
export function registerSecret(secret: string | null | undefined): void {
  if (!secret || secret.length < MIN_SECRET_LENGTH) return;
  const forms = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
  for (const form of forms) secrets.add(form);
  pattern = null;
}

/** Credentials of a URI (`scheme://user:pass@host`) registered as secrets; returns the URI with them masked. */
export function registerUriCredentials(uri: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^@/?#]*)@/i.exec(uri);
  if (!match) return uri;
  const userinfo = match[2];
  const colon = userinfo.indexOf(":");
  if (colon >= 0) {
    const password = userinfo.slice(colon + 1);
    registerSecret(password);
    try {
      registerSecret(decodeURIComponent(password));
    } catch { /* not percent-encoded */ }
  }
  return maskUriCredentials(uri);
}

/** `mongodb://user:pass@host/db` → `mongodb://user:***@host/db` (the user name is kept, the password never). */
export function maskUriCredentials(uri: string): string {
  return uri.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/?#:]*):([^@/?#]*)@/i, `$1$2:${MASK}@`);
}

/** The text with every registered secret replaced by `***`. */
export function redact(text: string): string {
  if (secrets.size === 0) return text;
  if (!pattern) {
    const sorted = [...secrets].sort((a, b) => b.length - a.length).map(escapeRegExp);
    pattern = new RegExp(sorted.join("|"), "g");
  }
  return text.replace(pattern, MASK);
}

/** Deep-redact a JSON-like value (strings inside objects and arrays). */
export function redactValue<T>(value: T): T {
  if (typeof value === "string") return redact(value) as T;
  if (Array.isArray(value)) return value.map(redactValue) as T;
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[key] = redactValue(inner);
    return out as T;
  }
  return value;
}

/** Forget every secret (tests only). */
export function clearSecrets(): void {
  secrets.clear();
  pattern = null;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
