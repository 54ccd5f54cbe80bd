/**
 * The bulk-tools store in remote mode against the real loopback sshd (scripts/test-services.sh; in CI a missing
 * sshd fails): both directions with the conftool store, a failing remote tool, a connection dropped in the middle
 * of the upload, a hanging remote tool killed at the timeout, and host keys that must be refused. The stand-in
 * tools are put on the "remote" side through the `bulkloader`/`bulkdownloader` options.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ArchiverError, StoreError } from "../../core/errors.ts";
import { fingerprintOf } from "../../plugins/artdaqdb-bulktools/host_key.ts";
import { artdaqdbBulktools, type Options } from "../../plugins/artdaqdb-bulktools/mod.ts";
import { artdaqdbConftool } from "../../plugins/artdaqdb-conftool/mod.ts";
import { requirePeer } from "../_helpers/peers.ts";
import { fileText, INITIAL_EXPORT_PATHS, preparedRun } from "../artdaqdb-conftool/_fixtures.ts";
import {
  alive,
  assertSameExport,
  BIN,
  documentCount,
  eventually,
  leftovers,
  remoteOptions,
  type Scratch,
  scratch,
  type SshPeer,
  sshPeer,
} from "./_env.ts";

const peer = sshPeer();
const HINT = "start it with scripts/test-services.sh and export SSH_HOST SSH_PORT SSH_USER SSH_KEY SSH_KNOWN_HOSTS " +
  "SSH_HOST_PUB (set -a; . /tmp/team/services/env)";
// ssh2 keeps sockets and timers inside node:net; each test closes its store, the sanitizers cannot see that.
const sshTest = (name: string, fn: (peer: SshPeer) => Promise<void>) =>
  Deno.test({
    name,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      if (!requirePeer("sshd", peer !== null, HINT)) return;
      await fn(peer!);
    },
  });

const text = (data: Uint8Array) => new TextDecoder().decode(data);

/** The pinned fingerprint of the peer's host key (from its .pub file). */
function hostFingerprint(peer: SshPeer): string {
  const blob = readFileSync(peer.hostPub, "utf8").trim().split(/\s+/)[1];
  return fingerprintOf(Uint8Array.from(atob(blob), (c) => c.charCodeAt(0)));
}

sshTest(
  "ssh: load remotely, export remotely and through conftool; conftool-stored run exported remotely",
  async (peer) => {
    await using db = await scratch();
    const store = artdaqdbBulktools(remoteOptions(peer, db));
    const conftool = artdaqdbConftool({ database_uri: db.uri });
    try {
      const run = preparedRun(2001);
      await store.putRun(run, "initial");
      await store.putRun(run, "update");
      assert.deepEqual(await store.listRuns(), [2001]);
      assert.equal(await store.hasUpdate(2001), true);
      const remote = await store.exportRun(2001);
      assert.equal(remote.files.length, 7);
      assertSameExport(remote, await conftool.exportRun(2001), "bulktools-stored run, exported remotely");

      const other = preparedRun(2002, { configName: "physics00007" });
      await conftool.putRun(other, "initial");
      const exported = await store.exportRun(2002);
      // bulkdownloader wrote `physics/…`; the store returns the canonical flat layout.
      assert.deepEqual(exported.files.map((f) => f.path), INITIAL_EXPORT_PATHS);
      assertSameExport(exported, await conftool.exportRun(2002), "conftool-stored run, exported remotely");
      assert.deepEqual(await leftovers(db.remoteTmp), [], "every remote temp dir was removed");
    } finally {
      await store.close();
      await conftool.close();
    }
  },
);

sshTest(
  "ssh: a failing remote bulkloader is a StoreError, nothing is counted, nothing is left behind",
  async (peer) => {
    await using db = await scratch();
    const store = artdaqdbBulktools(remoteOptions(peer, db));
    try {
      const run = preparedRun(2010, { documents: [{ name: "broken.fcl", text: "a: {\n" }] });
      await assert.rejects(store.putRun(run, "initial"), (error: unknown) => {
        assert.ok(error instanceof StoreError, String(error));
        assert.match(
          error.message,
          new RegExp(
            `^bulkloader for run 2010 \\(2010/standard00042\\) on ${peer.user}@${peer.host}:${peer.port} ` +
              `failed with exit status 1 \\(some files failed to load\\)`,
          ),
        );
        assert.match(error.message, /Error: Failed to load 1 file\(s\)\./);
        return true;
      });
      assert.deepEqual(await store.listRuns(), [], "the Python archiver counted this run as imported (§16.1-2)");
      assert.equal(await documentCount(db, "SystemLayout"), 0);
      assert.deepEqual(await leftovers(db.remoteTmp), []);

      const failingDownload = artdaqdbBulktools({ ...remoteOptions(peer, db), bulkdownloader: "/bin/false" });
      try {
        await store.putRun(preparedRun(2011), "initial");
        await assert.rejects(
          failingDownload.exportRun(2011),
          /bulkdownloader for run 2011 .* failed with exit status 1/,
        );
      } finally {
        await failingDownload.close();
      }
    } finally {
      await store.close();
    }
  },
);

/**
 * A TCP proxy to the peer that cuts the first connection once `cutAfter` bytes went from client to server;
 * later connections pass through.
 */
function cuttingProxy(peer: SshPeer, cutAfter: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let connections = 0;
  let cut = false;
  const open = new Set<Deno.Conn>();
  const pump = async (from: Deno.Conn, to: Deno.Conn, count: (n: number) => boolean) => {
    const buffer = new Uint8Array(32 * 1024);
    try {
      while (true) {
        const n = await from.read(buffer);
        if (n === null) break;
        if (!count(n)) break;
        let offset = 0;
        while (offset < n) offset += await to.write(buffer.subarray(offset, n));
      }
    } catch { /* the other side closed */ }
    for (const conn of [from, to]) {
      try {
        conn.close();
      } catch { /* already closed */ }
      open.delete(conn);
    }
  };
  (async () => {
    for await (const client of listener) {
      const first = ++connections === 1;
      const upstream = await Deno.connect({ hostname: peer.host, port: peer.port });
      open.add(client);
      open.add(upstream);
      let sent = 0;
      pump(client, upstream, (n) => {
        sent += n;
        if (first && sent > cutAfter) {
          cut = true;
          return false;
        }
        return true;
      });
      pump(upstream, client, () => true);
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    get cut() {
      return cut;
    },
    get connections() {
      return connections;
    },
    close() {
      listener.close();
      for (const conn of open) {
        try {
          conn.close();
        } catch { /* already closed */ }
      }
    },
  };
}

sshTest("ssh: a connection dropped mid-upload fails the put, leaves nothing, and the retry completes", async (peer) => {
  await using db = await scratch();
  const proxy = cuttingProxy(peer, 512 * 1024);
  const options: Options = {
    ...remoteOptions(peer, db),
    ssh_port: proxy.port,
    // known_hosts names the real port; through the proxy the key is pinned instead.
    ssh_host_fingerprint: hostFingerprint(peer),
  };
  const store = artdaqdbBulktools(options);
  try {
    const lines = Array.from({ length: 40_000 }, (_, i) => `p${i}: "${"x".repeat(64)}"`).join("\n");
    const run = preparedRun(2020, { documents: [{ name: "big.fcl", text: lines + "\n" }] });
    await assert.rejects(store.putRun(run, "initial"), (error: unknown) => {
      assert.ok(error instanceof ArchiverError, String(error));
      assert.match(error.message, /SSH (connection|channel) to .* (was lost|closed)/);
      return true;
    });
    assert.ok(proxy.cut, "the proxy cut the connection during the upload");
    assert.deepEqual(await store.listRuns(), []);
    assert.ok(
      await eventually(async () => (await leftovers(db.remoteTmp)).length === 0),
      `remote temp dir left behind: ${await leftovers(db.remoteTmp)}`,
    );

    await store.putRun(run, "initial");
    assert.equal(proxy.connections, 2, "the store reconnected");
    assert.deepEqual(await store.listRuns(), [2020]);
    assert.equal(await documentCount(db, "RunHistory"), run.documents.length - 1, "no document stored twice");
    const exported = await store.exportRun(2020);
    assert.equal(fileText(exported.files, "big.fcl").length > lines.length, true);
  } finally {
    await store.close();
    proxy.close();
  }
});

sshTest("ssh: a hanging remote tool is killed at the timeout; the URI is on no command line", async (peer) => {
  await using db = await scratch("db-URI-MARKER");
  const store = artdaqdbBulktools({
    ...remoteOptions(peer, db),
    bulkloader: `${BIN}hang-tool`,
    tools_timeout_seconds: 2,
  });
  try {
    const put = store.putRun(preparedRun(2030), "initial");
    const failure = assert.rejects(put, (error: unknown) => {
      assert.ok(error instanceof StoreError, String(error));
      assert.match(error.message, /bulkloader for run 2030 .* timed out after 2 s and was killed/);
      return true;
    });
    assert.ok(await eventually(() => leftovers(db.root).then((names) => names.includes("db-URI-MARKER.pid")), 5_000));
    const ps = await new Deno.Command("ps", { args: ["-eo", "args"] }).output();
    assert.doesNotMatch(text(ps.stdout), /URI-MARKER/, "the database URI is visible in ps");
    await failure;
    const pid = Number(await Deno.readTextFile(`${db.dbPath}.pid`));
    assert.ok(await eventually(() => !alive(pid), 8_000), `remote tool ${pid} still running`);
    assert.ok(await eventually(async () => (await leftovers(db.remoteTmp)).length === 0, 8_000));
  } finally {
    await store.close();
  }
});

async function expectRefused(options: Options, db: Scratch, message: RegExp) {
  const store = artdaqdbBulktools(options);
  try {
    await assert.rejects(store.putRun(preparedRun(2040), "initial"), (error: unknown) => {
      assert.ok(error instanceof StoreError, String(error));
      assert.match(error.message, message);
      return true;
    });
    assert.equal(await documentCount(db, "RunHistory"), 0, "nothing was stored");
  } finally {
    await store.close();
  }
}

sshTest(
  "ssh: wrong or unknown host keys are refused with a clear message; a hashed known_hosts works",
  async (peer) => {
    await using db = await scratch();
    const base = remoteOptions(peer, db);
    await expectRefused(
      { ...base, ssh_host_fingerprint: "SHA256:" + "A".repeat(43) },
      db,
      /^SSH host key of .*:\d+ refused: its host key SHA256:\S+ is not the pinned artdaq_db\.ssh_host_fingerprint/,
    );

    // A known_hosts that lists another key for the host (the client's own public key stands in for an impostor).
    const impostor = (await Deno.readTextFile(`${peer.key}.pub`)).trim().split(/\s+/);
    const wrong = `${db.root}/known_hosts_wrong`;
    await Deno.writeTextFile(wrong, `[${peer.host}]:${peer.port} ${impostor[0]} ${impostor[1]}\n`);
    await expectRefused({ ...base, ssh_known_hosts: wrong }, db, /differs from the one listed .* man-in-the-middle/);

    const empty = `${db.root}/known_hosts_empty`;
    await Deno.writeTextFile(empty, `otherhost ${impostor[0]} ${impostor[1]}\n`);
    await expectRefused({ ...base, ssh_known_hosts: empty }, db, /is not listed in .*known_hosts_empty; check the key/);

    const hashed = `${db.root}/known_hosts_hashed`;
    await Deno.copyFile(peer.knownHosts, hashed);
    const hash = await new Deno.Command("ssh-keygen", { args: ["-H", "-f", hashed], stderr: "null", stdout: "null" })
      .output();
    assert.equal(hash.code, 0);
    assert.match(await Deno.readTextFile(hashed), /^\|1\|/);
    const store = artdaqdbBulktools({ ...base, ssh_known_hosts: hashed });
    try {
      await store.putRun(preparedRun(2041), "initial");
      assert.deepEqual(await store.listRuns(), [2041]);
    } finally {
      await store.close();
    }
  },
);

sshTest("ssh: remote_setup puts bare-named tools on PATH; a missing remote tool is exit status 127", async (peer) => {
  await using db = await scratch();
  const setup = `${db.root}/setup.sh`;
  // Reads stdin on purpose: the wrapper must keep it away from the tar stream.
  await Deno.writeTextFile(setup, `cat >/dev/null\nPATH="${BIN}:$PATH"; export PATH\n`);
  const base = { ...remoteOptions(peer, db), bulkloader: null, bulkdownloader: null };
  const store = artdaqdbBulktools({ ...base, remote_setup: setup });
  const missing = artdaqdbBulktools({ ...base, bulkloader: "no-such-bulkloader" });
  try {
    await store.putRun(preparedRun(2050), "initial");
    assert.equal((await store.exportRun(2050)).files.length, 6);
    await assert.rejects(missing.putRun(preparedRun(2051), "initial"), (error: unknown) => {
      assert.ok(error instanceof StoreError, String(error));
      assert.match(error.message, /failed with exit status 127 \(bulkloader not found/);
      return true;
    });
    assert.deepEqual(await store.listRuns(), [2050]);
    assert.deepEqual(await leftovers(db.remoteTmp), []);
  } finally {
    await store.close();
    await missing.close();
  }
});
