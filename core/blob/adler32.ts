/**
 * Adler-32, the only checksum a UconDB server keeps for a blob (`zlib.adler32(data) & 0xFFFFFFFF`).
 *
 * @module
 */

const MOD = 65521;
/** Largest n such that 255·n·(n+1)/2 + (n+1)·(MOD−1) fits in 2^32−1: the sums can be deferred that long. */
const NMAX = 5552;

/**
 * Incremental Adler-32: feed chunks with `update`, read the value with `digest`. Lets a streamed blob be summed
 * without holding it whole.
 *
 * @example
 * ```ts
 * const sum = new Adler32();
 * sum.update(new TextEncoder().encode("Wiki"));
 * sum.update(new TextEncoder().encode("pedia"));
 * sum.digest(); // "300286872"
 * ```
 */
export class Adler32 {
  #a = 1;
  #b = 0;

  /** Add `bytes` to the running checksum. */
  update(bytes: Uint8Array): this {
    let a = this.#a;
    let b = this.#b;
    let i = 0;
    const length = bytes.length;
    while (i < length) {
      const end = Math.min(i + NMAX, length);
      // Eight bytes per step: b gains 8·a plus the bytes weighted 8, 7, …, 1 (fewer loop and bound checks).
      for (const end8 = end - 7; i < end8; i += 8) {
        const x0 = bytes[i], x1 = bytes[i + 1], x2 = bytes[i + 2], x3 = bytes[i + 3];
        const x4 = bytes[i + 4], x5 = bytes[i + 5], x6 = bytes[i + 6], x7 = bytes[i + 7];
        b += 8 * a + 8 * x0 + 7 * x1 + 6 * x2 + 5 * x3 + 4 * x4 + 3 * x5 + 2 * x6 + x7;
        a += x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7;
      }
      for (; i < end; i++) {
        a += bytes[i];
        b += a;
      }
      a %= MOD;
      b %= MOD;
    }
    this.#a = a;
    this.#b = b;
    return this;
  }

  /** The checksum as an unsigned 32-bit integer. */
  value(): number {
    return (this.#b * 65536 + this.#a) >>> 0;
  }

  /** The checksum as UconDB's metadata shows it: unsigned decimal text. */
  digest(): string {
    return String(this.value());
  }
}

/**
 * Adler-32 of `bytes` as unsigned decimal text, exactly the `adler32` number of UconDB's version metadata.
 *
 * @example
 * ```ts
 * adler32(new TextEncoder().encode("Wikipedia")); // "300286872"
 * adler32(new Uint8Array()); // "1"
 * ```
 */
export function adler32(bytes: Uint8Array): string {
  return new Adler32().update(bytes).digest();
}
