/**
 * A blob as the parts it was packed from: views of the exported files and the few bytes of its header, section
 * lines and footer (`packBlobParts`), never copied into one buffer on the way to the sink. A 12 MB run thus costs its
 * exported files once, not files plus a blob plus a request body; the HTTP transport writes the parts one after
 * another under one Content-Length. Its size and adler32 are computed once and shared by the put's check and the
 * pipeline's verification.
 *
 * @module
 */
import { Adler32 } from "./adler32.ts";
import { bytesEqual, concatBytes } from "./bytes.ts";

/** The bytes of a blob in parts (see the module doc). */
export class PackedBlob {
  /** The blob's bytes, in order; their concatenation is the blob. */
  readonly parts: readonly Uint8Array[];
  /** Length of the blob in bytes. */
  readonly size: number;
  #adler32?: string;

  /**
   * A blob made of `parts` (not copied: they must not change while the blob is in use).
   *
   * @example
   * ```ts
   * const blob = new PackedBlob([new TextEncoder().encode("Wiki"), new TextEncoder().encode("pedia")]);
   * blob.adler32; // "300286872", as of "Wikipedia"
   * ```
   */
  constructor(parts: readonly Uint8Array[]) {
    this.parts = parts;
    let size = 0;
    for (const part of parts) size += part.length;
    this.size = size;
  }

  /** `blob` itself, or bytes as a blob of one part. */
  static of(blob: Uint8Array | PackedBlob): PackedBlob {
    return blob instanceof PackedBlob ? blob : new PackedBlob([blob]);
  }

  /** Adler-32 of the whole blob as unsigned decimal text (UconDB's `adler32`), computed on first use. */
  get adler32(): string {
    if (this.#adler32 === undefined) {
      const sum = new Adler32();
      for (const part of this.parts) sum.update(part);
      this.#adler32 = sum.digest();
    }
    return this.#adler32;
  }

  /** The blob in one buffer (a copy, unless it has one part): for readers that need it whole. */
  bytes(): Uint8Array {
    return this.parts.length === 1 ? this.parts[0] : concatBytes(this.parts);
  }

  /**
   * A comparison of this blob with bytes that arrive in pieces (a download), none of them kept: `push` each piece in
   * order, then `matches()`.
   *
   * @example
   * ```ts
   * const comparison = blob.comparison();
   * for await (const chunk of response.body!) comparison.push(chunk);
   * comparison.matches(); // true when the pieces were exactly the blob
   * ```
   */
  comparison(): { push(piece: Uint8Array): void; matches(): boolean } {
    const parts = this.parts;
    const size = this.size;
    let part = 0; // the part the next byte is compared with,
    let offset = 0; // and where in it
    let seen = 0;
    let same = true;
    return {
      push(piece: Uint8Array): void {
        seen += piece.length;
        if (!same || seen > size) {
          same = false;
          return;
        }
        let at = 0;
        while (at < piece.length) {
          while (offset === parts[part].length) {
            part++;
            offset = 0;
          }
          const n = Math.min(piece.length - at, parts[part].length - offset);
          if (!bytesEqual(piece.subarray(at, at + n), parts[part].subarray(offset, offset + n))) {
            same = false;
            return;
          }
          at += n;
          offset += n;
        }
      },
      matches: () => same && seen === size,
    };
  }

  /** Whether `bytes` are exactly this blob (compared part by part, without joining the parts). */
  equals(bytes: Uint8Array): boolean {
    const comparison = this.comparison();
    comparison.push(bytes);
    return comparison.matches();
  }
}
