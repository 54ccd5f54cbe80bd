/**
 * One archiver per work directory. The lock is an advisory `flock` on the lock file, taken **before** anything
 * is written to it: the file is opened without truncation, locked non-blockingly, and only then truncated and
 * filled with our PID. A second invocation therefore fails at once (exit 1) and never disturbs the holder — the
 * Python archiver truncated first and so emptied the holder's file, which then shut itself down (§16.1-1).
 *
 * A stale lock needs no takeover logic: the kernel drops a `flock` when its process dies (even on SIGKILL), so a
 * leftover file with a dead PID is simply locked again, atomically, by the next invocation. The same `flock` is
 * what the Python archiver uses, so a Python and a Deno archiver on the same work directory exclude each other.
 *
 * While held, a monitor checks every second that the lock file still exists, is the same file and holds our
 * PID; if an operator deletes or edits it, `onLost` is called (the pipeline then shuts down gracefully with
 * reason `Lock file removed`, as in Python).
 *
 * @example
 * ```ts
 * import { acquireLock } from "./mod.ts";
 * const lock = await acquireLock("/tmp/run_record_archiver/.archiver.lock");
 * try {
 *   // ... archive ...
 * } finally {
 *   lock.release();
 * }
 * ```
 *
 * @module
 */
import { dirname } from "node:path";
import { LockHeldError } from "../errors.ts";

/** A held lock. */
export interface HeldLock {
  readonly path: string;
  /** Start watching the lock file; `onLost` is called once if it is removed or no longer names this process. */
  monitor(onLost: (reason: string) => void, intervalMs?: number): void;
  /** Stop the monitor, unlock and close. The file stays, holding our PID (as in Python). */
  release(): void;
}

/**
 * Take the lock at `path` or throw `LockHeldError` at once (never waits, never writes to a held file).
 */
export async function acquireLock(path: string): Promise<HeldLock> {
  await Deno.mkdir(dirname(path), { recursive: true });
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true, write: true, create: true, mode: 0o644 });
  } catch (error) {
    throw new LockHeldError(
      `Cannot open lock file '${path}': ${(error as Error).message}; check that the work directory is writable`,
    );
  }
  let locked: boolean;
  try {
    locked = await file.tryLock(true);
  } catch (error) {
    file.close();
    throw new LockHeldError(`Cannot lock '${path}': ${(error as Error).message}`);
  }
  if (!locked) {
    file.close();
    const holder = await readHolder(path);
    throw new LockHeldError(
      `Another process may be running. Lock file '${path}' is held${holder ? ` by PID ${holder}` : ""}. ` +
        `Wait for it to finish, or stop it with SIGINT/SIGTERM.`,
    );
  }
  await file.truncate(0);
  const bytes = new TextEncoder().encode(`${Deno.pid}\n`);
  await file.write(bytes);
  await file.sync();
  const { ino } = await file.stat();
  return new FileLock(path, file, ino);
}

/** PID recorded in a lock file, or null when absent/unreadable. */
export async function readHolder(path: string): Promise<number | null> {
  try {
    const text = (await Deno.readTextFile(path)).trim();
    return /^\d+$/.test(text) ? Number(text) : null;
  } catch {
    return null;
  }
}

class FileLock implements HeldLock {
  readonly path: string;
  #file: Deno.FsFile | null;
  #inode: number | null;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(path: string, file: Deno.FsFile, inode: number | null) {
    this.path = path;
    this.#file = file;
    this.#inode = inode;
  }

  monitor(onLost: (reason: string) => void, intervalMs = 1000): void {
    if (this.#timer !== undefined || !this.#file) return;
    const timer = setInterval(() => {
      const problem = this.#check();
      if (problem) {
        clearInterval(timer);
        this.#timer = undefined;
        onLost(problem);
      }
    }, intervalMs);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  /** What is wrong with the lock file, or null when it is still ours. */
  #check(): string | null {
    try {
      const info = Deno.statSync(this.path);
      if (this.#inode !== null && info.ino !== null && info.ino !== this.#inode) return "replaced";
      const text = Deno.readTextFileSync(this.path).trim();
      if (text !== String(Deno.pid)) return text === "" ? "emptied" : `now names PID ${text}`;
      return null;
    } catch (error) {
      // Only a missing file is a removal; another failure (too many open files, a transient I/O error) says
      // nothing about the lock, which the next check looks at again.
      return error instanceof Deno.errors.NotFound ? "removed" : null;
    }
  }

  release(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    if (!this.#file) return;
    try {
      this.#file.unlockSync();
    } catch { /* closing releases the lock anyway */ }
    this.#file.close();
    this.#file = null;
  }
}
