/**
 * The generated documents `RunHistory.fcl` and `RunHistory2.fcl` (original-archiver.md §5.6.8, §5.2).
 *
 * @module
 */
import type { MetadataInfo } from "../metadata_info.ts";
import { cleanNonAscii, contentLines, fhiclArray, fhiclString } from "./text.ts";

/**
 * `RunHistory.fcl` from the text of metadata.txt: `run_number`, the last `Config name` (slashes kept) and every
 * `Component #N`, each block followed by an empty line — the original's exact layout. Fixed: the name and
 * components are escaped (a `"` in a config name made the document unparsable).
 *
 * @example
 * ```ts
 * generateRunHistory("Config name: demo\nComponent #0: tpc01\n", 11001);
 * // 'run_number: 11001\n\nconfig_name: "demo"\n\ncomponents: ["tpc01"]\n\n'
 * ```
 */
export function generateRunHistory(metadataText: string, run: number): string {
  let configName: string | undefined;
  const components: string[] = [];
  for (const line of contentLines(metadataText)) {
    const config = /^Config name:\s*(.+)$/.exec(line);
    if (config) configName = config[1];
    const component = /^Component #\d+:\s*(.+)$/.exec(line);
    if (component) components.push(component[1]);
  }
  const blocks = [`run_number: ${run}`];
  if (configName !== undefined) blocks.push(`config_name: ${fhiclString(configName)}`);
  if (components.length > 0) blocks.push(`components: ${fhiclArray(components)}`);
  return `${blocks.map((block) => `${block}\n`).join("\n")}\n`;
}

/**
 * `RunHistory2.fcl` (the stop-time update) from metadata.txt's start/stop lines in file order:
 * `DAQInterface_start_time: "..."` / `DAQInterface_stop_time: "..."`, non-ASCII → `.`, no final newline — the
 * original's exact output. Returns null when the run has no stop time: the update is made once, when the run is
 * complete (the original also made one for a start time alone, after which the stop time could never be added).
 * Fixed: the 2017-2019 `Start time:`/`Stop time:` lines count too (written under the same keys), and values are
 * escaped.
 *
 * @example
 * ```ts
 * generateRunHistory2({ times: [{ kind: "stop", value: "Tue Oct 15 21:41:02 UTC 2024", legacy: false }] , stopTime: "x"});
 * // 'DAQInterface_stop_time: "Tue Oct 15 21:41:02 UTC 2024"'
 * ```
 */
export function generateRunHistory2(info: MetadataInfo): string | null {
  if (info.stopTime === undefined) return null;
  return info.times
    .map((time) => `DAQInterface_${time.kind}_time: ${fhiclString(cleanNonAscii(time.value))}`)
    .join("\n");
}
