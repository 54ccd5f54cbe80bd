/**
 * Shared set-up of the bulk-tools tests: the stand-in tools, a scratch filesystem database, and the loopback
 * sshd that scripts/test-services.sh starts (SSH_HOST, SSH_PORT, SSH_USER, SSH_KEY, SSH_KNOWN_HOSTS,
 * SSH_HOST_PUB).
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { packBlob } from "../../core/blob/mod.ts";
import type { ExportedRun } from "../../core/roles.ts";
import type { Options } from "../../plugins/artdaqdb-bulktools/mod.ts";

/** Directory of the stand-in tools (test doubles). */
export const BIN = fileURLToPath(new URL("../bin/", import.meta.url));

/** Options pointing at the stand-ins. */
export function standinTools(): Pick<Options, "bulkloader" | "bulkdownloader"> {
  return { bulkloader: `${BIN}bulkloader`, bulkdownloader: `${BIN}bulkdownloader` };
}

/** A scratch database: `filesystemdb://<dir>/db` (directory created), plus a dir for remote temp dirs. */
export interface Scratch extends AsyncDisposable {
  root: string;
  dbPath: string;
  uri: string;
  remoteTmp: string;
}

/** Creates a scratch database directory; `name` ends the database path (may carry a marker). */
export async function scratch(name = "db"): Promise<Scratch> {
  const root = await Deno.makeTempDir({ prefix: "bulktools-test-" });
  const dbPath = `${root}/${name}`;
  const remoteTmp = `${root}/remote-tmp`;
  await Deno.mkdir(dbPath);
  return {
    root,
    dbPath,
    uri: `filesystemdb://${dbPath}`,
    remoteTmp,
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true }).catch(() => {});
    },
  };
}

/** The loopback sshd, or null when its variables are not set. */
export interface SshPeer {
  host: string;
  port: number;
  user: string;
  key: string;
  knownHosts: string;
  hostPub: string;
}

/** The sshd peer from the environment (null when absent or its files are missing). */
export function sshPeer(): SshPeer | null {
  const get = (name: string) => Deno.env.get(name) ?? "";
  const peer = {
    host: get("SSH_HOST"),
    port: Number(get("SSH_PORT")),
    user: get("SSH_USER"),
    key: get("SSH_KEY"),
    knownHosts: get("SSH_KNOWN_HOSTS"),
    hostPub: get("SSH_HOST_PUB"),
  };
  if (!peer.host || !peer.port || !peer.user || !peer.key || !peer.knownHosts || !peer.hostPub) return null;
  try {
    for (const file of [peer.key, peer.knownHosts, peer.hostPub]) Deno.statSync(file);
  } catch {
    return null;
  }
  return peer;
}

/** Options reaching the peer with its key and known_hosts. */
export function remoteOptions(peer: SshPeer, db: Scratch): Options {
  return {
    database_uri: db.uri,
    remote_host: `${peer.user}@${peer.host}`,
    ssh_port: peer.port,
    ssh_key_file: peer.key,
    ssh_known_hosts: peer.knownHosts,
    remote_tmp_dir: db.remoteTmp,
    ...standinTools(),
  };
}

/** Entries left in a directory (none when it does not exist). */
export async function leftovers(dir: string): Promise<string[]> {
  try {
    return (await Array.fromAsync(Deno.readDir(dir))).map((entry) => entry.name);
  } catch {
    return [];
  }
}

/** Polls `check` until it returns true or `ms` pass; returns the last result. */
export async function eventually(check: () => Promise<boolean> | boolean, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return await check();
}

/** Whether process `pid` is alive (a zombie counts as gone). */
export function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}

/** Number of documents stored in one collection of a filesystem database. */
export async function documentCount(db: Scratch, collection: string): Promise<number> {
  return (await leftovers(`${db.dbPath}/${collection}`)).filter((name) =>
    name.endsWith(".json") && name !== "index.json"
  )
    .length;
}

/**
 * Asserts that two exports of one stored run are the same ExportedRun (configuration, `storedAt`, paths in order,
 * bytes) and pack to the same blob: the canonical export layout of core/roles.ts, whichever store read it back.
 */
export function assertSameExport(actual: ExportedRun, expected: ExportedRun, what: string): void {
  assert.equal(actual.configuration, expected.configuration, `${what}: configuration`);
  assert.equal(actual.storedAt, expected.storedAt, `${what}: storedAt`);
  assert.deepEqual(actual.files.map((f) => f.path), expected.files.map((f) => f.path), `${what}: paths`);
  for (const [i, file] of actual.files.entries()) {
    assert.deepEqual(file.data, expected.files[i].data, `${what}: content of ${file.path}`);
  }
  const blob = (run: ExportedRun) => packBlob(run.run, run.configuration, run.storedAt, run.files);
  assert.deepEqual(blob(actual), blob(expected), `${what}: packed blob`);
}
