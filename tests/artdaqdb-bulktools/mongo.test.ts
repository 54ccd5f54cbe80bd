/**
 * The bulk-tools store over a MongoDB database (CongoDB in-process, or the server of ARTDAQDB_TEST_MONGO_URI):
 * the stand-in tools connect to it from their own processes, locally and through the loopback sshd, and the
 * conftool store reads what they wrote.
 */

import assert from "node:assert/strict";
import { artdaqdbBulktools } from "../../plugins/artdaqdb-bulktools/mod.ts";
import { artdaqdbConftool } from "../../plugins/artdaqdb-conftool/mod.ts";
import { requirePeer } from "../_helpers/peers.ts";
import { startMongo, uniqueDatabaseName } from "../_helpers/mongo.ts";
import { preparedRun } from "../artdaqdb-conftool/_fixtures.ts";
import { assertSameExport, leftovers, remoteOptions, scratch, sshPeer, standinTools } from "./_env.ts";

Deno.test({
  name: "mongo: load and export locally and over SSH; the conftool store reads the same runs",
  // The MongoDB driver and ssh2 keep sockets and timers inside node:net; every client is closed below.
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using mongo = await startMongo();
    await using db = await scratch();
    const uri = mongo.uriFor(uniqueDatabaseName("bulktools"));
    const local = artdaqdbBulktools({ database_uri: uri, ...standinTools() });
    const conftool = artdaqdbConftool({ database_uri: uri });
    try {
      await local.putRun(preparedRun(3001), "initial");
      await local.putRun(preparedRun(3001), "update");
      assert.deepEqual(await conftool.listRuns(), [3001]);
      assert.equal(await local.hasUpdate(3001), true);
      const exported = await local.exportRun(3001);
      assertSameExport(exported, await conftool.exportRun(3001), "bulktools-stored run on MongoDB");

      const peer = sshPeer();
      if (!requirePeer("sshd", peer !== null, "export SSH_* (set -a; . /tmp/team/services/env)")) return;
      const remote = artdaqdbBulktools({ ...remoteOptions(peer!, db), database_uri: uri });
      try {
        await remote.putRun(preparedRun(3002, { configName: "physics00001" }), "initial");
        assert.deepEqual(await local.listRuns(), [3001, 3002]);
        assertSameExport(await remote.exportRun(3001), exported, "exported over SSH");
        await conftool.putRun(preparedRun(3003, { configName: "demo00002" }), "initial");
        assertSameExport(await remote.exportRun(3003), await conftool.exportRun(3003), "conftool-stored, over SSH");
        assert.deepEqual(await leftovers(db.remoteTmp), []);
      } finally {
        await remote.close();
      }
    } finally {
      await local.close();
      await conftool.close();
    }
  },
});
