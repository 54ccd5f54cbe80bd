/**
 * Crash-safe file replacement: write a temporary file next to the target, fsync it, rename it over the target,
 * fsync the directory. A reader (or a crash at any moment) sees either the old or the new content, never a torn
 * file — the Python archiver truncated and rewrote in place (§16.1-14).
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "./atomic.ts";
 * await writeFileAtomic("/tmp/example-state.json", '{"last_attempted_run": 3}');
 * ```
 *
 * @module
 */
import { basename, dirname, join } from "node:path";

let counter = 0;

/** Replace `path` with `content` atomically and durably; creates the parent directory. */
export async function writeFileAtomic(path: string, content: string | Uint8Array): Promise<void> {
  const directory = dirname(path);
  await Deno.mkdir(directory, { recursive: true });
  const temporary = join(directory, `.${basename(path)}.${Deno.pid}.${++counter}.tmp`);
  const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
  try {
    const file = await Deno.open(temporary, { write: true, create: true, truncate: true, mode: 0o644 });
    try {
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
  await syncDirectory(directory);
}

/**
 * fsync a directory so that a rename in it survives a power loss (best effort: not every filesystem allows it).
 * Async: a synchronous fsync blocks the event loop, and every worker with it, for the whole disk flush (measured:
 * ~10 % of the import's wall time at 2 workers, BENCHMARKS.md).
 *
 * @example
 * ```ts
 * import { syncDirectory } from "./atomic.ts";
 * await syncDirectory("/tmp");
 * ```
 */
export async function syncDirectory(directory: string): Promise<void> {
  let handle: Deno.FsFile | undefined;
  try {
    handle = await Deno.open(directory, { read: true });
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the rename itself is still atomic.
  } finally {
    handle?.close();
  }
}
