/**
 * Host key verification for the SSH connection to `remote_host`: the key the server offers must be listed for
 * that host in a known_hosts file (OpenSSH format: plain or hashed host names, `[host]:port`, wildcards,
 * negation, `@revoked`), or match a pinned `SHA256:` fingerprint. There is no "accept any key" mode: the Python
 * archiver's `StrictHostKeyChecking=no` / `UserKnownHostsFile=/dev/null` is the MITM hole of
 * original-archiver.md §16.2.
 *
 * @module
 */

import { createHash, createHmac } from "node:crypto";
import { readFile } from "node:fs/promises";
import { Buffer } from "node:buffer";
import { ConfigurationError } from "../../core/errors.ts";

/**
 * The OpenSSH fingerprint of a raw public key blob: `SHA256:` + unpadded base64 of its SHA-256.
 *
 * @example
 * ```ts
 * fingerprintOf(keyBlob); // "SHA256:dKtAVdNeGMMUZekTmcFnGNcdWI7t/ZitKJeMtMDlgc8"
 * ```
 */
export function fingerprintOf(key: Uint8Array): string {
  return "SHA256:" + createHash("sha256").update(key).digest("base64").replace(/=+$/, "");
}

/** What a verifier decides about an offered key; `reason` explains a refusal. */
export interface HostKeyDecision {
  /** True when the key may be trusted. */
  accepted: boolean;
  /** `SHA256:` fingerprint of the offered key. */
  fingerprint: string;
  /** Why the key was refused (empty when accepted). */
  reason: string;
}

/** A host key policy: decide on an offered key; `keyTypes` lists the algorithms to ask the server for, if known. */
export interface HostKeyPolicy {
  /** Decide on the raw public key blob the server offered. */
  decide(key: Uint8Array): HostKeyDecision;
  /** Key algorithms to request from the server (those known_hosts lists), or null for any. */
  keyTypes: string[] | null;
  /** Human description of the policy, for logs. */
  describe(): string;
}

/**
 * A policy that accepts exactly the key with `fingerprint`.
 *
 * @example
 * ```ts
 * pinnedFingerprint("SHA256:dKtAVdNeGMMUZekTmcFnGNcdWI7t/ZitKJeMtMDlgc8").decide(key).accepted;
 * ```
 */
export function pinnedFingerprint(fingerprint: string): HostKeyPolicy {
  return {
    keyTypes: null,
    describe: () => `pinned fingerprint ${fingerprint}`,
    decide(key) {
      const offered = fingerprintOf(key);
      return offered === fingerprint ? { accepted: true, fingerprint: offered, reason: "" } : {
        accepted: false,
        fingerprint: offered,
        reason: `its host key ${offered} is not the pinned artdaq_db.ssh_host_fingerprint ${fingerprint}`,
      };
    },
  };
}

/** One known_hosts key listed for a host. */
export interface KnownKey {
  /** Key algorithm (`ssh-ed25519`, ...). */
  type: string;
  /** Raw public key blob. */
  blob: Buffer;
  /** Listed under `@revoked`: this key must be refused. */
  revoked: boolean;
}

/**
 * A policy from the known_hosts `file`: the keys listed for `host` on `port` (OpenSSH writes non-22 ports as
 * `[host]:port`). Throws `ConfigurationError` when the file cannot be read.
 *
 * @example
 * ```ts
 * const policy = await knownHostsPolicy("/root/.ssh/known_hosts", "dbhost", 22);
 * policy.decide(offeredKey).accepted;
 * ```
 */
export async function knownHostsPolicy(file: string, host: string, port: number): Promise<HostKeyPolicy> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ConfigurationError(
      `cannot read known_hosts file ${file} (${
        (error as Error).message.split("\n")[0]
      }); set artdaq_db.ssh_known_hosts ` +
        `or pin artdaq_db.ssh_host_fingerprint`,
    );
  }
  const name = port === 22 ? host : `[${host}]:${port}`;
  const keys = parseKnownHosts(text, name);
  const usable = keys.filter((key) => !key.revoked);
  const scan = `ssh-keyscan -p ${port} ${host}`;
  return {
    keyTypes: usable.length > 0 ? [...new Set(usable.map((key) => key.type))] : null,
    describe: () => `known_hosts ${file}`,
    decide(key) {
      const offered = Buffer.from(key);
      const fingerprint = fingerprintOf(offered);
      if (keys.some((known) => known.revoked && known.blob.equals(offered))) {
        return { accepted: false, fingerprint, reason: `its host key ${fingerprint} is marked @revoked in ${file}` };
      }
      if (usable.some((known) => known.blob.equals(offered))) return { accepted: true, fingerprint, reason: "" };
      const reason = usable.length === 0
        ? `${name} is not listed in ${file}; check the key (${scan} | ssh-keygen -lf -) and add it`
        : `its host key ${fingerprint} differs from the one listed for ${name} in ${file} (possible ` +
          `man-in-the-middle, or the host was re-keyed: verify, then update ${file})`;
      return { accepted: false, fingerprint, reason };
    },
  };
}

/** The keys listed for `name` (`host` or `[host]:port`) in known_hosts text. */
export function parseKnownHosts(text: string, name: string): KnownKey[] {
  const keys: KnownKey[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const fields = line.split(/\s+/);
    let revoked = false;
    if (fields[0].startsWith("@")) {
      const marker = fields.shift();
      if (marker === "@cert-authority") continue; // host certificates are not supported; such lines never match
      revoked = marker === "@revoked";
    }
    if (fields.length < 3) continue;
    const [patterns, type, base64] = fields;
    if (!hostMatches(patterns, name)) continue;
    keys.push({ type, blob: Buffer.from(base64, "base64"), revoked });
  }
  return keys;
}

function hostMatches(patterns: string, name: string): boolean {
  if (patterns.startsWith("|1|")) {
    const [, , salt, hash] = patterns.split("|");
    if (!salt || !hash) return false;
    return createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64") === hash;
  }
  let matched = false;
  for (const pattern of patterns.split(",")) {
    const negated = pattern.startsWith("!");
    if (!glob(negated ? pattern.slice(1) : pattern).test(name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function glob(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`, "i");
}
