/**
 * HTTP Digest authentication (RFC 2617, MD5, qop=auth) as UconDB's server implements it (`server/rfc2617.py`),
 * shared by the client (answering challenges) and the embedded server (issuing and checking them).
 *
 * @module
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** A parsed `WWW-Authenticate: Digest ...` challenge. */
export interface DigestChallenge {
  /** Realm to answer with. */
  realm: string;
  /** Server nonce, echoed verbatim. */
  nonce: string;
  /** Offered qop values. */
  qop?: string;
  /** Algorithm (MD5 only). */
  algorithm?: string;
  /** Opaque value to echo, when sent. */
  opaque?: string;
}

/** MD5 as lower-case hex (WebCrypto has no MD5). */
function md5Hex(text: string): string {
  return createHash("md5").update(text).digest("hex");
}

/**
 * Parse `name="value", name=value` pairs of a Digest header. Quoted values may contain commas; UconDB's own parser
 * splits on commas, so this is strictly more tolerant.
 *
 * @example
 * ```ts
 * parseDigestParams(`Digest realm="public.f", nonce="b'MTc='", qop="auth"`).get("nonce"); // "b'MTc='"
 * ```
 */
function parseDigestParams(header: string): Map<string, string> {
  const params = new Map<string, string>();
  const body = header.replace(/^\s*Digest\s+/i, "");
  const pattern = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*(?:,|$)/g;
  for (const match of body.matchAll(pattern)) {
    params.set(match[1].toLowerCase(), match[2] !== undefined ? match[2].replace(/\\(.)/g, "$1") : match[3]);
  }
  return params;
}

/** The Digest challenge of a 401 answer, or null when the header is missing or not Digest. */
export function parseChallenge(header: string | null): DigestChallenge | null {
  if (!header || !/^\s*Digest\s/i.test(header)) return null;
  const params = parseDigestParams(header);
  const realm = params.get("realm");
  const nonce = params.get("nonce");
  if (realm === undefined || nonce === undefined) return null;
  return { realm, nonce, qop: params.get("qop"), algorithm: params.get("algorithm"), opaque: params.get("opaque") };
}

/** The `response` value: MD5(HA1:nonce:nc:cnonce:qop:HA2) with HA1 = MD5(user:realm:password), HA2 = MD5(method:uri). */
function digestResponse(
  fields: { username: string; realm: string; nonce: string; uri: string; nc: string; cnonce: string; qop: string },
  method: string,
  password: string,
): string {
  const ha1 = md5Hex(`${fields.username}:${fields.realm}:${password}`);
  const ha2 = md5Hex(`${method}:${fields.uri}`);
  return md5Hex(`${ha1}:${fields.nonce}:${fields.nc}:${fields.cnonce}:${fields.qop}:${ha2}`);
}

/**
 * The `Authorization` header answering `challenge` for one request. `count` is the nonce count (1, 2, ...).
 *
 * @example
 * ```ts
 * const header = authorizationHeader(challenge, { user: "writer", password, method: "POST", uri: "/data/f/o?key=1", count: 1 });
 * ```
 */
export function authorizationHeader(
  challenge: DigestChallenge,
  request: { user: string; password: string; method: string; uri: string; count: number },
): string {
  const nc = request.count.toString(16).padStart(8, "0");
  const cnonce = randomBytes(8).toString("hex");
  const fields = {
    username: request.user,
    realm: challenge.realm,
    nonce: challenge.nonce,
    uri: request.uri,
    nc,
    cnonce,
    qop: "auth",
  };
  const response = digestResponse(fields, request.method, request.password);
  const quote = (value: string) => `"${value.replace(/(["\\])/g, "\\$1")}"`;
  let header = `Digest username=${quote(fields.username)}, realm=${quote(fields.realm)}, nonce=${
    quote(fields.nonce)
  }, uri=${quote(fields.uri)}, algorithm=MD5, qop=auth, nc=${nc}, cnonce=${quote(cnonce)}, response=${quote(response)}`;
  if (challenge.opaque !== undefined) header += `, opaque=${quote(challenge.opaque)}`;
  return header;
}

/** Outcome of checking an `Authorization` header on the server side. */
export type DigestCheck = "ok" | "missing" | "rejected" | { malformed: string };

/**
 * Check a Digest `Authorization` header the way UconDB's server does: the response must match the password of
 * the named user (or of user `*`) for `realm`; the nonce and uri are not checked (the real server does not
 * either, and clients rely on pre-emptive authentication). A missing field is `malformed` (the real server's
 * KeyError → 500).
 */
export function checkAuthorization(
  header: string | null,
  method: string,
  realm: string,
  passwordOf: (user: string) => string | undefined,
): DigestCheck {
  // Like rfc2617.py: anything that is not a Digest header (none, Basic, ...) gets the challenge.
  if (!header || !/^\s*Digest\s+/i.test(header)) return "missing";
  const params = parseDigestParams(header);
  for (const field of ["username", "uri", "nonce", "nc", "cnonce", "qop", "response"]) {
    if (!params.has(field)) return { malformed: field };
  }
  const username = params.get("username")!;
  const password = passwordOf(username);
  if (password === undefined) return "rejected";
  const expected = digestResponse(
    {
      username,
      realm,
      nonce: params.get("nonce")!,
      uri: params.get("uri")!,
      nc: params.get("nc")!,
      cnonce: params.get("cnonce")!,
      qop: params.get("qop")!,
    },
    method,
    password,
  );
  return timingSafeEqualText(expected, params.get("response")!) ? "ok" : "rejected";
}

/** The challenge header the server sends (nonce in the real server's `b'<base64 time>'` form). */
export function challengeHeader(realm: string): string {
  const nonce = `b'${btoa(String(Math.floor(Date.now() / 1000)))}'`;
  return `Digest realm="${realm}", nonce="${nonce}", algorithm=MD5, qop="auth"`;
}

function timingSafeEqualText(a: string, b: string): boolean {
  const left = new TextEncoder().encode(a);
  const right = new TextEncoder().encode(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
