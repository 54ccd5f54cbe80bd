/**
 * `ranks.txt` → `ranks.fcl` (original-archiver.md §5.6.7).
 *
 * @module
 */
import { contentLines, fhiclArray, fhiclName, joinLines } from "./text.ts";

/**
 * Convert the text of `ranks.txt`: the first line is the header, every row becomes `rank<N>: [...]` inside
 * `ranks: { ... }`.
 *
 * Identical to the original for the 5-column format (v3_06_02+). Fixed: the rank is taken from the header's `rank`
 * column, so the 4-column tab-separated files of 2018-2019 (`host port label|procName rank`) keep their rows (the
 * original required 5 columns and silently dropped them all); a row with fewer fields than that column is still
 * dropped.
 *
 * @example
 * ```ts
 * convertRanks("host\tport\tlabel\trank\n\nevb01\t5300\tEventBuilder1\t0\n");
 * // 'ranks: {\n  header: ["host", "port", "label", "rank"]\n  rank0: ["evb01", "5300", "EventBuilder1", "0"]\n}\n'
 * ```
 */
export function convertRanks(text: string): string {
  const rows = contentLines(text).map((line) => line.split(/\s+/));
  if (rows.length === 0) return "";
  const [header, ...body] = rows;
  const rankColumn = header.indexOf("rank") >= 0 ? header.indexOf("rank") : 4;
  const out = ["ranks: {", `  header: ${fhiclArray(header)}`];
  for (const row of body) {
    if (row.length <= rankColumn) continue;
    out.push(`  ${fhiclName(`rank${row[rankColumn]}`)}: ${fhiclArray(row)}`);
  }
  out.push("}");
  return joinLines(out);
}
