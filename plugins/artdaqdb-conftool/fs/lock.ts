/**
 * Mutual exclusion around a collection's `index.json` read-modify-write, which artdaq_database does without any
 * lock (artdaq-database.md §4.5: concurrent writers lose index entries).
 *
 * Two layers: an in-process queue per lock file (our own parallel workers wait in order, without polling), and an
 * advisory `flock` on `<collection>/.index.json.lock` that excludes every other process taking the same lock
 * (another archiver, or any tool of ours). `flock` needs no stale-lock recovery: the kernel drops it when its
 * holder dies, even on SIGKILL. The holder's PID and host are written into the file for diagnostics.
 *
 * @module
 */

import { hostname } from "node:os";
import { TransientError } from "../../../core/errors.ts";

/** Name of the lock file inside a collection directory (hidden; artdaq_database ignores it). */
export const LOCK_FILE = ".index.json.lock";

const queues = new Map<string, Promise<unknown>>();

/**
 * Runs `action` while holding the lock at `path`; waits up to `timeoutMs` for another process to release it, then
 * throws `TransientError` naming the holder.
 *
 * @example
 * ```ts
 * await withFileLock("/data/db/RunHistory/.index.json.lock", 30_000, async () => {
 *   // read, change and write index.json
 * });
 * ```
 */
export function withFileLock<T>(path: string, timeoutMs: number, action: () => Promise<T>): Promise<T> {
  const previous = queues.get(path) ?? Promise.resolve();
  const run = previous.catch(() => {}).then(() => holdWhile(path, timeoutMs, action));
  const tail = run.catch(() => {});
  queues.set(path, tail);
  tail.then(() => {
    if (queues.get(path) === tail) queues.delete(path);
  });
  return run;
}

// Synchronous calls: each costs microseconds, while an async round trip through the thread pool costs far more
// on a busy host, and this lock is taken on every store.
async function holdWhile<T>(path: string, timeoutMs: number, action: () => Promise<T>): Promise<T> {
  const file = Deno.openSync(path, { read: true, write: true, create: true, mode: 0o644 });
  try {
    await acquire(file, path, timeoutMs);
    try {
      // Overwritten in place at a fixed width: no truncate, which would cost a journal commit per store.
      file.seekSync(0, Deno.SeekMode.Start);
      file.writeSync(HOLDER);
      return await action();
    } finally {
      try {
        file.unlockSync();
      } catch { /* closing releases the lock anyway */ }
    }
  } finally {
    file.close();
  }
}

/** `pid@host`, padded to a fixed width so that a shorter holder never leaves a tail of the previous one. */
const HOLDER = new TextEncoder().encode(`${Deno.pid}@${hostname()}`.padEnd(255, " ").slice(0, 255) + "\n");

async function acquire(file: Deno.FsFile, path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pause = 1;
  while (!file.tryLockSync(true)) {
    if (Date.now() >= deadline) {
      const holder = (await Deno.readTextFile(path).catch(() => "")).trim() || "unknown";
      throw new TransientError(
        `index lock '${path}' is held by ${holder} for more than ${timeoutMs} ms; ` +
          `retry later, or stop the process that holds it`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(pause * 2, 50);
  }
}
