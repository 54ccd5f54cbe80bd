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

/**
 * Whether something exists at `path` (a file, directory or anything else `stat` reaches through links); any stat
 * failure, including permission denied, reads as false.
 *
 * @example
 * ```ts
 * import { pathExists } from "./paths.ts";
 * if (!(await pathExists("/etc/hosts"))) console.log("no hosts file");
 * ```
 */
export function pathExists(path: string): Promise<boolean> {
  return Deno.stat(path).then(() => true, () => false);
}

/** Root directory of this repository (where deno.json lives). */
export const REPO_ROOT: string = resolve(dirname(new URL(import.meta.url).pathname), "..");

/**
 * The real fixtures shared beside the repository (`../shared/fixtures/real`: real FHiCL and run records from public
 * artdaq repositories), used by tests, benchmarks and the fuzzer; `$REAL_FIXTURES` overrides it.
 *
 * @example
 * ```ts
 * import { realFixturesDir } from "./paths.ts";
 * console.log(realFixturesDir()); // ".../shared/fixtures/real"
 * ```
 */
export function realFixturesDir(): string {
  return Deno.env.get("REAL_FIXTURES") ?? resolve(REPO_ROOT, "../shared/fixtures/real");
}
