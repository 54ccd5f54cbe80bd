/**
 * CPU cost per MB of the conversion hot paths of a large run record, on the real documents of ProtoDUNE run
 * 1001506 (105 `.fcl` files, 11.7 MB) and on the `bench:e2e --mix bigdoc` documents (20 of them grown to ~600 kB):
 *
 * - import: FHiCL text → stored document bytes (`encodeDocuments`: the payload converted straight to bytes, the
 *   bookkeeping from the model), what the conftool store does per document;
 * - export: stored JSON text → `readForExport` (the model of all but `document.metadata`, which is read into the
 *   FHiCL writer's tree) → facts + FHiCL as UTF-8 bytes, what the export does per document.
 *
 * Run: `deno bench -A --no-prompt bench/conftool_docs.bench.ts`. MB = FHiCL source bytes; the figures per
 * CPU-second (user + system of this process) are printed first, because the wall clock of a shared machine also
 * counts the time spent waiting for a core.
 *
 * @module
 */
import { join } from "node:path";
import process from "node:process";
import { realFixturesDir } from "../core/paths.ts";
import { readForExport } from "../plugins/artdaqdb-conftool/export.ts";
import { encodeDocuments } from "../plugins/artdaqdb-conftool/tasks.ts";

const RUN = join(realFixturesDir(), "run_records/1001506");
const STAMP = "2024-03-04T12:05:01.337-0600";

interface Doc {
  name: string;
  text: string;
}

const real: Doc[] = [...Deno.readDirSync(RUN)]
  .filter((e) => e.isFile && e.name.endsWith(".fcl"))
  .map((e) => e.name)
  .sort()
  .map((name) => ({ name, text: Deno.readTextFileSync(join(RUN, name)) }));

/** The `--mix bigdoc` documents (scripts/bench_e2e/records.ts): 20 documents repeated in tables to ~600 kB each. */
const big: Doc[] = real.slice(0, 20).map(({ name, text }) => {
  const copies = Math.max(1, Math.round(12e6 / 20 / text.length));
  const parts = [text];
  for (let i = 1; i < copies; i++) parts.push(`\ncopy_${String(i).padStart(4, "0")}: {\n${text}\n}\n`);
  return { name, text: parts.join("") };
});

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function importDoc(doc: Doc, i: number): Uint8Array {
  const entity = doc.name.replace(/\.fcl$/, "");
  const id = (i + 1).toString(16).padStart(24, "0");
  const [encoded] = encodeDocuments(
    [{ name: doc.name, text: doc.text, collection: "RunHistory", entity, id }],
    { run: 1001506, configuration: "1001506/np04", version: "1001506/np04", timestamp: STAMP },
  );
  return encoded.data!;
}

function exportDoc(text: string, i: number): Uint8Array {
  return readForExport(text, { collection: "RunHistory", id: String(i), source: `document ${i}` }).render();
}

function set(label: string, docs: Doc[]) {
  const bytes = docs.reduce((n, d) => n + encoder.encode(d.text).length, 0);
  const storedText = docs.map((d, i) => decoder.decode(importDoc(d, i)));
  const importAll = () => docs.forEach(importDoc);
  const exportAll = () => storedText.forEach(exportDoc);
  return { label, bytes, importAll, exportAll };
}

const sets = [set("run 1001506", real), set("bigdoc", big)];

function cpuThroughput(label: string, bytes: number, work: () => void, rounds = 5): void {
  work(); // warm up
  const before = process.cpuUsage();
  for (let i = 0; i < rounds; i++) work();
  const used = process.cpuUsage(before);
  const seconds = (used.user + used.system) / 1e6;
  console.log(
    `  ${label}: ${(bytes * rounds / 1e6 / seconds).toFixed(1)} MB/s per CPU-second ` +
      `(${(seconds * 1000 / rounds).toFixed(0)} ms CPU per pass)`,
  );
}

for (const s of sets) {
  console.log(`${s.label}: ${(s.bytes / 1e6).toFixed(2)} MB of FHiCL`);
  cpuThroughput(`${s.label} import`, s.bytes, s.importAll);
  cpuThroughput(`${s.label} export`, s.bytes, s.exportAll);
}

for (const s of sets) {
  Deno.bench(`${s.label}: import (FHiCL → stored document bytes)`, { group: s.label, baseline: true }, s.importAll);
  Deno.bench(`${s.label}: export (stored JSON text → FHiCL bytes)`, { group: s.label }, s.exportAll);
}
