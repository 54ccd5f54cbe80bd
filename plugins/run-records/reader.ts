/**
 * Safe reading of one run directory: size limits per file and per run, symlinks that leave the run directory
 * refused, special files refused, strict UTF-8, SHA-256 of every file for the source manifest.
 *
 * What is kept byte-exact: every file's text is the exact decoding of its bytes (a byte-order mark, CRLF line ends
 * and a missing final newline are all kept). What is refused, with a one-line `RunInputError` naming the run, the
 * file and what to do: non-UTF-8 bytes, binary content (NUL and other control bytes), files or runs over the size
 * limits, symlinks leaving the run directory or pointing at directories, FIFOs/sockets/devices, unreadable files.
 *
 * @module
 */
import { isUtf8 } from "node:buffer";
import { createHash } from "node:crypto";
import { join, relative, sep } from "node:path";
import { utf8Text } from "../../core/blob/bytes.ts";
import { Lru } from "../../core/lru.ts";
import { describeError, RunInputError, TransientError } from "../../core/errors.ts";
import type { ManifestEntry } from "../../core/roles.ts";

/** Size limits of one run. */
export interface ReadLimits {
  maxFileBytes: number;
  maxRunBytes: number;
}

/**
 * One file of a run: its manifest entry and its content, kept as the bytes read (outside the JavaScript heap: a
 * 12 MB run held as text made the main thread's heap grow by the text of every run in flight, BENCHMARKS.md round
 * 10). `text` decodes them each time it is read.
 */
export interface RunFile extends ManifestEntry {
  bytes: Uint8Array;
  readonly text: string;
}

/** How many files of one run are read at the same time (I/O overlap without opening hundreds of files at once). */
const READ_CONCURRENCY = 8;
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
/** Control bytes that make a file binary: all below 0x20 but tab, LF, VT, FF, CR and ESC (terminal colours). */
const BINARY = new Uint8Array(256).map((_, b) => b < 0x20 && !(b >= 0x09 && b <= 0x0d) && b !== 0x1b ? 1 : 0);

const NO_WORDS = new Uint32Array(0);

/**
 * Offset of the first {@link BINARY} byte, or -1. Four bytes at a time: a word none of whose bytes is below 0x20
 * (the usual one: `(w - 0x20202020) & ~w & 0x80808080` is 0 exactly then) is passed without looking at its bytes.
 * In UTF-8 these bytes are those control characters and nothing else, so this finds the first control character.
 */
export function firstBinaryByte(bytes: Uint8Array): number {
  // Bytes one by one up to a multiple of 4 in the buffer, then whole words, then the bytes after the last word.
  const head = (4 - (bytes.byteOffset % 4)) % 4;
  const count = bytes.length > head ? (bytes.length - head) >> 2 : 0;
  for (let i = 0; i < head && i < bytes.length; i++) if (BINARY[bytes[i]]) return i;
  const words = count > 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset + head, count) : NO_WORDS;
  for (let i = 0; i < count; i++) {
    const w = words[i];
    if (((w - 0x20202020) & ~w & 0x80808080) === 0) continue;
    const at = head + (i << 2);
    for (let j = at; j < at + 4; j++) if (BINARY[bytes[j]]) return j;
  }
  for (let i = Math.min(head, bytes.length) + (count << 2); i < bytes.length; i++) if (BINARY[bytes[i]]) return i;
  return -1;
}

/**
 * Read every file below `runDir` (sorted by relative path, `/`-separated).
 *
 * @example
 * ```ts
 * const files = await readRunFiles("/daq/run_records/11001", 11001, { maxFileBytes: 16 << 20, maxRunBytes: 256 << 20 });
 * files.map((f) => f.path); // ["EventBuilder1.fcl", "boot.txt", "metadata.txt", ...]
 * ```
 */
export async function readRunFiles(runDir: string, run: number, limits: ReadLimits): Promise<RunFile[]> {
  const root = await realPath(runDir, run, runDir);
  const before = (await lstat(root, run)).mtime?.getTime();
  const paths: { path: string; size: number }[] = [];
  await collect(root, root, run, paths);
  paths.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  let total = 0;
  for (const file of paths) {
    checkFileSize(runDir, file, run, limits.maxFileBytes);
    total += file.size;
  }
  if (total > limits.maxRunBytes) {
    throw new RunInputError(
      `run ${run}: ${runDir} holds ${total} bytes, more than max_run_bytes (${limits.maxRunBytes}); ` +
        `check the run directory or raise source max_run_bytes`,
      { run },
    );
  }

  const files: RunFile[] = new Array(paths.length);
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      const index = next++;
      files[index] = await readOne(root, runDir, run, paths[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, paths.length) }, worker));
  // A file added or removed while we read (DAQInterface still copying the record in) changes the directory's mtime.
  if ((await lstat(root, run)).mtime?.getTime() !== before) {
    throw new TransientError(`run ${run}: ${runDir} changed while it was read; it is retried later`, { run });
  }
  return files;
}

async function collect(root: string, dir: string, run: number, out: { path: string; size: number }[]) {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (error) {
    throw unreadable(run, dir, error);
  }
  for (const entry of entries) {
    const full = join(dir, entry.name);
    const path = relative(root, full).split(sep).join("/");
    const info = await entryInfo(root, full, run);
    if (info.isDirectory) await collect(root, full, run, out);
    else out.push({ path, size: info.size });
  }
}

/**
 * Read one file of a run (e.g. `metadata.txt` for the completeness check) with the same rules as `readRunFiles`;
 * null when it does not exist.
 *
 * @example
 * ```ts
 * const metadata = await readRunFile("/daq/run_records/11001", "metadata.txt", 11001, 16 << 20);
 * ```
 */
export async function readRunFile(
  runDir: string,
  path: string,
  run: number,
  maxFileBytes: number,
): Promise<RunFile | null> {
  const root = await realPath(runDir, run, runDir);
  const full = join(root, path);
  try {
    await Deno.lstat(full);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw unreadable(run, join(runDir, path), error);
  }
  const info = await entryInfo(root, full, run);
  if (info.isDirectory) {
    throw new RunInputError(`run ${run}: ${join(runDir, path)} is a directory, not a file; remove or rename it`, {
      run,
    });
  }
  checkFileSize(runDir, { path, size: info.size }, run, maxFileBytes);
  return await readOne(root, runDir, run, { path, size: info.size });
}

/**
 * Facts of one entry below the run directory: a symlink must stay inside the run and point at a file (its target's
 * facts are returned); FIFOs, sockets and devices are refused.
 */
async function entryInfo(root: string, full: string, run: number): Promise<Deno.FileInfo> {
  let info = await lstat(full, run);
  if (info.isSymlink) {
    const target = await realPath(full, run, full);
    if (target !== root && !target.startsWith(root + sep)) {
      throw new RunInputError(
        `run ${run}: ${full} is a symlink to ${target}, outside the run directory; ` +
          `replace the link with a copy of the file`,
        { run },
      );
    }
    info = await lstat(target, run);
    if (info.isDirectory) {
      throw new RunInputError(
        `run ${run}: ${full} is a symlink to a directory; replace the link with a copy of the directory`,
        { run },
      );
    }
  }
  if (!info.isDirectory && !info.isFile) {
    throw new RunInputError(
      `run ${run}: ${full} is not a regular file (FIFO, socket or device); remove it from the run directory`,
      { run },
    );
  }
  return info;
}

function checkFileSize(runDir: string, file: { path: string; size: number }, run: number, maxFileBytes: number) {
  if (file.size > maxFileBytes) {
    throw new RunInputError(
      `run ${run}: ${join(runDir, file.path)} is ${file.size} bytes, more than max_file_bytes ` +
        `(${maxFileBytes}); remove the file from the run directory or raise source max_file_bytes`,
      { run },
    );
  }
}

async function readOne(
  root: string,
  runDir: string,
  run: number,
  file: { path: string; size: number },
): Promise<RunFile> {
  const display = join(runDir, file.path);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(join(root, file.path));
  } catch (error) {
    throw unreadable(run, display, error);
  }
  if (bytes.length !== file.size) {
    throw new TransientError(
      `run ${run}: ${display} changed while it was read (${file.size} → ${bytes.length} bytes); it is retried later`,
      { run },
    );
  }
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  if (!CHECKED.get(sha256)) checkText(bytes, run, display, sha256);
  return {
    path: file.path,
    size: bytes.length,
    sha256,
    bytes,
    get text() {
      return utf8Text(bytes);
    },
  };
}

/**
 * Digests of contents found to be text already (consecutive runs of one configuration hold the same files: their
 * check, ~15 ms of the main thread's CPU a 12 MB run, is made once). The least recently used go first.
 */
const CHECKED = new Lru<string, true>(4096);

/**
 * Refuses `bytes` unless they are UTF-8 text without control characters; notes `sha256` as checked. Checked as bytes
 * (no text is made of them: the bytes are what is kept): UTF-8 by the native validator, control characters by a scan
 * of the bytes (in UTF-8 these bytes are those characters and nothing else).
 */
function checkText(bytes: Uint8Array, run: number, display: string, sha256: string): void {
  if (!isUtf8(bytes)) {
    throw new RunInputError(
      `run ${run}: ${display} is not UTF-8 text (byte ${firstInvalidUtf8(bytes)}); ` +
        `convert it to UTF-8 (iconv -f latin1 -t utf-8) or remove it from the run directory`,
      { run },
    );
  }
  const binary = firstBinaryByte(bytes);
  if (binary >= 0) {
    throw new RunInputError(
      `run ${run}: ${display} contains binary data (control byte 0x${
        bytes[binary].toString(16).padStart(2, "0")
      } at character ${UTF8.decode(bytes.subarray(0, binary)).length}); replace it with the text file DAQInterface ` +
        `wrote or remove it`,
      { run },
    );
  }
  CHECKED.set(sha256, true);
}

/** Offset of the first byte that is not valid UTF-8 (for the error message). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let low = 0;
  let high = bytes.length;
  // Binary search on the longest decodable prefix; a prefix may end inside a valid sequence, so step back 3 bytes.
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
      low = mid;
    } catch {
      high = mid - 1;
    }
  }
  // `low` may end inside a sequence that the next byte breaks: the bad byte is the last full-character boundary.
  for (let end = low; end > Math.max(0, low - 4); end--) {
    try {
      UTF8.decode(bytes.subarray(0, end));
      return end;
    } catch { /* inside a sequence: step back */ }
  }
  return Math.max(0, low - 4);
}

async function lstat(path: string, run: number): Promise<Deno.FileInfo> {
  try {
    return await Deno.lstat(path);
  } catch (error) {
    throw unreadable(run, path, error);
  }
}

async function realPath(path: string, run: number, display: string): Promise<string> {
  try {
    return await Deno.realPath(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new RunInputError(`run ${run}: ${display} does not exist (dangling symlink?); fix or remove it`, { run });
    }
    throw unreadable(run, display, error);
  }
}

function unreadable(run: number, path: string, error: unknown): RunInputError {
  if (error instanceof Deno.errors.PermissionDenied) {
    return new RunInputError(
      `run ${run}: cannot read ${path}: permission denied; make it readable by the archiver's user (chmod a+rX)`,
      { run, cause: error },
    );
  }
  return new RunInputError(
    `run ${run}: cannot read ${path}: ${describeError(error)}`,
    { run, cause: error },
  );
}
