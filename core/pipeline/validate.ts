/**
 * `--validate` (§7.4): after a verified migration, check that the blob's `metadata.fcl` carries the expected
 * parameters (`components`, `config_name`, `sbndaq_commit_or_version`). Log-only, as in Python: it never fails a
 * run and never changes the exit code.
 *
 * @example
 * ```ts
 * const { errors, results } = validateBlob(blob);
 * ```
 *
 * @module
 */
import { describeError } from "../errors.ts";
import { unpackBlob } from "../blob/mod.ts";

/** Parameter name → key searched in `metadata.fcl` (the Python archiver's default spec). */
export const VALIDATION_SPEC: Readonly<Record<string, string>> = {
  components: "components",
  configuration: "config_name",
  projectversion: "sbndaq_commit_or_version",
};

/** Result of `validateBlob`: number of errors and the value (or error text) per parameter. */
export interface ValidationResult {
  errors: number;
  results: Record<string, string>;
}

/** Check the metadata parameters of a blob. */
export function validateBlob(blob: Uint8Array, file = "metadata.fcl"): ValidationResult {
  let files;
  try {
    files = unpackBlob(blob).files;
  } catch (error) {
    return { errors: 1, results: { error: describeError(error) } };
  }
  if (files.length === 0) return { errors: 1, results: { error: "No files found in blob" } };
  const entry = files.find((f) => f.path.split("/").pop()?.toLowerCase() === file.toLowerCase());
  const results: Record<string, string> = {};
  let errors = 0;
  const text = entry ? new TextDecoder().decode(entry.data) : null;
  for (const [parameter, key] of Object.entries(VALIDATION_SPEC)) {
    if (text === null) {
      results[parameter] = `Error: file '${file}' not found`;
      errors++;
      continue;
    }
    const matches = [...text.matchAll(new RegExp(`${key}:\\s+(.+)`, "g"))];
    if (matches.length === 0) {
      results[parameter] = `Error: no matches for parameter '${key}'`;
      errors++;
    } else if (matches.length > 1) {
      results[parameter] = `Error: multiple matches for parameter '${key}'`;
      errors++;
    } else {
      results[parameter] = matches[0][1].replaceAll('"', "").trim();
    }
  }
  return { errors, results };
}
