/**
 * Loading a module of this repository only when a command needs it, so that `--help`, `--version` and a
 * configuration error never load a database driver, and so that a mode whose module is not there yet ends with a
 * clear message instead of a crash. The specifier is computed (not a literal) on purpose: the module graph of
 * `cli.ts` must not include every stage and plugin.
 *
 * @module
 */
import { join } from "node:path";
import { REPO_ROOT, toFileUrl } from "../paths.ts";
import { ArchiverError } from "../errors.ts";

/** A module that is not in this checkout (a capability not delivered yet). Exit 1. */
export class NotImplementedError extends ArchiverError {}

/**
 * Import `relativePath` (from the repository root), or throw `NotImplementedError` naming `what` when the file
 * does not exist. Errors inside an existing module propagate unchanged.
 *
 * @example
 * ```ts
 * const pipeline = await importRepoModule<{ runArchiver: Function }>("core/pipeline/mod.ts", "the archive modes");
 * ```
 */
export async function importRepoModule<T>(relativePath: string, what: string): Promise<T> {
  const path = join(REPO_ROOT, relativePath);
  try {
    await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new NotImplementedError(`${what} not implemented yet (${relativePath} is missing in this checkout)`);
    }
    throw error;
  }
  const specifier = toFileUrl(path).href;
  return await import(specifier) as T;
}
