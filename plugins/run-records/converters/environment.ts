/**
 * `environment.txt` → `environment.fcl` (original-archiver.md §5.6.6).
 *
 * @module
 */
import { cleanNonAscii, contentLines, fhiclString, joinLines } from "./text.ts";

/**
 * Convert the text of `environment.txt`: each `export NAME=value` becomes `NAME: "value"` (value trimmed, leading
 * and trailing quote characters removed, non-ASCII → `.`); other lines are dropped. Fixed against the original:
 * backslashes are escaped too, so `export Q="say \"hi\""` gives a parsable string.
 *
 * @example
 * ```ts
 * convertEnvironment("export DAQINTERFACE_PARTITION_NUMBER=1\n"); // 'DAQINTERFACE_PARTITION_NUMBER: "1"\n'
 * ```
 */
export function convertEnvironment(text: string): string {
  const out: string[] = [];
  for (const line of contentLines(text)) {
    const match = /^export\s+([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    const value = cleanNonAscii(match[2].trim().replace(/^['"]+|['"]+$/g, ""));
    out.push(`${match[1]}: ${fhiclString(value)}`);
  }
  return joinLines(out);
}
