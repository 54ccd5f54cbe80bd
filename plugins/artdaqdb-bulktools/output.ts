/**
 * Bounded collection of a child's output: stdout of a download (a tar stream, refused beyond a limit) and the
 * tools' messages (only the tail is kept, which is where their error lines are).
 *
 * @module
 */

import { concatBytes } from "../../core/blob/bytes.ts";

const decoder = new TextDecoder();

/** Collects chunks up to `limit` bytes; with `keepTail`, older bytes are dropped instead of refusing more. */
export class OutputBuffer {
  readonly #limit: number;
  readonly #keepTail: boolean;
  #chunks: Uint8Array[] = [];
  #size = 0;
  #dropped = false;

  /** A buffer of at most `limit` bytes (the newest ones when `keepTail`). */
  constructor(limit: number, keepTail = false) {
    this.#limit = limit;
    this.#keepTail = keepTail;
  }

  /** Adds a chunk; false when the limit is exceeded and the buffer does not keep a tail. */
  push(chunk: Uint8Array): boolean {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    if (this.#size <= this.#limit) return true;
    if (!this.#keepTail) return false;
    while (this.#size - this.#chunks[0].length >= this.#limit) this.#size -= this.#chunks.shift()!.length;
    this.#dropped = true;
    return true;
  }

  /** Everything collected, as one array. */
  bytes(): Uint8Array {
    return concatBytes(this.#chunks);
  }

  /** The collected text (prefixed with `…` when the start was dropped). */
  text(): string {
    return (this.#dropped ? "…" : "") + decoder.decode(this.bytes());
  }
}

/**
 * Reads a stream into `buffer`; resolves false as soon as the buffer refuses more (the rest is cancelled).
 *
 * @example
 * ```ts
 * const out = new OutputBuffer(1 << 20);
 * await drain(child.stdout, out);
 * ```
 */
export async function drain(stream: ReadableStream<Uint8Array>, buffer: OutputBuffer): Promise<boolean> {
  const reader = stream.getReader();
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) return true;
      if (!buffer.push(value)) {
        await reader.cancel();
        return false;
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/** The last `lines` non-empty lines of `text`, joined with ` | ` (for one-line error messages). */
export function lastLines(text: string, lines = 3): string {
  return text.split("\n").map((line) => line.trim()).filter(Boolean).slice(-lines).join(" | ");
}
