/**
 * Source positions for syntax errors: offset → line/column, and the "offending line + caret" excerpt that both the
 * JSON and the FHiCL parser print.
 *
 * @module
 */

/** A 1-based line/column position plus the text of that line (without its line break). */
export interface SourceLocation {
  line: number;
  column: number;
  lineText: string;
}

/**
 * Finds the line and column (both 1-based, columns counted in UTF-16 code units, a tab counting as one) of
 * `offset` in `text`.
 *
 * @example
 * ```ts
 * locate("a: 1\nb: ?", 8); // { line: 2, column: 4, lineText: "b: ?" }
 * ```
 */
export function locate(text: string, offset: number): SourceLocation {
  const at = Math.max(0, Math.min(offset, text.length));
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < at; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  let lineEnd = text.indexOf("\n", lineStart);
  if (lineEnd === -1) lineEnd = text.length;
  if (lineEnd > lineStart && text.charCodeAt(lineEnd - 1) === 13) lineEnd--;
  return { line, column: at - lineStart + 1, lineText: text.slice(lineStart, lineEnd) };
}

/**
 * The offending line and a caret under `column`. Tabs before the column are copied into the caret line so the
 * caret lines up in a terminal.
 *
 * @example
 * ```ts
 * caretExcerpt({ line: 1, column: 4, lineText: "\ta: ?" });
 * // "\ta: ?\n\t  ^"
 * ```
 */
export function caretExcerpt(location: SourceLocation): string {
  const prefix = location.lineText.slice(0, location.column - 1).replace(/[^\t]/g, " ");
  return `${location.lineText}\n${prefix}^`;
}
