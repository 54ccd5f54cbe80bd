/**
 * The built-in plugins. `cli.ts`, `server.ts` and `mod.ts` hand this list to the registry; the core never
 * imports a plugin. A site's own plugin needs no entry here: name its module in the `plugins` config section.
 *
 * @example
 * ```ts
 * import { builtinRegistry } from "./plugins/mod.ts";
 * const registry = builtinRegistry();
 * registry.names("store"); // ["artdaqdb-conftool", ...]
 * ```
 *
 * @module
 */
import { type Plugin, Registry } from "../core/registry.ts";
import type { RoleName } from "../core/roles.ts";
import artdaqdbBulktools from "./artdaqdb-bulktools/mod.ts";
import artdaqdbConftool from "./artdaqdb-conftool/mod.ts";
import carbon from "./carbon/mod.ts";
import email from "./email/mod.ts";
import runRecords from "./run-records/mod.ts";
import slack from "./slack/mod.ts";
import ucondb from "./ucondb/mod.ts";

/** Every built-in plugin. */
export const BUILTIN_PLUGINS: readonly Plugin<RoleName, never>[] = [
  runRecords,
  artdaqdbConftool,
  artdaqdbBulktools,
  ucondb,
  carbon,
  email,
  slack,
] as unknown as Plugin<RoleName, never>[];

/** A registry holding every built-in plugin. */
export function builtinRegistry(): Registry {
  return new Registry(BUILTIN_PLUGINS);
}
