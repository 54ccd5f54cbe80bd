/**
 * The artdaqDB-versus-UconDB comparison (the Python `tools/artdaqdb-vs-ucondb`, §14, done right): per run, the
 * run exported from artdaqDB against the files unpacked from its UconDB blob, file by file by relative path, with a
 * unified diff of every file that differs. Missing runs are reported as such, and a listing or transport error is a
 * `failed` run, never mistaken for "missing".
 *
 * @example
 * ```ts
 * import { compareRun } from "./compare.ts";
 * const result = await compareRun(42, { store, sink });
 * if (result.status === "different") for (const f of result.files) console.log(f.diff);
 * ```
 *
 * @module
 */
import type { ExportedFile, Sink, Store } from "../roles.ts";
import { describeError, NotFoundError } from "../errors.ts";
import { redact } from "../redact.ts";
import { bytesEqual, unpackBlob } from "../blob/mod.ts";
import { unifiedDiff } from "./diff.ts";

/** Outcome of one run. */
export type CompareStatus = "matching" | "different" | "missing_artdaqdb" | "missing_ucondb" | "failed";

/** How one file compares. */
export interface FileComparison {
  /** Relative path (basename for a legacy blob). */
  path: string;
  /** How the file differs. */
  status: "different" | "missing_in_ucondb" | "extra_in_ucondb";
  /** Size in the artdaqDB export, bytes. */
  artdaqdbSize?: number;
  /** Size in the UconDB blob, bytes. */
  ucondbSize?: number;
  /** Unified diff (artdaqDB → UconDB) for text files that differ; absent for binary content. */
  diff?: string;
  /** One-line note (binary content, truncated diff). */
  note?: string;
}

/** The comparison of one run. */
export interface RunComparison {
  /** The run compared. */
  run: number;
  /** The outcome. */
  status: CompareStatus;
  /** Files compared identical. */
  matchingFiles: number;
  /** Files that differ, are missing or extra. */
  files: FileComparison[];
  /** `<run>/<name>` from artdaqDB and from the blob header, when known. */
  configuration?: { artdaqdb?: string; ucondb?: string };
  /** One-line, redacted error of a `failed` or `missing_*` run. */
  error?: string;
  /** True when the blob was written by the Python archiver (basenames only: files are matched by basename). */
  legacyBlob?: boolean;
}

/** Options of the comparison. */
export interface CompareOptions {
  /** File names (basename, with or without `.fcl`) left out of the comparison. */
  ignoreFiles?: readonly string[];
  /** Diff lines kept per file (default 400): a run-away diff does not flood the terminal. */
  maxDiffLines?: number;
}

/** The roles the comparison reads. */
export interface CompareRoles {
  /** Exports runs from artdaqDB. */
  store: Pick<Store, "exportRun">;
  /** Fetches blobs from UconDB. */
  sink: Pick<Sink, "get">;
}

/** Compare one run; never throws (errors become `failed`). */
export async function compareRun(
  run: number,
  roles: CompareRoles,
  options: CompareOptions = {},
): Promise<RunComparison> {
  const base = { run, matchingFiles: 0, files: [] as FileComparison[] };
  const [exported, blob] = await Promise.allSettled([roles.store.exportRun(run), roles.sink.get(run)]);
  if (exported.status === "rejected") {
    const missing = exported.reason instanceof NotFoundError;
    return { ...base, status: missing ? "missing_artdaqdb" : "failed", error: redact(describeError(exported.reason)) };
  }
  if (blob.status === "rejected") return { ...base, status: "failed", error: redact(describeError(blob.reason)) };
  if (blob.value === null) return { ...base, status: "missing_ucondb", error: `run ${run} is not in UconDB` };
  let unpacked;
  try {
    unpacked = unpackBlob(blob.value);
  } catch (error) {
    return {
      ...base,
      status: "failed",
      error: redact(`run ${run}: UconDB blob cannot be unpacked: ${describeError(error)}`),
    };
  }
  const legacy = unpacked.legacy;
  const ignored = ignoreSet(options.ignoreFiles ?? []);
  // A legacy blob keeps basenames only, so both sides are keyed by basename for it (as the Python tool did).
  const keyOf = (path: string) => (legacy ? path.slice(path.lastIndexOf("/") + 1) : path);
  const left = keyed(exported.value.files, keyOf, ignored);
  const right = keyed(unpacked.files, keyOf, ignored);
  const files: FileComparison[] = [];
  let matchingFiles = 0;
  for (const [path, a] of left) {
    const b = right.get(path);
    if (!b) {
      files.push({ path, status: "missing_in_ucondb", artdaqdbSize: a.length });
      continue;
    }
    if (bytesEqual(a, b)) {
      matchingFiles++;
      continue;
    }
    files.push(diffFile(path, a, b, options.maxDiffLines ?? 400));
  }
  for (const [path, b] of right) {
    if (!left.has(path)) files.push({ path, status: "extra_in_ucondb", ucondbSize: b.length });
  }
  files.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  const configuration = {
    artdaqdb: exported.value.configuration,
    ...(unpacked.configuration ? { ucondb: unpacked.configuration } : {}),
  };
  const configDiffers = unpacked.configuration !== "" && unpacked.configuration !== exported.value.configuration;
  return {
    run,
    status: files.length > 0 || configDiffers ? "different" : "matching",
    matchingFiles,
    files,
    configuration,
    ...(legacy ? { legacyBlob: true } : {}),
  };
}

function ignoreSet(names: readonly string[]): Set<string> {
  const set = new Set<string>();
  for (const name of names) {
    const trimmed = name.trim();
    if (!trimmed) continue;
    set.add(trimmed);
    set.add(`${trimmed}.fcl`);
  }
  return set;
}

function keyed(files: readonly ExportedFile[], keyOf: (path: string) => string, ignored: Set<string>) {
  const map = new Map<string, Uint8Array>();
  for (const file of files) {
    const base = file.path.slice(file.path.lastIndexOf("/") + 1);
    if (ignored.has(base) || ignored.has(file.path)) continue;
    map.set(keyOf(file.path), file.data);
  }
  return map;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Decode UTF-8 text, or null for binary content. */
export function decodeText(bytes: Uint8Array): string | null {
  try {
    const text = decoder.decode(bytes);
    return text.includes("\0") ? null : text;
  } catch {
    return null;
  }
}

function diffFile(path: string, a: Uint8Array, b: Uint8Array, maxLines: number): FileComparison {
  const result: FileComparison = { path, status: "different", artdaqdbSize: a.length, ucondbSize: b.length };
  const textA = decodeText(a);
  const textB = decodeText(b);
  if (textA === null || textB === null) {
    result.note = `binary content differs (${a.length} bytes in artdaqDB, ${b.length} bytes in UconDB)`;
    return result;
  }
  const lines = unifiedDiff(textA, textB, { fromName: `artdaqdb/${path}`, toName: `ucondb/${path}` }).split("\n");
  if (lines.at(-1) === "") lines.pop();
  if (lines.length > maxLines) {
    result.note = `diff truncated to ${maxLines} of ${lines.length} lines`;
    lines.length = maxLines;
  }
  result.diff = redact(lines.join("\n") + "\n");
  return result;
}
