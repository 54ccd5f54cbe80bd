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

import { join } from "node:path";
import { syncDirectory } from "../../../core/state/atomic.ts";

/** One file to write. */
export interface FileWrite {
  /** File name inside the directory. */
  name: string;
  /**
   * The content, or a function that writes it in pieces: it calls `write` synchronously with each piece in order
   * (a piece may be reused once `write` returns).
   */
  data: Uint8Array | ((write: (piece: Uint8Array) => void) => void);
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
  // Small files: synchronous open/write/rename cost microseconds, while a round trip through the async thread
  // pool costs far more on a busy host. Only the fsyncs, which really wait for the disk, run async and in
  // parallel, so the filesystem can commit them together.
  Deno.mkdirSync(directory, { recursive: true });
  const temporaries = files.map((file) => join(directory, `.${file.name}.${Deno.pid}.${++counter}.tmp`));
  const handles: Deno.FsFile[] = [];
  try {
    files.forEach((file, i) => {
      const handle = Deno.openSync(temporaries[i], { write: true, createNew: true, mode: 0o644 });
      handles.push(handle);
      const write = (piece: Uint8Array) => {
        let written = 0;
        while (written < piece.length) written += handle.writeSync(piece.subarray(written));
      };
      if (typeof file.data === "function") file.data(write);
      else write(file.data);
    });
    if (durable) await Promise.all(handles.map((handle) => handle.syncData()));
    for (const handle of handles.splice(0)) handle.close();
    files.forEach((file, i) => Deno.renameSync(temporaries[i], join(directory, file.name)));
  } catch (error) {
    for (const handle of handles) handle.close();
    for (const path of temporaries) {
      try {
        Deno.removeSync(path);
      } catch { /* already renamed or never created */ }
    }
    throw error;
  }
  if (durable) await syncDirectory(directory);
}
