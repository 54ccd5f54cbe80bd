/**
 * Turn the files of one run into the documents the store archives (original-archiver.md §5.1-§5.4): converted
 * text files, the run's own FHiCL verbatim, `RunHistory.fcl`, `schema.fcl`, and the stop-time update. Pure: no I/O.
 *
 * @module
 */
import { join } from "node:path";
import { utf8Text } from "../../core/blob/bytes.ts";
import { describeError, RunInputError } from "../../core/errors.ts";
import type { PreparedDocument, PreparedRun } from "../../core/roles.ts";
import { generateRunHistory, generateRunHistory2, TEXT_CONVERTERS } from "./converters/mod.ts";
import { wrapTextFile } from "./converters/text_file.ts";
import { configurationName, readMetadataInfo } from "./metadata_info.ts";
import type { RunFile } from "./reader.ts";

/** Checks that a text is FHiCL; throws (any error) with a message saying where it is not. */
export type FhiclValidator = (text: string, filename: string) => void;

/** Inputs of `prepareRun` besides the files. */
export interface PrepareOptions {
  run: number;
  /** Enabled `fhiclize_generate` names. */
  enabled: ReadonlySet<string>;
  /** Text of the configured schema.fcl. */
  schema: string;
  /** Parser check applied to every generated document (always) and to the run's own `.fcl` files. */
  validate: FhiclValidator;
  /** Whether the run's own `.fcl` files are parsed too (generated ones always are). */
  validateSourceFhicl: boolean;
  /** The run directory, to name a bad file by its full path in error messages. */
  runDir?: string;
}

/**
 * Prepare one run from its files (as read by `readRunFiles`).
 *
 * @example
 * ```ts
 * const prepared = prepareRun(files, { run: 11001, enabled: new Set(FHICLIZE_NAMES), schema, validate, validateSourceFhicl: true });
 * prepared.documents.map((d) => d.name); // ["DataLogger1.fcl", "boot.fcl", ..., "RunHistory.fcl", "schema.fcl"]
 * ```
 */
export function prepareRun(files: readonly RunFile[], options: PrepareOptions): PreparedRun {
  const { run, enabled } = options;
  const metadata = files.find((file) => file.path === "metadata.txt");
  const info = metadata ? readMetadataInfo(metadata.text) : null;

  const documents: PreparedDocument[] = [];
  const generated = new Set<string>();
  for (const file of files) {
    const mapped = documentFor(file, enabled);
    if (mapped === null) continue;
    if (mapped.generated) generated.add(mapped.document.name);
    else if (options.runDir) mapped.document.path = join(options.runDir, file.path);
    documents.push(mapped.document);
  }
  if (metadata && enabled.has("RunHistory")) {
    documents.push({ name: "RunHistory.fcl", text: generateRunHistory(metadata.text, run) });
    generated.add("RunHistory.fcl");
  }
  documents.push({ name: "schema.fcl", text: options.schema });
  refuseDuplicates(documents, run);

  const updateDocuments: PreparedDocument[] = [];
  const runHistory2 = info && enabled.has("RunHistory2") ? generateRunHistory2(info) : null;
  if (runHistory2 !== null) {
    updateDocuments.push({ name: "RunHistory2.fcl", text: runHistory2 }, { name: "schema.fcl", text: options.schema });
    generated.add("RunHistory2.fcl");
  }

  for (const document of [...documents, ...updateDocuments]) {
    const isGenerated = generated.has(document.name);
    if (!isGenerated && !(options.validateSourceFhicl && document.name.endsWith(".fcl"))) continue;
    if (document.name === "schema.fcl") continue; // checked once when the source is created
    try {
      options.validate(document.text, document.name);
    } catch (error) {
      const reason = describeError(error);
      throw new RunInputError(
        isGenerated
          ? `run ${run}: the ${document.name} generated from its text file is not valid FHiCL (${reason}); ` +
            `report this with the run's text file, or leave the converter out of fhiclize_generate`
          : `run ${run}: ${
            options.runDir ? join(options.runDir, document.name) : document.name
          } is not valid FHiCL (${reason}); fix or remove the file in the run directory`,
        { run, cause: error },
      );
    }
  }

  return {
    run,
    configName: configurationName(info),
    documents,
    updateDocuments,
    complete: info?.stopTime !== undefined,
    ...(info?.startTime !== undefined ? { startTime: info.startTime } : {}),
    ...(info?.stopTime !== undefined ? { stopTime: info.stopTime } : {}),
    manifest: files.map(({ path, size, sha256 }) => ({ path, size, sha256 })),
  };
}

/** How one run file becomes a document, and whether the archiver generated its text. */
export interface MappedDocument {
  document: PreparedDocument;
  generated: boolean;
}

/**
 * A file's name in the run directory and its content (`bytes`, when given, are the UTF-8 of `text`; `sha256`, when
 * given, their digest).
 */
export interface FileContent {
  path: string;
  readonly text: string;
  bytes?: Uint8Array;
  sha256?: string;
}

/**
 * The document one run file becomes (null: the file is not archived as a document, only listed in the manifest):
 *
 * - `schema.fcl` of the run directory → null (the configured schema.fcl replaces it, as in the original);
 * - top-level `<name>.txt` of an enabled converter → `<name>.fcl`, converted;
 * - top-level `config.txt` (the boot file before September 2017) → `config.fcl`, by the `boot` converter when enabled;
 * - a converter's `.txt` whose converter is disabled → unchanged (`fhiclize_generate` honoured, parity I12);
 * - `.fcl` → unchanged (as its bytes, when the file has them: the text is decoded where it is read);
 * - anything else → `<name without .txt>.fcl` holding the whole text (see `wrapTextFile`).
 *
 * @example
 * ```ts
 * documentFor({ path: "boot.txt", text: "debug level: 1\n" }, new Set(["boot"]))?.document.name; // "boot.fcl"
 * ```
 */
export function documentFor(file: FileContent, enabled: ReadonlySet<string>): MappedDocument | null {
  const { path } = file;
  if (path === "schema.fcl") return null;
  const stem = /^([^/]+)\.txt$/.exec(path)?.[1];
  if (stem !== undefined && Object.hasOwn(TEXT_CONVERTERS, stem)) {
    return enabled.has(stem)
      ? { document: { name: `${stem}.fcl`, text: TEXT_CONVERTERS[stem](file.text) }, generated: true }
      : { document: asIs(file), generated: false };
  }
  if (stem === "config") {
    return enabled.has("boot")
      ? { document: { name: "config.fcl", text: TEXT_CONVERTERS.boot(file.text) }, generated: true }
      : { document: asIs(file), generated: false };
  }
  if (path.endsWith(".fcl")) return { document: asIs(file), generated: false };
  return {
    document: { name: `${path.replace(/\.txt$/, "")}.fcl`, text: wrapTextFile(path, file.text) },
    generated: true,
  };
}

/** The file as a document of its own name and content, its bytes kept as bytes (with their digest, when known). */
function asIs(file: FileContent): PreparedDocument {
  const { bytes, sha256 } = file;
  if (bytes === undefined) return { name: file.path, text: file.text };
  return {
    name: file.path,
    bytes,
    ...(sha256 !== undefined ? { sha256 } : {}),
    get text() {
      return utf8Text(bytes);
    },
  };
}

/** A converted `boot.fcl` next to a `boot.fcl` already in the run directory would silently lose one of them. */
function refuseDuplicates(documents: readonly PreparedDocument[], run: number): void {
  const seen = new Set<string>();
  for (const { name } of documents) {
    if (seen.has(name)) {
      throw new RunInputError(
        `run ${run}: two documents would be named ${name} (a file of the run directory and one the archiver ` +
          `generates); remove or rename the run directory's ${name}`,
        { run },
      );
    }
    seen.add(name);
  }
}
