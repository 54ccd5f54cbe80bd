/**
 * Prepares one run and prints the outcome as one JSON line. The permission test runs it as an unprivileged user
 * (root reads every file, so "permission denied" can only be shown from another account).
 *
 * Usage: deno run --no-config --allow-read --allow-env tests/run-records/_prepare_one.ts <run_records_dir> <run>
 *
 * @module
 */
import { runRecords } from "../../plugins/run-records/mod.ts";

const [dir, run] = Deno.args;
try {
  const prepared = await runRecords({ run_records_dir: dir }).prepare(Number(run));
  console.log(JSON.stringify({ ok: true, documents: prepared.documents.length }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, name: (error as Error).name, message: (error as Error).message }));
}
