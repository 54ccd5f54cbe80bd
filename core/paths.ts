/**
 * Small path helpers shared by core and plugins.
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** Absolute path → file URL. */
export function toFileUrl(path: string): URL {
  return pathToFileURL(path);
}

/** Root directory of this repository (where deno.json lives). */
export const REPO_ROOT: string = resolve(dirname(new URL(import.meta.url).pathname), "..");
