/**
 * The run records the run-record tests read: the project's own fixtures and the real records under
 * ../shared/fixtures/real/run_records (read-only).
 *
 * @module
 */
import { join } from "node:path";
import { realFixturesDir, REPO_ROOT } from "../../core/paths.ts";

/** The project's fixtures/run_records. */
export const PROJECT_RECORDS: string = join(REPO_ROOT, "fixtures/run_records");
/** The real run records (read-only, outside the repo). */
export const REAL_RECORDS: string = join(realFixturesDir(), "run_records");
/** The bad-input corpus of issue 12. */
export const BAD_RECORDS: string = join(REPO_ROOT, "fixtures/bad/run_records");
/** Committed golden outputs: golden/<set>/<run>/<document>. */
export const GOLDEN_DIR: string = join(REPO_ROOT, "tests/run-records/golden");

/** One corpus: a name for the golden directory and the records directory. */
export interface Corpus {
  name: "project" | "real";
  dir: string;
}

/** Both corpora. The real one must exist: it is part of the shared test data. */
export const CORPORA: readonly Corpus[] = [
  { name: "project", dir: PROJECT_RECORDS },
  { name: "real", dir: REAL_RECORDS },
];

/** Names of the run directories of `dir` (digits only), ascending by number. */
export async function runDirectories(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory && /^[0-9]+$/.test(entry.name)) names.push(entry.name);
  }
  return names.sort((a, b) => Number(a) - Number(b));
}
