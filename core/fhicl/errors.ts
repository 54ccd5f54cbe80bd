/**
 * The FHiCL syntax error: one-line message `file:line:column: reason`, plus the offending line and a caret.
 *
 * @module
 */

import { RunInputError } from "../errors.ts";
import { caretExcerpt, locate, type SourceLocation } from "../json/location.ts";

/**
 * A FHiCL document that cannot be parsed (or that artdaq_database cannot store). `message` is one line
 * (`boot.fcl:3:7: expected ':' after key "a"`); {@link FhiclSyntaxError.excerpt} is the offending line with a
 * caret and {@link FhiclSyntaxError.report} both together, for terminals.
 *
 * @example
 * ```ts
 * try { parse("a: [1,]", { filename: "x.fcl" }); } catch (e) {
 *   if (e instanceof FhiclSyntaxError) console.error(e.report());
 * }
 * ```
 */
export class FhiclSyntaxError extends RunInputError {
  /** File name (or `<input>`). */
  readonly filename: string;
  /** 1-based line, column and the line's text. */
  readonly location: SourceLocation;
  /** Offset in the parsed text. */
  readonly offset: number;
  /** The reason without the position prefix. */
  readonly reason: string;
  constructor(filename: string, text: string, offset: number, reason: string) {
    const location = locate(text, offset);
    super(`${filename}:${location.line}:${location.column}: ${reason}`);
    this.filename = filename;
    this.location = location;
    this.offset = offset;
    this.reason = reason;
  }
  /** The offending line and a caret line under the column. */
  get excerpt(): string {
    return caretExcerpt(this.location);
  }
  /** Message, offending line and caret, for printing to a terminal. */
  report(): string {
    return `${this.message}\n${this.excerpt}`;
  }
}
