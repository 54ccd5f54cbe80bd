/**
 * bulkdownloader's output layout, normalised to the canonical export layout every store returns (core/roles.ts
 * `ExportedRun`), so that one stored run packs to one blob whichever store read it back.
 *
 * bulkdownloader writes `SystemLayout` documents as `<dir>/<entity>.fcl` and every other collection's as
 * `<dir>/<confprefix>/<entity>.fcl`, where `confprefix` is the configuration name without its trailing digits
 * (artdaq-database.md §7; an all-digit name gives an empty prefix, i.e. the top level). The canonical layout is
 * flat: the prefix directory is removed.
 *
 * @module
 */

import { StoreError } from "../../core/errors.ts";
import type { ExportedFile } from "../../core/roles.ts";
import { sortByPath } from "../artdaqdb-conftool/export.ts";

/**
 * The directory bulkdownloader puts the non-`SystemLayout` documents in: the configuration name without its
 * trailing digits (`standard00042` → `standard`; `00042` → empty, the top level).
 *
 * @example
 * ```ts
 * configurationPrefix("demo_safemode00003"); // "demo_safemode"
 * ```
 */
export function configurationPrefix(configName: string): string {
  return configName.replace(/\d+$/, "");
}

/**
 * bulkdownloader's files in the canonical layout: `<confprefix>/<entity>.fcl` becomes `<entity>.fcl`, top-level
 * files stay, and the result is sorted by path (as every store returns it). Refuses (`StoreError`) a file outside
 * the tool's documented layout and two files that would become one path (an entity stored both in `SystemLayout`
 * and in another collection), rather than return a layout another store would not.
 *
 * @example
 * ```ts
 * canonicalFiles(42, "standard00042", [{ path: "schema.fcl", data }, { path: "standard/boot.fcl", data }]);
 * // [{ path: "boot.fcl", ... }, { path: "schema.fcl", ... }]
 * ```
 */
export function canonicalFiles(run: number, configName: string, files: readonly ExportedFile[]): ExportedFile[] {
  const prefix = configurationPrefix(configName);
  const from = new Map<string, string>();
  const result: ExportedFile[] = [];
  for (const file of files) {
    const path = prefix && file.path.startsWith(`${prefix}/`) ? file.path.slice(prefix.length + 1) : file.path;
    if (path.includes("/")) {
      throw new StoreError(
        `run ${run}: bulkdownloader wrote '${file.path}', outside its documented layout (<entity>.fcl, or ` +
          `${prefix || "<config prefix>"}/<entity>.fcl); check the artdaq_database version of the tools, or ` +
          `export with the native store (artdaq_db.use_tools: false)`,
        { run },
      );
    }
    const other = from.get(path);
    if (other !== undefined) {
      throw new StoreError(
        `run ${run}: bulkdownloader exported both '${other}' and '${file.path}', which are one file '${path}' in ` +
          `the canonical export layout (the entity is stored in two collections); export this run with the ` +
          `native store (artdaq_db.use_tools: false), which keeps both as <collection>/${path}`,
        { run },
      );
    }
    from.set(path, file.path);
    result.push(path === file.path ? file : { path, data: file.data });
  }
  return sortByPath(result);
}
