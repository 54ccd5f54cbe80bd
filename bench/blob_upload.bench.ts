/**
 * Blob upload throughput through the production path: pack → HTTP put (Digest) → the embedded UconDB-compatible
 * server (durable writes) → verification against the put answer. `deno bench -A bench/blob_upload.bench.ts`
 */
import { packBlob } from "../core/blob/mod.ts";
import type { ExportedFile } from "../core/roles.ts";
import { UconDBClient } from "../plugins/ucondb/client.ts";
import { startUconDBServer } from "../plugins/ucondb/server.ts";
import { UconDBSink } from "../plugins/ucondb/sink.ts";

const te = new TextEncoder();
const dir = await Deno.makeTempDir({ prefix: "bench-ucondb-" });
const server = await startUconDBServer({ dir, users: { writer: "bench-pw" }, folders: ["run_records"] });
const client = new UconDBClient({
  serverUrl: server.url,
  folder: "run_records",
  user: "writer",
  password: "bench-pw",
  timeoutSeconds: 30,
});
const sink = new UconDBSink({ client, objectName: "configuration", verify: "meta", description: "bench" });

const line = 'daq.fragment_receiver.generator: "ToySimulator" # 64 bytes of typical FHiCL text.....\n';
const files = (documents: number): ExportedFile[] =>
  Array.from({ length: documents }, (_, i) => ({ path: `BoardReader_${i}.fcl`, data: te.encode(line.repeat(40)) }));
const small = files(20); // ~50 kB blob
const large = files(400); // ~1 MB blob
let run = 0;

Deno.bench("pack + put + verify, 50 kB run", { group: "upload", baseline: true }, async () => {
  run++;
  await sink.put(run, packBlob(run, `${run}/demo`, "2026-11-29T14:01:00Z", small));
});
Deno.bench("pack + put + verify, 1 MB run", { group: "upload" }, async () => {
  run++;
  await sink.put(run, packBlob(run, `${run}/demo`, "2026-11-29T14:01:00Z", large));
});
Deno.bench("identical re-put (already exists → lookup → compare), 50 kB", { group: "upload" }, async () => {
  await sink.put(1, packBlob(1, "1/demo", "2026-11-29T14:01:00Z", small));
});

globalThis.addEventListener("unload", () => {
  Deno.removeSync(dir, { recursive: true });
});
