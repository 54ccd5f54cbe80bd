/**
 * The blob: one byte string holding every exported file of a stored run, in the Python archiver's layout
 * (header, `#####` sections, footer) with its defects fixed. The exact format is documented in docs/ucondb.md;
 * in short:
 *
 * ```
 * Start of Record
 * Run Number: <run>
 * Packed on <Mon DD HH:MM> UTC          ← from storedAt, never the wall clock
 * Configuration: <configuration>
 * Stored At: <storedAt verbatim>
 * Blob Format: 2
 *
 * #####
 * <relative/path>:
 * #####
 * <content, escaped as in escape.ts>
 * ...
 * End of Record
 * Run Number: <run>
 * Packed on <Mon DD HH:MM> UTC
 * ```
 *
 * Content is copied as bytes (never decoded), so UTF-8 stays exactly UTF-8 and any other byte survives too.
 *
 * @module
 */
import { ArchiverError, RunInputError } from "../errors.ts";
import type { ExportedFile } from "../roles.ts";
import { concatBytes, matchesAt } from "./bytes.ts";
import { escapeContent, findLine, unescapeContent } from "./escape.ts";

/** A blob that cannot be unpacked (truncated, not a blob, inconsistent header/footer). */
export class BlobFormatError extends ArchiverError {}

/** What `unpackBlob` returns. */
export interface UnpackedBlob {
  /** Run number from the header. */
  run: number;
  /** `<run>/<name>`; empty for a legacy (Python archiver) blob, which does not record it. */
  configuration: string;
  /** The stored run's time, verbatim; empty for a legacy blob. */
  storedAt: string;
  /** Files in blob order. `data` may be a view into the unpacked bytes (no copy). */
  files: ExportedFile[];
  /** True for a blob written by the Python archiver (no `Blob Format: 2` line, no escaping, basenames). */
  legacy: boolean;
}

/**
 * The files that close a blob, in this order (the Python archiver's "end files"), matched case-insensitively
 * against top-level paths.
 */
export const END_FILES: readonly string[] = [
  "boot.fcl",
  "known_boardreaders_list.fcl",
  "setup.fcl",
  "environment.fcl",
  "metadata.fcl",
  "settings.fcl",
  "ranks.fcl",
  "runhistory.fcl",
  "runhistory2.fcl",
];

const FORMAT_LINE = "Blob Format: 2";
const SEPARATOR = "\n#####\n";
const FOOTER_START = "\nEnd of Record\n";
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const encoder = new TextEncoder();
const SEPARATOR_BYTES = encoder.encode(SEPARATOR);
const FOOTER_START_BYTES = encoder.encode(FOOTER_START);
/** The structural lines with their newline, as `findLine` wants them; the separator line also ends a file name. */
const SEPARATOR_LINE = encoder.encode("#####\n");
const FOOTER_LINE = encoder.encode("End of Record\n");
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/**
 * The `Packed on` text of the Python layout (`%b %d %H:%M`, C locale, UTC) computed from the stored run's time,
 * so the same stored run always gives the same blob.
 *
 * @example
 * ```ts
 * packedOn("2026-11-29T14:01:59.5Z"); // "Nov 29 14:01"
 * ```
 */
export function packedOn(storedAt: string): string {
  const time = new Date(storedAt);
  if (!/^\d{4}-\d{2}-\d{2}/.test(storedAt) || Number.isNaN(time.getTime())) {
    throw new RunInputError(`storedAt '${storedAt}' is not an ISO 8601 time; the store must give the run's time`);
  }
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${MONTHS[time.getUTCMonth()]} ${pad(time.getUTCDate())} ${pad(time.getUTCHours())}:${
    pad(time.getUTCMinutes())
  }`;
}

/** Throws unless `path` is a clean relative `/`-separated path that can be written under any directory. */
export function checkRelativePath(path: string, what: string): void {
  const problem = pathProblem(path);
  if (problem) throw new RunInputError(`${what}: path '${JSON.stringify(path).slice(1, -1)}' ${problem}`);
}

function pathProblem(path: string): string | null {
  if (path.length === 0) return "is empty";
  if (!path.isWellFormed()) return "is not valid Unicode";
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) return "contains a control character (newline, tab, ...)";
  if (path.startsWith("/")) return "is absolute; use a path relative to the run's directory";
  if (path.split("/").some((part) => part === "" || part === "." || part === "..")) {
    return "has an empty, '.' or '..' segment";
  }
  return null;
}

function checkSingleLine(value: string, name: string, run: number): void {
  // deno-lint-ignore no-control-regex
  if (!value.isWellFormed() || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new RunInputError(`run ${run}: ${name} '${JSON.stringify(value).slice(1, -1)}' must be one line of text`);
  }
}

/** Blob order: regular files by lower-cased path (ties by exact path), then the end files in `END_FILES` order. */
export function blobOrder(files: readonly ExportedFile[]): ExportedFile[] {
  const rank = (path: string) => {
    const index = path.includes("/") ? -1 : END_FILES.indexOf(path.toLowerCase());
    return index < 0 ? -1 : index;
  };
  const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...files].sort((x, y) =>
    rank(x.path) - rank(y.path) || compare(x.path.toLowerCase(), y.path.toLowerCase()) || compare(x.path, y.path)
  );
}

/**
 * The blob of a stored run as a list of byte pieces (views of the file contents where nothing is escaped, so no
 * copy is made). Write them in order to stream a blob; `packBlob` joins them.
 *
 * @example
 * ```ts
 * const parts = packBlobParts(1, "1/demo", "2026-01-01T00:00:00Z", [{ path: "a.fcl", data: new Uint8Array() }]);
 * for (const part of parts) await Deno.stdout.write(part);
 * ```
 */
export function packBlobParts(
  run: number,
  configuration: string,
  storedAt: string,
  files: readonly ExportedFile[],
): Uint8Array[] {
  if (!Number.isSafeInteger(run) || run < 0) throw new RunInputError(`run '${run}' is not a run number`);
  checkSingleLine(configuration, "configuration", run);
  checkSingleLine(storedAt, "storedAt", run);
  if (files.length === 0) {
    throw new RunInputError(`run ${run}: no files to pack; export the run again (an empty export is an error)`);
  }
  const seen = new Set<string>();
  for (const file of files) {
    checkRelativePath(file.path, `run ${run}`);
    if (seen.has(file.path)) throw new RunInputError(`run ${run}: file '${file.path}' is given twice`);
    seen.add(file.path);
  }
  const packed = packedOn(storedAt);
  const parts: Uint8Array[] = [
    encoder.encode(
      `Start of Record\nRun Number: ${run}\nPacked on ${packed} UTC\nConfiguration: ${configuration}\n` +
        `Stored At: ${storedAt}\n${FORMAT_LINE}\n`,
    ),
  ];
  for (const file of blobOrder(files)) {
    parts.push(encoder.encode(`${SEPARATOR}${file.path}:\n#####\n`));
    for (const piece of escapeContent(file.data)) if (piece.length > 0) parts.push(piece);
  }
  parts.push(encoder.encode(`${FOOTER_START}Run Number: ${run}\nPacked on ${packed} UTC\n`));
  return parts;
}

/**
 * Pack the exported files of a stored run into one blob. Deterministic: the same run, configuration, time and
 * files (in any order) always give the same bytes.
 *
 * @example
 * ```ts
 * const files = [{ path: "boot.fcl", data: new TextEncoder().encode("a: 1\n") }];
 * const blob = packBlob(100, "100/demo", "2026-11-29T14:01:00Z", files);
 * unpackBlob(blob).files[0].path; // "boot.fcl"
 * ```
 */
export function packBlob(
  run: number,
  configuration: string,
  storedAt: string,
  files: readonly ExportedFile[],
): Uint8Array {
  return concatBytes(packBlobParts(run, configuration, storedAt, files));
}

/**
 * Unpack a blob: the exact inverse of `packBlob`. Also reads blobs written by the Python archiver (`legacy`:
 * true; their content was never escaped, so it is returned as stored, and their names are basenames).
 * Throws `BlobFormatError` for anything that is not a well-formed blob.
 *
 * @example
 * ```ts
 * const { run, files } = unpackBlob(blob);
 * ```
 */
export function unpackBlob(bytes: Uint8Array): UnpackedBlob {
  const headerEnd = findLine(bytes, 0, [SEPARATOR_LINE, FOOTER_LINE]);
  if (headerEnd < 0) throw new BlobFormatError("not a run record blob: no '#####' section and no 'End of Record'");
  const header = parseHeader(decodeText(bytes.subarray(0, headerEnd), "header"));
  const files: ExportedFile[] = [];
  const seen = new Set<string>();
  let position = headerEnd;
  while (matchesAt(bytes, SEPARATOR_BYTES, position)) {
    const nameStart = position + SEPARATOR.length;
    const nameEnd = bytes.indexOf(0x0a, nameStart);
    if (nameEnd < 0 || bytes[nameEnd - 1] !== 0x3a || !matchesAt(bytes, SEPARATOR_LINE, nameEnd + 1)) {
      throw new BlobFormatError(`run ${header.run}: malformed section marker at byte ${position}`);
    }
    const path = decodeText(bytes.subarray(nameStart, nameEnd - 1), "file name");
    if (!header.legacy) {
      const problem = pathProblem(path);
      if (problem) throw new BlobFormatError(`run ${header.run}: file name '${path}' in the blob ${problem}`);
    }
    if (seen.has(path)) throw new BlobFormatError(`run ${header.run}: file '${path}' appears twice in the blob`);
    seen.add(path);
    const contentStart = nameEnd + 1 + SEPARATOR_LINE.length;
    // Format 2 content never holds a reserved line, so the first one ends it. The Python extractor ended a
    // legacy file at the next separator, and only the last one at the footer: keep that reading for old blobs.
    let end = findLine(bytes, contentStart, header.legacy ? [SEPARATOR_LINE] : [SEPARATOR_LINE, FOOTER_LINE]);
    if (end < 0 && header.legacy) end = findLine(bytes, contentStart, [FOOTER_LINE]);
    const contentEnd = end < 0 ? bytes.length : end;
    const content = bytes.subarray(contentStart, contentEnd);
    files.push({ path, data: header.legacy ? content : unescapeContent(content) });
    position = contentEnd;
  }
  checkFooter(bytes, position, header);
  return {
    run: header.run,
    configuration: header.configuration,
    storedAt: header.storedAt,
    files,
    legacy: header.legacy,
  };
}

interface Header {
  run: number;
  packedOn: string;
  configuration: string;
  storedAt: string;
  legacy: boolean;
}

function parseHeader(text: string): Header {
  const lines = text.split("\n");
  if (lines[0] !== "Start of Record") throw new BlobFormatError("not a run record blob: no 'Start of Record' line");
  const runMatch = /^Run Number: (\d+)$/.exec(lines[1] ?? "");
  if (!runMatch) throw new BlobFormatError("not a run record blob: no 'Run Number: N' line");
  const run = Number(runMatch[1]);
  const packedMatch = /^Packed on (.*) UTC$/.exec(lines[2] ?? "");
  if (lines[5] !== FORMAT_LINE) {
    return { run, packedOn: packedMatch?.[1] ?? "", configuration: "", storedAt: "", legacy: true };
  }
  const configuration = /^Configuration: (.*)$/.exec(lines[3] ?? "");
  const storedAt = /^Stored At: (.*)$/.exec(lines[4] ?? "");
  if (!packedMatch || !configuration || !storedAt || lines.length !== 7 || lines[6] !== "") {
    throw new BlobFormatError(`run ${run}: malformed blob header (expected the 6 lines of format 2)`);
  }
  return { run, packedOn: packedMatch[1], configuration: configuration[1], storedAt: storedAt[1], legacy: false };
}

function checkFooter(bytes: Uint8Array, position: number, header: Header): void {
  if (header.legacy) {
    // The Python extractor stops at the first "End of Record" (or the end of the text); so do we.
    if (position < bytes.length && !matchesAt(bytes, FOOTER_START_BYTES, position)) {
      throw new BlobFormatError(`run ${header.run}: unexpected bytes after the last section`);
    }
    return;
  }
  const footer = encoder.encode(`${FOOTER_START}Run Number: ${header.run}\nPacked on ${header.packedOn} UTC\n`);
  if (bytes.length - position !== footer.length || !matchesAt(bytes, footer, position)) {
    throw new BlobFormatError(
      `run ${header.run}: blob footer missing or not matching the header (truncated or altered blob)`,
    );
  }
}

function decodeText(bytes: Uint8Array, what: string): string {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    throw new BlobFormatError(`blob ${what} is not valid UTF-8`);
  }
}
