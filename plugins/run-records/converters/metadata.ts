/**
 * `metadata.txt` → `metadata.fcl`: the Python archiver's `fhiclize_metadata` state machine (original-archiver.md
 * §5.6.1), with its invalid-FHiCL and data-loss quirks fixed (docs/run-records.md lists each difference).
 *
 * @module
 */
import { fhiclArray, fhiclName, fhiclString, joinLines, quoteValue, splitKeyValue, splitLines } from "./text.ts";

/** Keys whose value is kept under a lower-cased key (`Config name` → `config_name`). */
const LOWERED_KEYS = ["Config name", "DAQInterface start time", "DAQInterface stop time", "Total events"];

/**
 * Convert the text of `metadata.txt`.
 *
 * Fixed against the original: an open component list or log-file section at the end of the file is written (the
 * original wrote only `dispatcher`); every `<name> logfiles:` header opens a section (the original knew six, so
 * 2017-2020 `aggregator`/`routingmaster` sections became one bogus key per log line); `pmt logfile(s)` becomes
 * `pmt_logfiles_wildcard` (was the invalid key `pmt_logfile(s)`); keys are always valid FHiCL names and string
 * values are escaped; a `Key: value` line that directly follows a section's last file name (no blank line) is read
 * as a key, not as a file name.
 *
 * @example
 * ```ts
 * convertMetadata("Config name: demo\nComponent #0: tpc01\n");
 * // 'config_name: "demo"\ncomponents: ["tpc01"]\n'
 * ```
 */
export function convertMetadata(text: string): string {
  const out: string[] = [];
  const components: string[] = [];
  let componentsOpen = false;
  let section: string | null = null;
  let sectionFiles: string[] = [];

  const closeSection = () => {
    if (section === null) return;
    out.push("", `${section}: ${fhiclArray(sectionFiles)}`);
    section = null;
    sectionFiles = [];
  };
  const closeComponents = () => {
    if (!componentsOpen) return;
    out.push(`components: ${fhiclArray(components)}`);
    componentsOpen = false;
  };

  for (const line of splitLines(text)) {
    const stripped = line.trim();
    if (stripped.startsWith("#")) {
      out.push(line);
      continue;
    }
    if (stripped === "") {
      if (section !== null) closeSection();
      else closeComponents();
      continue;
    }
    // Log-file paths never contain ": "; a `Key: value` line right after a section (no blank line) ends it
    // instead of being swallowed as a file name `Key:` as in the original.
    if (section !== null && !/^[^:]*[^\s:]:\s/.test(stripped)) {
      sectionFiles.push(stripped.split(/\s+/)[0]);
      continue;
    }
    closeSection();
    if (componentsOpen && !/^Component #\d/.test(stripped)) closeComponents();
    const pair = splitKeyValue(stripped);
    if (pair === null) continue;
    const { key, value } = pair;

    const lowered = LOWERED_KEYS.find((prefix) => key.startsWith(prefix));
    if (lowered !== undefined) {
      out.push(`${fhiclName(key.toLowerCase().replace(/ /g, "_"))}: ${quoteValue(value)}`);
    } else if (/^Component #\d+/.test(key)) {
      components.push(value);
      componentsOpen = true;
    } else if (key.includes("commit/version")) {
      const name = key.replace(/[\s-]+/g, "_").replace("commit/version", "commit_or_version");
      out.push(`${fhiclName(name)}: ${fhiclString(value.replace(/"/g, " "))}`);
    } else if (/^pmt logfile(s|\(s\))?$/.test(key)) {
      out.push(`pmt_logfiles_wildcard: ${quoteValue(value)}`);
    } else if (key === "process management method") {
      out.push(`process_management_method: ${quoteValue(value)}`);
    } else if (/^\S.* logfiles$/.test(key)) {
      section = `${fhiclName(key.slice(0, -" logfiles".length).replace(/[\s-]+/g, "_"))}_logfiles`;
      if (value !== "") sectionFiles.push(value.split(/\s+/)[0]);
    } else {
      out.push(`${fhiclName(key.replace(/[\s-]+/g, "_"))}: ${quoteValue(value)}`);
    }
  }
  closeSection();
  closeComponents();
  return joinLines(out);
}
