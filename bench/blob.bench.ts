/**
 * Blob throughput: pack/unpack of a realistic run (100 FHiCL documents, ~2 MB) and the worst case (every line a
 * reserved line, so every line is escaped), plus adler32. `deno bench -A bench/blob.bench.ts`
 */
import { adler32, packBlob, unpackBlob } from "../core/blob/mod.ts";
import type { ExportedFile } from "../core/roles.ts";

const te = new TextEncoder();
const STORED_AT = "2026-11-29T14:01:00Z";

const line = 'daq.fragment_receiver.generator: "ToySimulator" # 64 bytes of typical FHiCL text.....\n';
const typical: ExportedFile[] = Array.from({ length: 100 }, (_, i) => ({
  path: `BoardReader_${i}.fcl`,
  data: te.encode(line.repeat(240)),
}));
const hostile: ExportedFile[] = [{ path: "hostile.fcl", data: te.encode("#####\nEnd of Record\n".repeat(100_000)) }];
const typicalBlob = packBlob(1, "1/demo", STORED_AT, typical);
const hostileBlob = packBlob(2, "2/demo", STORED_AT, hostile);
const megabytes = (bytes: Uint8Array) => `${(bytes.length / 1e6).toFixed(1)} MB`;

Deno.bench(`pack typical run (${megabytes(typicalBlob)})`, { group: "pack", baseline: true }, () => {
  packBlob(1, "1/demo", STORED_AT, typical);
});
Deno.bench(`pack all-reserved content (${megabytes(hostileBlob)})`, { group: "pack" }, () => {
  packBlob(2, "2/demo", STORED_AT, hostile);
});
Deno.bench(`unpack typical run (${megabytes(typicalBlob)})`, { group: "unpack", baseline: true }, () => {
  unpackBlob(typicalBlob);
});
Deno.bench(`unpack all-reserved content (${megabytes(hostileBlob)})`, { group: "unpack" }, () => {
  unpackBlob(hostileBlob);
});
Deno.bench(`adler32 (${megabytes(typicalBlob)})`, () => {
  adler32(typicalBlob);
});
