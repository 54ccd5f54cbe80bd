/**
 * The tar streams the bulk tools' files travel in over SSH, made and read in memory so that no tar file is ever
 * written on either host. Writing produces POSIX ustar (long names through a pax `path` record), which every
 * `tar -x` reads; reading accepts what GNU and BSD `tar -c` produce: regular files, directories, GNU long names
 * and pax headers. Links and devices are refused: the tools write only files.
 *
 * @module
 */

import { concatBytes } from "../../core/blob/bytes.ts";
import { StoreError } from "../../core/errors.ts";
import type { ExportedFile } from "../../core/roles.ts";
import { sortByPath } from "../artdaqdb-conftool/export.ts";

const BLOCK = 512;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One file to put into a tar stream: `path` relative, `/`-separated. */
export interface TarEntry {
  /** Relative path inside the archive. */
  path: string;
  /** File content. */
  data: Uint8Array;
}

/**
 * A ustar archive of `entries` (mode 0600, mtime 0, owner 0: the content is all that matters), ending with the
 * two zero blocks. Paths must be relative and must not contain `..`.
 *
 * @example
 * ```ts
 * const tar = createTar([{ path: "boot.fcl", data: new TextEncoder().encode("a: 1\n") }]);
 * tar.length; // 2048: header, one data block, two end blocks
 * ```
 */
export function createTar(entries: readonly TarEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const entry of entries) {
    checkPath(entry.path);
    const name = encoder.encode(entry.path);
    if (name.length > 100) {
      const record = paxRecord("path", entry.path);
      parts.push(header("PaxHeader", record.length, "x"), padded(record));
      parts.push(header(entry.path.slice(-100).replace(/^[^/]*\//, ""), entry.data.length, "0"));
    } else {
      parts.push(header(entry.path, entry.data.length, "0"));
    }
    parts.push(padded(entry.data));
  }
  parts.push(new Uint8Array(BLOCK * 2));
  return concatBytes(parts);
}

/**
 * The regular files of a tar archive, paths normalised (`./standard/boot.fcl` → `standard/boot.fcl`), sorted by
 * path. Throws `StoreError` (naming `what`) for a truncated or corrupt archive, an unsafe path or a link.
 *
 * @example
 * ```ts
 * readTar(createTar([{ path: "schema.fcl", data }]), "bulkdownloader output"); // [{ path: "schema.fcl", data }]
 * ```
 */
export function readTar(bytes: Uint8Array, what: string): ExportedFile[] {
  const files: ExportedFile[] = [];
  let offset = 0;
  let longName: string | null = null;
  while (offset + BLOCK <= bytes.length) {
    const block = bytes.subarray(offset, offset + BLOCK);
    if (block.every((byte) => byte === 0)) return sortByPath(files);
    if (!checksumOk(block)) throw new StoreError(`${what}: corrupt tar header at byte ${offset}`);
    const size = octal(block.subarray(124, 136));
    const type = String.fromCharCode(block[156] || 48);
    const dataStart = offset + BLOCK;
    const dataEnd = dataStart + size;
    if (dataEnd > bytes.length) throw new StoreError(`${what}: tar stream cut short (${bytes.length} bytes)`);
    const data = bytes.subarray(dataStart, dataEnd);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (type === "L") {
      longName = cString(data);
      continue;
    }
    if (type === "x") {
      longName = paxPath(data) ?? longName;
      continue;
    }
    if (type === "g") continue;
    const rawName = longName ?? headerName(block);
    longName = null;
    const path = normalise(rawName, what);
    if (type === "5") continue;
    if (type !== "0" && type !== "7") {
      throw new StoreError(`${what}: '${rawName}' is not a regular file (tar type ${type}); refused`);
    }
    if (path !== "") files.push({ path, data: data.slice() });
  }
  if (bytes.length === 0) throw new StoreError(`${what}: empty tar stream`);
  throw new StoreError(`${what}: tar stream ended without its end blocks (${bytes.length} bytes)`);
}

function header(name: string, size: number, type: string): Uint8Array {
  const block = new Uint8Array(BLOCK);
  const put = (at: number, length: number, text: string) => block.set(encoder.encode(text).subarray(0, length), at);
  put(0, 100, name);
  put(100, 8, "0000600\0");
  put(108, 8, "0000000\0");
  put(116, 8, "0000000\0");
  put(124, 12, size.toString(8).padStart(11, "0") + "\0");
  put(136, 12, "00000000000\0");
  put(156, 1, type);
  put(257, 8, "ustar\u000000");
  block.fill(32, 148, 156);
  const sum = block.reduce((total, byte) => total + byte, 0);
  put(148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return block;
}

function paxRecord(key: string, value: string): Uint8Array {
  const body = ` ${key}=${value}\n`;
  // The length counts its own digits: one more digit is needed when adding them crosses a power of ten.
  const bodyLength = encoder.encode(body).length;
  let length = bodyLength + String(bodyLength).length;
  if (String(length).length !== String(bodyLength).length) length = bodyLength + String(length).length;
  return encoder.encode(`${length}${body}`);
}

function paxPath(data: Uint8Array): string | null {
  let path: string | null = null;
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(32, offset);
    if (space < 0) break;
    const length = Number(decoder.decode(data.subarray(offset, space)));
    if (!Number.isInteger(length) || length <= 0) break;
    const record = decoder.decode(data.subarray(space + 1, offset + length - 1));
    const equals = record.indexOf("=");
    if (record.slice(0, equals) === "path") path = record.slice(equals + 1);
    offset += length;
  }
  return path;
}

function headerName(block: Uint8Array): string {
  const name = cString(block.subarray(0, 100));
  const magic = decoder.decode(block.subarray(257, 262));
  const prefix = magic === "ustar" ? cString(block.subarray(345, 500)) : "";
  return prefix ? `${prefix}/${name}` : name;
}

function normalise(name: string, what: string): string {
  const parts = name.split("/").filter((part) => part !== "" && part !== ".");
  if (name.startsWith("/") || parts.includes("..")) {
    throw new StoreError(`${what}: unsafe path '${name}' in the tar stream; refused`);
  }
  return parts.join("/");
}

/**
 * Whether `path` is a relative, `/`-separated file path without empty, `.` or `..` parts (safe to create under a
 * directory on any host).
 *
 * @example
 * ```ts
 * isSafeRelativePath("standard/boot.fcl"); // true
 * isSafeRelativePath("../etc/passwd"); // false
 * ```
 */
export function isSafeRelativePath(path: string): boolean {
  return path !== "" && !path.startsWith("/") && !path.includes("\0") &&
    path.split("/").every((part) => part !== "" && part !== "." && part !== "..");
}

function checkPath(path: string): void {
  if (!isSafeRelativePath(path)) {
    throw new StoreError(`cannot send '${path}': only relative file paths without '..' can be transferred`);
  }
}

function checksumOk(block: Uint8Array): boolean {
  const stored = octal(block.subarray(148, 156));
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i];
  return sum === stored;
}

function octal(field: Uint8Array): number {
  if (field[0] & 0x80) {
    // GNU base-256 for sizes ≥ 8 GiB: far above anything the tools write, refused by the size check below.
    return Number.MAX_SAFE_INTEGER;
  }
  const text = cString(field).trim();
  return text ? parseInt(text, 8) : 0;
}

function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return decoder.decode(end < 0 ? bytes : bytes.subarray(0, end));
}

function padded(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(data.length / BLOCK) * BLOCK);
  out.set(data);
  return out;
}
