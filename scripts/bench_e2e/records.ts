/**
 * Run records for the end-to-end benchmark: template records (the project's fixtures, the real fixture records,
 * or a synthesized ~12 MB record of big documents) copied under new run numbers.
 *
 * @module
 */
import { join } from "node:path";
import { realFixturesDir } from "../../core/paths.ts";

/** A run record used as a template. */
export interface Template {
  name: string;
  /** Directory of the record (or of the synthesized copy). */
  path: string;
  files: string[];
  bytes: number;
}

/** Directory of the real fixture run records shared by the team. */
export const REAL_RUN_RECORDS: string = join(realFixturesDir(), "run_records");

/** Record mixes: which template records a benchmark copies, round-robin. */
export const MIXES = {
  /** artdaq-demo dune_sample_system (v3_12_07, 2023): 25 files, ~66 kB — the "~70 kB record". */
  small: [`${REAL_RUN_RECORDS}/1342`],
  /** The project's own complete fixture records (4–41 kB). */
  fixtures: ["fixtures/run_records/*"],
  /** The three real records (512: 2017, 10 kB; 1342: 66 kB; 1001506: ProtoDUNE 2018, 11.7 MB). */
  real: [`${REAL_RUN_RECORDS}/*`],
  /** ProtoDUNE-SP run 1001506: 110 real files, 11.7 MB — the "~12 MB record". */
  large: [`${REAL_RUN_RECORDS}/1001506`],
  /** 20 of 1001506's documents grown to ~600 kB each of real FHiCL (~12 MB in 20 big documents). */
  bigdoc: ["bigdoc:12000000"],
  /** Every complete record above. */
  all: ["fixtures/run_records/*", `${REAL_RUN_RECORDS}/*`],
} as const;

/** Name of a record mix. */
export type MixName = keyof typeof MIXES;

/** True when metadata.txt carries a stop time (records still running would be deferred, not archived). */
function hasStopTime(metadata: string): boolean {
  return /^\s*(DAQInterface stop time|Stop time)\s*:/im.test(metadata);
}

async function readTemplate(path: string): Promise<Template> {
  const files: string[] = [];
  let bytes = 0;
  for await (const entry of Deno.readDir(path)) {
    if (!entry.isFile) continue;
    files.push(entry.name);
    bytes += (await Deno.stat(join(path, entry.name))).size;
  }
  files.sort();
  return { name: path.split("/").pop()!, path, files, bytes };
}

async function expand(pattern: string, repoRoot: string): Promise<string[]> {
  const absolute = pattern.startsWith("/") ? pattern : join(repoRoot, pattern);
  if (!absolute.endsWith("/*")) return [absolute];
  const parent = absolute.slice(0, -2);
  const out: string[] = [];
  for await (const entry of Deno.readDir(parent)) {
    if (entry.isDirectory && /^\d+$/.test(entry.name)) out.push(join(parent, entry.name));
  }
  return out.sort();
}

/**
 * The usable templates of a mix, and those skipped (no metadata.txt stop time: still running or crashed, which the
 * archiver defers instead of archiving, so they would not measure archiving).
 */
export async function templatesOf(
  mix: MixName,
  repoRoot: string,
  scratchDir: string,
): Promise<{ usable: Template[]; skipped: { path: string; reason: string }[] }> {
  const usable: Template[] = [];
  const skipped: { path: string; reason: string }[] = [];
  for (const pattern of MIXES[mix]) {
    if (pattern.startsWith("bigdoc:")) {
      usable.push(await bigDocTemplate(Number(pattern.slice(7)), join(scratchDir, "bigdoc-template")));
      continue;
    }
    for (const path of await expand(pattern, repoRoot)) {
      let metadata = "";
      try {
        metadata = await Deno.readTextFile(join(path, "metadata.txt"));
      } catch {
        // no metadata.txt: never complete
      }
      if (!hasStopTime(metadata)) {
        skipped.push({ path, reason: "no stop time in metadata.txt (in progress); the archiver would defer it" });
        continue;
      }
      usable.push(await readTemplate(path));
    }
  }
  if (usable.length === 0) throw new Error(`mix ${mix}: no complete run record found`);
  return { usable, skipped };
}

/**
 * A ~`targetBytes` record (written into `dir`) of a few big documents made of real content: run 1001506's text
 * files and 20 of its per-process `.fcl` documents (real `fhicl-dump` output: no prolog, no #include), each grown
 * to ~`targetBytes / 20` by repeating its text inside uniquely named tables (`copy_0001: { <document> }`). The
 * documents stay valid FHiCL, so the whole pipeline — validation, DB-JSON conversion, export, blob — runs on
 * documents of ~600 kB instead of 1001506's ~100 kB.
 */
async function bigDocTemplate(targetBytes: number, dir: string): Promise<Template> {
  const base = await readTemplate(`${REAL_RUN_RECORDS}/1001506`);
  await Deno.mkdir(dir, { recursive: true });
  const documents = base.files.filter((name) => name.endsWith(".fcl")).slice(0, 20);
  const perDocument = targetBytes / documents.length;
  for (const name of base.files) {
    if (name.endsWith(".fcl") && !documents.includes(name)) continue;
    if (!documents.includes(name)) {
      await Deno.copyFile(join(base.path, name), join(dir, name));
      continue;
    }
    const text = await Deno.readTextFile(join(base.path, name));
    const copies = Math.max(1, Math.round(perDocument / text.length));
    const parts: string[] = [text];
    for (let i = 1; i < copies; i++) parts.push(`\ncopy_${String(i).padStart(4, "0")}: {\n${text}\n}\n`);
    await Deno.writeTextFile(join(dir, name), parts.join(""));
  }
  const template = await readTemplate(dir);
  return { ...template, name: "bigdoc(1001506: 20 documents)" };
}

/** What {@link buildRecords} made. */
export interface BuiltRecords {
  runs: number;
  files: number;
  bytes: number;
  seconds: number;
}

/**
 * Copy `templates` round-robin into `recordsDir/<baseRun + i>` for i < `runs`. Copies are made with
 * `copy_file_range` (Deno.copyFile), a few at a time; with `distinct`, each `.fcl` file gets a last line
 * `# bench copy for run <n>` (a FHiCL comment: still valid, and no longer byte-identical to any other run's).
 */
export async function buildRecords(
  templates: readonly Template[],
  recordsDir: string,
  baseRun: number,
  runs: number,
  distinct = false,
): Promise<BuiltRecords> {
  const started = performance.now();
  await Deno.mkdir(recordsDir, { recursive: true });
  let files = 0;
  let bytes = 0;
  let next = 0;
  const worker = async () => {
    while (next < runs) {
      const i = next++;
      const template = templates[i % templates.length];
      const runDir = join(recordsDir, String(baseRun + i));
      await Deno.mkdir(runDir);
      let added = 0;
      for (const name of template.files) {
        await Deno.copyFile(join(template.path, name), join(runDir, name));
        await Deno.chmod(join(runDir, name), 0o644);
        if (distinct && name.endsWith(".fcl")) {
          const line = new TextEncoder().encode(`\n# bench copy for run ${baseRun + i}\n`);
          await Deno.writeFile(join(runDir, name), line, { append: true });
          added += line.length;
        }
      }
      files += template.files.length;
      bytes += template.bytes + added;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return { runs, files, bytes, seconds: (performance.now() - started) / 1000 };
}
