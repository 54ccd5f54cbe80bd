/**
 * The shared store suite on the filesystem database (`filesystemdb://`), plus what only the filesystem has:
 * the exact file and `index.json` texts, atomic writes, the index lock across processes, corrupt-data messages.
 *
 * @module
 */

import { join } from "node:path";
import { tempDir } from "../_helpers/peers.ts";
import { FilesystemBackend } from "../../plugins/artdaqdb-conftool/fs/backend.ts";
import { storeSuite } from "./suite.ts";

Deno.test("artdaqdb-conftool shared suite: filesystemdb", async (t) => {
  await storeSuite(t, {
    label: "filesystemdb",
    preservesDuplicateKeys: true,
    async fresh() {
      const dir = await tempDir("artdaqdb-fs-");
      const path = join(dir.path, "artdaq_database_archive");
      return {
        uri: `filesystemdb://${path}`,
        backend: (clock) =>
          new FilesystemBackend({ path, uri: `filesystemdb://${path}`, durable: false, lockTimeoutMs: 10_000, clock }),
        cleanup: async () => await dir[Symbol.asyncDispose](),
      };
    },
  });
});
