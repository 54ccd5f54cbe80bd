/**
 * `setup.txt` → `setup.fcl` (original-archiver.md §5.6.5).
 *
 * @module
 */
import { cleanNonAscii } from "./text.ts";

/**
 * Convert the text of `setup.txt` (a bash script) into one string: `setup_script: "<text>"`, non-ASCII → `.`,
 * `\` and `"` escaped, newlines written as `\n`, no final newline — exactly the original's output. A carriage return
 * is written as `\r` (the original left it raw inside the string).
 *
 * @example
 * ```ts
 * convertSetup('export X="a b"\n'); // 'setup_script: "export X=\\"a b\\"\\n"'
 * ```
 */
export function convertSetup(text: string): string {
  const escaped = cleanNonAscii(text).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r");
  return `setup_script: "${escaped}"`;
}
