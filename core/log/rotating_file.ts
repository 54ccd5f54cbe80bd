/**
 * An append-only log file rotated by size: when the next line would push it past `maxBytes`, `<file>` becomes
 * `<file>.1`, `.1` becomes `.2`, …, and the oldest beyond `backups` is removed (the Python archiver's 5 backups).
 *
 * Writes are synchronous so that a line is on disk before the process can exit or crash, and lines from
 * concurrent async tasks never interleave.
 *
 * @module
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

/** How often (ms) a writer checks whether another process rotated the file under it. */
const FOLLOW_CHECK_MS = 1000;

/** Rotation settings. */
export interface RotationOptions {
  /** Rotate when the next line would make the file larger than this. */
  maxBytes: number;
  /** Rotated files kept (`<file>.1` … `<file>.N`). */
  backups: number;
}

/** A size-rotated log file. */
export class RotatingFile {
  #file: Deno.FsFile;
  #size: number;
  #ino: number | null;
  #checkedAt = performance.now();
  readonly #encoder = new TextEncoder();

  /**
   * Open (creating parent directories) for append.
   *
   * @example
   * ```ts
   * const file = new RotatingFile("/tmp/archiver.log", { maxBytes: 1 << 20, backups: 5 });
   * file.writeLine("hello");
   * file.close();
   * ```
   */
  constructor(readonly path: string, readonly options: RotationOptions) {
    mkdirSync(dirname(path), { recursive: true });
    this.#file = this.#open();
    const info = this.#file.statSync();
    this.#size = info.size;
    this.#ino = info.ino;
  }

  /** Append one line (a newline is added). */
  writeLine(line: string): void {
    const bytes = this.#encoder.encode(line + "\n");
    if (performance.now() - this.#checkedAt > FOLLOW_CHECK_MS) this.#follow();
    if (this.#size > 0 && this.#size + bytes.length > this.options.maxBytes) this.#rotate();
    let written = 0;
    while (written < bytes.length) written += this.#file.writeSync(bytes.subarray(written));
    this.#size += bytes.length;
  }

  /** Close the file. */
  close(): void {
    try {
      this.#file.close();
    } catch { /* already closed */ }
  }

  #open(): Deno.FsFile {
    return Deno.openSync(this.path, { append: true, create: true, mode: 0o640 });
  }

  /**
   * Another process writing the same file (the status server beside the archiver) may have rotated it: then our
   * descriptor points at `<file>.1`. Reopen the path so that our lines go where the reader looks. Returns true
   * when it reopened.
   */
  #follow(): boolean {
    this.#checkedAt = performance.now();
    let current: Deno.FileInfo | null = null;
    try {
      current = Deno.statSync(this.path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    if (current !== null && current.ino === this.#ino) return false;
    this.#file.close();
    this.#file = this.#open();
    const info = this.#file.statSync();
    this.#size = info.size;
    this.#ino = info.ino;
    return true;
  }

  #rotate(): void {
    // Rotated by the other writer already: continue in the new file unless it is itself full.
    if (this.#follow() && this.#size < this.options.maxBytes) return;
    this.#file.close();
    const { backups } = this.options;
    // NotFound below: another writer moved the file in the meantime; nothing of ours is lost either way.
    if (backups <= 0) {
      ignoreNotFound(() => Deno.removeSync(this.path));
    } else {
      for (let index = backups - 1; index >= 1; index--) {
        ignoreNotFound(() => Deno.renameSync(`${this.path}.${index}`, `${this.path}.${index + 1}`));
      }
      ignoreNotFound(() => Deno.renameSync(this.path, `${this.path}.1`));
    }
    this.#file = this.#open();
    this.#size = 0;
    this.#ino = this.#file.statSync().ino;
  }
}

function ignoreNotFound(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}
