/**
 * Byte-array helpers shared by the blob code and the UconDB plugin.
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
