/**
 * A run file that has no converter (`rc_info_start.txt`, an operator's note, any non-FHiCL file) kept whole inside a
 * FHiCL document, so that it reaches artdaqDB at all: the bulkloader loads only `.fcl` files and conftool refuses
 * anything else, so the original archiver lost such files silently.
 *
 * @module
 */
import { fhiclString } from "./text.ts";

/**
 * `file_name: "<name>"` and `file_text: "<text>"`: the text exactly (UTF-8 kept), with `\`, `"`, newlines and
 * carriage returns escaped; the original is recovered by unescaping `file_text`.
 *
 * @example
 * ```ts
 * wrapTextFile("rc_info_start.txt", "shift: owl\n");
 * // 'file_name: "rc_info_start.txt"\nfile_text: "shift: owl\\n"\n'
 * ```
 */
export function wrapTextFile(name: string, text: string): string {
  const escaped = fhiclString(text).replace(/\n/g, "\\n").replace(/\r/g, "\\r");
  return `file_name: ${fhiclString(name)}\nfile_text: ${escaped}\n`;
}
