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
    this.#size = this.#file.statSync().size;
  }

  /** Append one line (a newline is added). */
  writeLine(line: string): void {
    const bytes = this.#encoder.encode(line + "\n");
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

  #rotate(): void {
    this.#file.close();
    const { backups } = this.options;
    if (backups <= 0) {
      Deno.removeSync(this.path);
    } else {
      for (let index = backups - 1; index >= 1; index--) {
        try {
          Deno.renameSync(`${this.path}.${index}`, `${this.path}.${index + 1}`);
        } catch (error) {
          if (!(error instanceof Deno.errors.NotFound)) throw error;
        }
      }
      Deno.renameSync(this.path, `${this.path}.1`);
    }
    this.#file = this.#open();
    this.#size = 0;
  }
}
