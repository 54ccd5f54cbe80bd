/**
 * FHiCL engine throughput on the largest real files (`deno bench -A bench/fhicl.bench.ts`). Targets (issue 3):
 * parse ≥ 50 MB/s, FHiCL → DB-JSON ≥ 25 MB/s. Each bench processes the whole set once, so MB/s = total bytes
 * (printed below) / time per iteration.
 *
 * @module
 */
import { join } from "node:path";
import process from "node:process";
import { encodeDbJsonTrees } from "../core/fhicl/dbjson_bytes.ts";
import { dbJsonToFhicl, fhiclToDbJson, parse, readDbJsonParts, renderFhicl } from "../core/fhicl/mod.ts";
import { encodeArtdaq, parseOrdered, stringifyArtdaq } from "../core/json/mod.ts";
import { realFixturesDir } from "../core/paths.ts";

const REAL = realFixturesDir();

/** The largest real files: protoDUNE np04 per-process dumps (wib, ssp, cob rce, timing), 115-120 KB each. */
function largestFiles(count: number): Array<{ name: string; text: string }> {
  const dir = join(REAL, "run_records/1001506");
  const files = [...Deno.readDirSync(dir)]
    .filter((e) => e.isFile && e.name.endsWith(".fcl"))
    .map((e) => ({ name: e.name, size: Deno.statSync(join(dir, e.name)).size }))
    .sort((a, b) => b.size - a.size || a.name.localeCompare(b.name))
    .slice(0, count);
  return files.map((f) => ({ name: f.name, text: Deno.readTextFileSync(join(dir, f.name)) }));
}

const files = largestFiles(10);
const bytes = files.reduce((n, f) => n + new TextEncoder().encode(f.text).length, 0);
const docs = files.map((f) => fhiclToDbJson(f.text, f.name, { timestamp: "2024-03-04T12:05:01.337-0600" }));
const stored = docs.map((d) => stringifyArtdaq(d));
console.log(`fhicl bench set: ${files.length} files, ${bytes} bytes (${(bytes / 1e6).toFixed(3)} MB)`);

/**
 * Throughput per CPU-second of this process (user + system, GC threads included), printed before the wall-clock
 * benches: on a machine shared with other jobs the wall clock also counts time spent waiting for a core.
 */
function cpuThroughput(label: string, work: () => void, rounds = 20): void {
  work(); // warm up
  const before = process.cpuUsage();
  for (let i = 0; i < rounds; i++) work();
  const used = process.cpuUsage(before);
  const seconds = (used.user + used.system) / 1e6;
  console.log(`  ${label}: ${(bytes * rounds / 1e6 / seconds).toFixed(1)} MB/s per CPU-second`);
}
const stamp = "2024-03-04T12:05:01.337-0600";
cpuThroughput("parse", () => files.forEach((f) => parse(f.text, { filename: f.name })));
cpuThroughput("fhiclToDbJson", () => files.forEach((f) => fhiclToDbJson(f.text, f.name, { timestamp: stamp })));
cpuThroughput(
  "fhiclToDbJson + stringifyArtdaq",
  () => files.forEach((f) => stringifyArtdaq(fhiclToDbJson(f.text, f.name, { timestamp: stamp }))),
);
cpuThroughput(
  "fhiclToDbJson + encodeArtdaq (the reference of the import's bytes)",
  () => files.forEach((f) => encodeArtdaq(fhiclToDbJson(f.text, f.name, { timestamp: stamp }))),
);
cpuThroughput("encodeDbJsonTrees (the import's bytes, direct)", () => files.forEach((f) => encodeDbJsonTrees(f.text)));
cpuThroughput("dbJsonToFhicl", () => docs.forEach((d) => dbJsonToFhicl(d)));
cpuThroughput("parseOrdered + dbJsonToFhicl", () => stored.forEach((s) => dbJsonToFhicl(parseOrdered(s))));
cpuThroughput("readDbJsonParts + renderFhicl", () => stored.forEach(renderStored));

/** The export from stored text as the store does it: the metadata read straight into the writer's tree. */
function renderStored(text: string): string {
  const parts = readDbJsonParts(text)!;
  return renderFhicl(parts.data, parts.metadata);
}

Deno.bench("parse (full dialect)", { group: "fhicl", baseline: true }, () => {
  for (const f of files) parse(f.text, { filename: f.name });
});

Deno.bench("fhiclToDbJson (FHiCL → DB-JSON model)", { group: "fhicl" }, () => {
  for (const f of files) fhiclToDbJson(f.text, f.name, { timestamp: "2024-03-04T12:05:01.337-0600" });
});

Deno.bench("fhiclToDbJson + stringifyArtdaq (FHiCL → stored JSON text)", { group: "fhicl" }, () => {
  for (const f of files) stringifyArtdaq(fhiclToDbJson(f.text, f.name, { timestamp: "2024-03-04T12:05:01.337-0600" }));
});

Deno.bench("encodeDbJsonTrees (FHiCL → stored JSON bytes, direct)", { group: "fhicl" }, () => {
  for (const f of files) encodeDbJsonTrees(f.text);
});

Deno.bench("dbJsonToFhicl (export, from the model)", { group: "export" }, () => {
  for (const d of docs) dbJsonToFhicl(d);
});

Deno.bench("parseOrdered + dbJsonToFhicl (export, from stored JSON text)", { group: "export" }, () => {
  for (const s of stored) dbJsonToFhicl(parseOrdered(s));
});

Deno.bench(
  "readDbJsonParts + renderFhicl (export, from stored JSON text, metadata not modelled)",
  { group: "export" },
  () => {
    for (const s of stored) renderStored(s);
  },
);
