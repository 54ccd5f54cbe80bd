/**
 * A bounded FIFO of plaintext lines for the Carbon client: O(1) push and take, the oldest line dropped first when
 * full (fresh values matter more than old ones after an outage).
 *
 * @example
 * ```ts
 * import { LineQueue } from "./queue.ts";
 * const queue = new LineQueue(2);
 * queue.push("a 1 1\n"); queue.push("b 1 1\n");
 * queue.push("c 1 1\n"); // returns 1: "a" was dropped
 * queue.take(10); // ["b 1 1\n", "c 1 1\n"]
 * ```
 *
 * @module
 */

/** Compact the backing array once this many taken slots accumulate, so memory stays bounded. */
const COMPACT_AFTER = 4096;

/** Bounded FIFO of lines. */
export class LineQueue {
  #items: string[] = [];
  #head = 0;
  /** Most lines held (at least 1). */
  readonly capacity: number;

  /** A queue holding at most `capacity` lines. */
  constructor(capacity: number) {
    this.capacity = Math.max(1, Math.floor(capacity));
  }

  /** Lines waiting. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Append a line; returns how many old lines were dropped to make room (0 or 1). */
  push(line: string): number {
    let dropped = 0;
    if (this.length >= this.capacity) {
      this.#head++;
      dropped = 1;
    }
    this.#items.push(line);
    this.#compact();
    return dropped;
  }

  /** Append a line even when full (used for the client's own drop counter, one line at a time). */
  pushUnbounded(line: string): void {
    this.#items.push(line);
  }

  /** Remove and return up to `count` lines from the front. */
  take(count: number): string[] {
    const end = Math.min(this.#items.length, this.#head + count);
    const lines = this.#items.slice(this.#head, end);
    this.#head = end;
    this.#compact();
    return lines;
  }

  /**
   * Put lines that could not be delivered back in front, oldest first; returns how many lines were dropped
   * because the queue would exceed its capacity.
   */
  requeueFront(lines: string[]): number {
    const merged = lines.concat(this.#items.slice(this.#head));
    const excess = Math.max(0, merged.length - this.capacity);
    this.#items = excess > 0 ? merged.slice(excess) : merged;
    this.#head = 0;
    return excess;
  }

  /** Remove everything; returns how many lines were removed. */
  clear(): number {
    const removed = this.length;
    this.#items = [];
    this.#head = 0;
    return removed;
  }

  #compact(): void {
    if (this.#head >= COMPACT_AFTER && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
