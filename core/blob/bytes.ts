/**
 * Byte-array helpers shared by the blob code, the UconDB plugin and the FHiCL byte converters.
 *
 * @module
 */

/**
 * One allocation holding every part in order.
 *
 * @example
 * ```ts
 * concatBytes([new Uint8Array([1]), new Uint8Array([2, 3])]); // Uint8Array [1, 2, 3]
 * ```
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const part of parts) size += part.length;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Whether `pattern` occurs in `bytes` at `position`. */
export function matchesAt(bytes: Uint8Array, pattern: Uint8Array, position: number): boolean {
  if (position < 0 || position + pattern.length > bytes.length) return false;
  for (let i = 0; i < pattern.length; i++) if (bytes[position + i] !== pattern[i]) return false;
  return true;
}

/**
 * Whether two byte arrays hold the same bytes.
 *
 * @example
 * ```ts
 * bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])); // true
 * ```
 */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Frees the memory behind `bytes` at once, instead of when the collector gets to it: the buffer is detached
 * (`ArrayBuffer.prototype.transfer(0)`), so `bytes` (and every other view of that buffer) is empty afterwards. For
 * the large buffers of a run (a stored document read for export, a run's exported files once packed, a blob once
 * uploaded): a buffer handed between threads is otherwise freed only when the thread that holds it last collects its
 * heap, and the process's malloc heap grows by every run in flight meanwhile (BENCHMARKS.md round 7). Only a view
 * of a whole buffer is released (a slice of a larger buffer is left alone); call it only where nothing reads the
 * buffer any more.
 *
 * @example
 * ```ts
 * const bytes = new Uint8Array(12 << 20);
 * releaseBytes(bytes);
 * bytes.length; // 0
 * ```
 */
export function releaseBytes(bytes: Uint8Array): void {
  const buffer = bytes.buffer;
  if (buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength) {
    if (!buffer.detached) buffer.transfer(0);
  }
}

const UTF8_TEXT = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * The text of UTF-8 `bytes`, a byte-order mark kept (so that its UTF-8 encoding is `bytes` again, for bytes that a
 * strict decoder accepted). For text kept as its bytes, which stay outside the JavaScript heap and cross to a
 * thread as bytes: decoded where it is read, never cached. Throws for bytes already released ({@link releaseBytes}),
 * which would otherwise read as an empty text.
 *
 * @example
 * ```ts
 * utf8Text(new TextEncoder().encode("a: 1\n")); // "a: 1\n"
 * ```
 */
export function utf8Text(bytes: Uint8Array): string {
  if (bytes.buffer instanceof ArrayBuffer && bytes.buffer.detached) {
    throw new Error("the text was read after its bytes were released");
  }
  return UTF8_TEXT.decode(bytes);
}

const ASCII = new TextEncoder();

/**
 * A growable byte buffer written at its end (`at`), for code that assembles bytes piece by piece and reuses the
 * buffer from one use to the next: {@link reset} keeps it unless it grew past `kept` bytes.
 *
 * @example
 * ```ts
 * const out = new ByteBuffer();
 * out.put(new TextEncoder().encode("ab"));
 * out.byte(0x63);
 * out.view(); // Uint8Array [97, 98, 99]
 * ```
 */
export class ByteBuffer {
  buf: Uint8Array;
  /** Bytes written so far: the next one goes there. */
  at = 0;
  readonly #initial: number;
  readonly #kept: number;

  constructor(initial = 1 << 16, kept = 4 << 20) {
    this.#initial = initial;
    this.#kept = kept;
    this.buf = new Uint8Array(initial);
  }

  /** Empties the buffer (a large one is let go). */
  reset(): void {
    if (this.buf.length > this.#kept) this.buf = new Uint8Array(this.#initial);
    this.at = 0;
  }

  /** The bytes written, as a view of the buffer (valid until the next write or reset). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.at);
  }

  /** Room for `bytes` more bytes. */
  reserve(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.at + bytes) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.at));
    this.buf = grown;
  }

  byte(c: number): void {
    this.reserve(1);
    this.buf[this.at++] = c;
  }

  /** `text`, which must be ASCII, one byte per character (a long one through the native encoder). */
  ascii(text: string): void {
    this.reserve(text.length);
    const buf = this.buf;
    let at = this.at;
    if (text.length > 64) {
      this.at = at + ASCII.encodeInto(text, buf.subarray(at)).written;
      return;
    }
    for (let i = 0; i < text.length; i++) buf[at++] = text.charCodeAt(i);
    this.at = at;
  }

  /** `bytes` appended (short ones copied here, cheaper than a call into the native copy). */
  put(bytes: Uint8Array): void {
    this.copy(bytes, 0, bytes.length);
  }

  /** `src[from, to)` appended. */
  copy(src: Uint8Array, from: number, to: number): void {
    const n = to - from;
    this.reserve(n);
    const buf = this.buf;
    let at = this.at;
    if (n > 16) {
      buf.set(from === 0 && to === src.length ? src : src.subarray(from, to), at);
      this.at = at + n;
      return;
    }
    for (let i = from; i < to; i++) buf[at++] = src[i];
    this.at = at;
  }

  /**
   * Moves the bytes from `tail` to the end into the place of `[from, to)` and drops those from `cut` to `tail`
   * (`from` ≤ `to` ≤ `cut` ≤ `tail`); returns by how much the bytes after `to` moved.
   */
  replace(from: number, to: number, cut: number, tail: number): number {
    const value = this.buf.slice(tail, this.at);
    this.at = cut;
    const delta = value.length - (to - from);
    if (delta > 0) this.reserve(delta);
    this.buf.copyWithin(from + value.length, to, this.at);
    this.buf.set(value, from);
    this.at += delta;
    return delta;
  }

  /** Removes `[from, to)`. */
  remove(from: number, to: number): void {
    this.buf.copyWithin(from, to, this.at);
    this.at -= to - from;
  }
}
