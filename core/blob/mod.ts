/**
 * The run blob: pack a stored run's exported files into the one byte string archived in UconDB, unpack it
 * exactly, and checksum it the way UconDB does.
 *
 * @example
 * ```ts
 * import { adler32, packBlob, unpackBlob } from "./mod.ts";
 * const files = [{ path: "boot.fcl", data: new TextEncoder().encode("a: 1\n") }];
 * const blob = packBlob(100, "100/demo", "2026-11-29T14:01:00Z", files);
 * unpackBlob(blob).files; // the same files
 * adler32(blob); // what UconDB reports as "adler32" for this blob
 * ```
 *
 * @module
 */
export { Adler32, adler32 } from "./adler32.ts";
export {
  BlobFormatError,
  blobOrder,
  checkRelativePath,
  END_FILES,
  packBlob,
  packBlobParts,
  packedOn,
  unpackBlob,
  type UnpackedBlob,
} from "./format.ts";
export { RESERVED_LINES } from "./escape.ts";
export { PackedBlob } from "./packed.ts";
export { bytesEqual, concatBytes, releaseBytes } from "./bytes.ts";
