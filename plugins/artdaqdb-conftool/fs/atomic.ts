/**
 * Crash-safe replacement of several files in one directory: every file is written to a temporary name and fsynced
 * (in parallel, so the filesystem can commit them together), then renamed over its target, then the directory is
 * fsynced once. A reader, or a crash at any moment, sees each file either old or new, never torn: artdaq_database
 * truncates and rewrites in place (artdaq-database.md §4.5).
 *
 * Temporary names start with `.` and end in `.tmp`, so artdaq_database (which only opens `index.json` and
 * `<oid>.json`) never mistakes a leftover for a document.
 *
 * @module
 */

import { closeSync, fsyncSync, openSync } from "node:fs";
import { join } from "node:path";

/** One file to write. */
export interface FileWrite {
  /** File name inside the directory. */
  name: string;
  data: Uint8Array;
}

let counter = 0;

/**
 * Writes `files` into `directory` atomically per file (creates the directory). With `durable` false the fsyncs
 * are skipped (tests and benchmarks on scratch data); the renames stay atomic either way.
 *
 * @example
 * ```ts
 * await writeFilesAtomic("/tmp/db/RunHistory", [{ name: "index.json", data: new TextEncoder().encode("{}") }]);
 * ```
 */
export async function writeFilesAtomic(directory: string, files: readonly FileWrite[], durable = true): Promise<void> {
  if (files.length === 0) return;
  await Deno.mkdir(directory, { recursive: true });
  const temporaries = files.map((file) => join(directory, `.${file.name}.${Deno.pid}.${++counter}.tmp`));
  try {
    await Promise.all(files.map((file, i) => writeDurably(temporaries[i], file.data, durable)));
    for (let i = 0; i < files.length; i++) await Deno.rename(temporaries[i], join(directory, files[i].name));
  } catch (error) {
    await Promise.all(temporaries.map((path) => Deno.remove(path).catch(() => {})));
    throw error;
  }
  if (durable) syncDirectory(directory);
}

async function writeDurably(path: string, data: Uint8Array, durable: boolean): Promise<void> {
  const file = await Deno.open(path, { write: true, createNew: true, mode: 0o644 });
  try {
    let written = 0;
    while (written < data.length) written += await file.write(data.subarray(written));
    if (durable) await file.syncData();
  } finally {
    file.close();
  }
}

/** fsync a directory so that renames in it survive a power loss (best effort: some filesystems refuse it). */
function syncDirectory(directory: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(directory, "r");
    fsyncSync(fd);
  } catch {
    // The renames are atomic regardless; only their durability across a power cut is best effort here.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
