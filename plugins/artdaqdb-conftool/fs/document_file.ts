/**
 * A filesystem provider's document file as plain data, so that any thread of the process can read it: the export
 * reads, parses and renders a large run's documents on the pool's threads without the calling thread ever holding
 * their bytes (plugins/artdaqdb-conftool/export.ts). The read errors are the provider's own, on every thread.
 *
 * @module
 */
import { describeError, StoreError } from "../../../core/errors.ts";

/** Where one stored document lies. */
export interface DocumentFile {
  collection: string;
  /** 24-hex `_id.$oid`. */
  id: string;
  /** The document's file. */
  path: string;
  /** The database (`filesystemdb://…`), for messages. */
  store: string;
}

/**
 * The error of a failed read of `file`: a missing file is an index that lists a document no longer there.
 *
 * @example
 * ```ts
 * documentFileError(file, new Deno.errors.NotFound("gone")).message; // "RunHistory/index.json lists document …"
 * ```
 */
export function documentFileError(file: DocumentFile, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  if (error instanceof Deno.errors.NotFound) {
    return new StoreError(
      `${file.collection}/index.json lists document ${file.id} but ${file.path} is missing; rebuild the index ` +
        `with artdaq_database's rebuild_database_index`,
    );
  }
  return new StoreError(`artdaqDB ${file.store}: cannot read ${file.path}: ${describeError(error)}`, { cause: error });
}

/**
 * The bytes of `file` (a {@link documentFileError} when it cannot be read).
 *
 * @example
 * ```ts
 * const bytes = readDocumentFile({ collection: "RunHistory", id, path, store: "filesystemdb:///data/db" });
 * ```
 */
export function readDocumentFile(file: DocumentFile): Uint8Array {
  try {
    return Deno.readFileSync(file.path);
  } catch (error) {
    throw documentFileError(file, error);
  }
}

/** The size of `file` in bytes (a {@link documentFileError} when it cannot be read). */
export function documentFileSize(file: DocumentFile): number {
  try {
    return Deno.statSync(file.path).size;
  } catch (error) {
    throw documentFileError(file, error);
  }
}

/**
 * Creates `file` (never replacing one) with `content`: bytes (one call, ~20 µs where a temporary file and its rename
 * took ~35 µs, BENCHMARKS.md round 8), or a function that hands its sink the pieces in order, synchronously (a piece
 * may be reused once the sink returns). False, with nothing written, when the file exists already (a document a crash
 * left unlisted: the backend replaces it atomically). A failed write removes what it created and throws the
 * provider's one-line `StoreError`. The file is not fsynced: the backend's commit does that before any index lists
 * it.
 *
 * @example
 * ```ts
 * writeNewDocumentFile(file, (sink) => sink(new TextEncoder().encode("{}")));
 * ```
 */
export function writeNewDocumentFile(
  file: DocumentFile,
  content: Uint8Array | ((sink: (piece: Uint8Array) => void) => void),
): boolean {
  if (content instanceof Uint8Array) {
    try {
      Deno.writeFileSync(file.path, content, { createNew: true, mode: 0o644 });
      return true;
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) return false;
      removeDocumentFile(file);
      throw writeError(file, error);
    }
  }
  let handle: Deno.FsFile;
  try {
    handle = Deno.openSync(file.path, { write: true, createNew: true, mode: 0o644 });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return false;
    throw writeError(file, error);
  }
  try {
    content((piece) => {
      let written = 0;
      while (written < piece.length) written += handle.writeSync(piece.subarray(written));
    });
  } catch (error) {
    handle.close();
    removeDocumentFile(file);
    throw writeError(file, error);
  }
  handle.close();
  return true;
}

/** Removes `file` if it is there (a document file written for a put that was abandoned, never listed). */
export function removeDocumentFile(file: DocumentFile): void {
  try {
    Deno.removeSync(file.path);
  } catch {
    // never created, or already gone: unlisted either way
  }
}

function writeError(file: DocumentFile, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  return new StoreError(`artdaqDB ${file.store}: cannot write ${file.path}: ${describeError(error)}`, { cause: error });
}
