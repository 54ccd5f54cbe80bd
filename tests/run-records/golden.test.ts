/**
 * Golden outputs of every converter and generator on every run record (project fixtures and the real records),
 * and the guarantee that each generated document parses with our FHiCL parser.
 *
 * Regenerate after a deliberate converter change with:
 *   UPDATE_GOLDEN=1 deno test -A --no-prompt tests/run-records/golden.test.ts
 * and review the diff: every change there is a change of archived content.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { join } from "node:path";
import { parse } from "../../core/fhicl/mod.ts";
import { FHICLIZE_NAMES, generateRunHistory, generateRunHistory2 } from "../../plugins/run-records/converters/mod.ts";
import { documentFor } from "../../plugins/run-records/prepare.ts";
import { readMetadataInfo } from "../../plugins/run-records/metadata_info.ts";
import { CORPORA, GOLDEN_DIR, runDirectories } from "./_corpus.ts";

const UPDATE = Deno.env.get("UPDATE_GOLDEN") === "1";
const ALL = new Set(FHICLIZE_NAMES);

/** Every document the archiver generates for one run directory (converted, wrapped, RunHistory*): name → text. */
async function generate(runDir: string, run: number): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const entry of Deno.readDir(runDir)) {
    const mapped = documentFor({ path: entry.name, text: await Deno.readTextFile(join(runDir, entry.name)) }, ALL);
    if (mapped?.generated) out.set(mapped.document.name, mapped.document.text);
  }
  const metadata = await readText(join(runDir, "metadata.txt"));
  if (metadata !== null) {
    out.set("RunHistory.fcl", generateRunHistory(metadata, run));
    const update = generateRunHistory2(readMetadataInfo(metadata));
    if (update !== null) out.set("RunHistory2.fcl", update);
  }
  return out;
}

async function readText(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

for (const corpus of CORPORA) {
  for (const dirName of await runDirectories(corpus.dir)) {
    Deno.test(`golden: ${corpus.name} run ${dirName}: every generated document matches and parses`, async () => {
      const generated = await generate(join(corpus.dir, dirName), Number(dirName));
      const goldenDir = join(GOLDEN_DIR, corpus.name, dirName);
      if (UPDATE) {
        await Deno.remove(goldenDir, { recursive: true }).catch(() => {});
        await Deno.mkdir(goldenDir, { recursive: true });
        for (const [name, text] of generated) await Deno.writeTextFile(join(goldenDir, name), text);
      }
      const goldenNames = (await Array.fromAsync(Deno.readDir(goldenDir))).map((e) => e.name).sort();
      assertEquals([...generated.keys()].sort(), goldenNames, `documents of ${corpus.name}/${dirName}`);
      for (const [name, text] of generated) {
        assertEquals(text, await Deno.readTextFile(join(goldenDir, name)), `${corpus.name}/${dirName}/${name}`);
        parse(text, { filename: `${corpus.name}/${dirName}/${name}` });
      }
    });
  }
}
