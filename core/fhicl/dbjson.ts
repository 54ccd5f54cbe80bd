/**
 * FHiCL → artdaq_database DB-JSON (`fhicl_to_json`, artdaq-database.md §5.1–§5.3): the `document.data` tree of
 * strings, the parallel `document.metadata` tree of type tags, comments, annotations and protections, the
 * `comments` list and the `origin` block, with key order and top-level duplicate keys kept.
 *
 * @module
 */

import { JsonObject, type JsonValue } from "../json/model.ts";
import type { FhiclAtom, FhiclEntry, FhiclModifier, FhiclTopEntry, FhiclValue } from "./ast.ts";
import { type CommentMap, INCLUDE_KEY_PREFIX, rewriteIncludesMapped, scanComments } from "./comments.ts";
import { FhiclSyntaxError } from "./errors.ts";
import { parseSyntax } from "./parser.ts";

/** Options of {@link fhiclToDbJson}. */
export interface FhiclToDbJsonOptions {
  /** `origin.timestamp`; default: now, in artdaq_database's local-time format ({@link artdaqTimestamp}). */
  timestamp?: string;
  /** Name used in error messages when it differs from the entity name (e.g. the file path). */
  sourceName?: string;
}

/**
 * Formats a time as artdaq_database does (`YYYY-MM-DDTHH:MM:SS.mmm±hhmm`, local time, no colon in the offset).
 *
 * @example
 * ```ts
 * artdaqTimestamp(new Date()); // e.g. "2024-03-04T12:05:01.337-0600"
 * ```
 */
export function artdaqTimestamp(date: Date = new Date()): string {
  const pad = (n: number, width = 2): string => String(n).padStart(width, "0");
  const offset = -date.getTimezoneOffset();
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:` +
    `${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}` +
    `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}

/**
 * Converts FHiCL text into the DB-JSON document artdaq_database's `fhicl_to_json(text, name)` returns:
 * `{document:{data,metadata}, comments, origin, version:"notprovided", entities:[], configurations:[]}`.
 * Throws {@link FhiclSyntaxError} for text artdaq_database's parser rejects.
 *
 * @example
 * ```ts
 * const doc = fhiclToDbJson("a: 1 # one\n", "boot");
 * stringifyArtdaq(doc); // the JsonWriter text artdaq_database stores
 * ```
 */
export function fhiclToDbJson(text: string, filename = "notprovided", options: FhiclToDbJsonOptions = {}): JsonObject {
  const sourceName = options.sourceName ?? filename;
  const comments = scanComments(text);
  const rewritten = rewriteIncludesMapped(text);
  const prologData = new JsonObject();
  const prologMeta = new JsonObject();
  const mainData = new JsonObject();
  const mainMeta = new JsonObject();
  try {
    const syntax = parseSyntax(rewritten.text, { filename: sourceName, snippet: true });
    const builder = new Builder(rewritten.text, comments, sourceName);
    for (const entry of syntax.entries) {
      if (entry.kind === "prolog") {
        for (const inner of entry.entries) builder.topLevel(inner, prologData, prologMeta, null);
      } else {
        builder.topLevel(entry, mainData, mainMeta, { data: prologData, meta: prologMeta });
      }
    }
  } catch (error) {
    // Positions were found in the text with rewritten #include lines; report them in the text the user wrote.
    if (error instanceof FhiclSyntaxError && rewritten.text !== text) {
      throw new FhiclSyntaxError(sourceName, text, rewritten.originalOffset(error.offset), error.reason);
    }
    throw error;
  }

  const commentList: JsonValue[] = [];
  if (comments.size === 0) {
    commentList.push(new JsonObject([["linenum", 0], ["value", "No comments"]]));
  } else {
    for (const line of [...comments.keys()].sort((a, b) => a - b)) {
      commentList.push(new JsonObject([["linenum", line], ["value", comments.get(line) as string]]));
    }
  }

  return new JsonObject([
    [
      "document",
      new JsonObject([
        ["data", new JsonObject([["prolog", prologData], ["main", mainData]])],
        [
          "metadata",
          new JsonObject([
            ["prolog", rootMeta("#prolog", prologMeta)],
            ["main", rootMeta("#main", mainMeta)],
          ]),
        ],
      ]),
    ],
    ["comments", commentList],
    [
      "origin",
      new JsonObject([
        ["format", "fhicl"],
        ["name", filename],
        ["source", "fhicl_to_json"],
        ["timestamp", options.timestamp ?? artdaqTimestamp()],
      ]),
    ],
    ["version", "notprovided"],
    ["entities", []],
    ["configurations", []],
  ]);
}

function rootMeta(comment: string, children: JsonObject): JsonObject {
  return new JsonObject([["type", "table"], ["comment", comment], ["children", children]]);
}

/** Raw data text of a scalar, trimmed as the artdaq patch's `rtrim_whitespace` does. */
function rawData(atom: FhiclAtom): string {
  return atom.type === "complex" ? complexData(atom.text) : atom.text;
}

/**
 * The data text of a complex value `(re, im)` as written: cut at its first blank, `#` or `//`, as the artdaq patch's
 * `rtrim_whitespace` does (so `(1, 2)` is stored as `(1,`).
 */
export function complexData(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x23) return text.slice(0, i);
    if (c === 0x2f && text.charCodeAt(i + 1) === 0x2f) return text.slice(0, i);
  }
  return text;
}

/**
 * The comment a node takes from the comment on the line above its value: none when there is none, or when that
 * one starts with `/` or holds `#include `. (The annotation is the comment on the value's own line, as it is.)
 */
export function commentFrom(above: string | undefined): string {
  return above !== undefined && above.charCodeAt(0) !== 0x2f && !above.includes("#include ") ? above : "";
}

/**
 * Metadata leaves without comment, annotation or protection are by far the most common node (machine-written
 * files have few comments). One frozen instance per type is shared instead of allocating each: it cuts the
 * garbage of a conversion roughly in half. Being frozen, a shared leaf cannot be edited by accident; copy it first.
 */
const PLAIN_LEAVES = new Map<string, JsonObject>();

/** Sequence child keys "0", "1", ... made once instead of per element. */
const INDEX_KEYS: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));

function plainLeaf(type: string): JsonObject {
  let leaf = PLAIN_LEAVES.get(type);
  if (leaf === undefined) {
    const flat: JsonValue[] = ["type", type, "comment", "", "annotation", ""];
    leaf = Object.freeze(new JsonObject({ flat: Object.freeze(flat) as JsonValue[] }));
    PLAIN_LEAVES.set(type, leaf);
  }
  return leaf;
}

class Builder {
  /** Forward cursor for offset → line; nodes are visited in source order, so the scan is linear overall. */
  private lineOffset = 0;
  private line = 1;
  private nextNewline = -2; // -2: not looked up yet
  /** Comments indexed by line number (a holey array is faster than a Map here). */
  private readonly byLine: Array<string | undefined> = [];
  /** Results of `notes()` and `node()`, kept in fields to avoid allocating a tuple per value. */
  private comment = "";
  private annotation = "";
  private data: JsonValue = "";
  /** How many prolog entries have each key, so that main bindings find prolog overrides without a scan. */
  private readonly prologKeys = new Map<string, number>();

  constructor(
    private readonly text: string,
    comments: CommentMap,
    private readonly sourceName: string,
  ) {
    for (const [line, comment] of comments) this.byLine[line] = comment;
  }

  private lineOf(offset: number): number {
    const text = this.text;
    if (offset < this.lineOffset) {
      this.lineOffset = 0;
      this.line = 1;
      this.nextNewline = -2;
    }
    if (this.nextNewline === -2) this.nextNewline = text.indexOf("\n", this.lineOffset);
    while (this.nextNewline !== -1 && this.nextNewline < offset) {
      this.line++;
      this.nextNewline = text.indexOf("\n", this.nextNewline + 1);
    }
    this.lineOffset = offset;
    return this.line;
  }

  /** Comment (line above, see {@link commentFrom}) and annotation (same line). */
  private notes(value: FhiclValue): void {
    const line = this.lineOf(value.start);
    this.comment = commentFrom(this.byLine[line - 1]);
    this.annotation = this.byLine[line] ?? "";
  }

  private fail(offset: number, reason: string): never {
    throw new FhiclSyntaxError(this.sourceName, this.text, offset, reason);
  }

  /**
   * Adds a top-level binding: appended even when the key repeats. A main binding whose key is in the prolog
   * removes the first such prolog entry.
   */
  topLevel(
    entry: FhiclTopEntry,
    data: JsonObject,
    meta: JsonObject,
    prolog: { data: JsonObject; meta: JsonObject } | null,
  ): void {
    if (entry.kind !== "binding") this.fail(entry.start, "unexpected directive");
    const node = this.node(entry.key, entry.value, entry.modifier);
    if (prolog !== null && (this.prologKeys.get(entry.key) ?? 0) > 0) {
      prolog.data.delete(entry.key);
      prolog.meta.delete(entry.key);
      this.prologKeys.set(entry.key, (this.prologKeys.get(entry.key) as number) - 1);
    } else if (prolog === null) {
      this.prologKeys.set(entry.key, (this.prologKeys.get(entry.key) ?? 0) + 1);
    }
    data.flat.push(entry.key, this.data);
    meta.flat.push(entry.key, node);
  }

  /** Metadata node of one binding or sequence element; its data value is left in `this.data`. */
  private node(key: string | null, value: FhiclValue, protection: FhiclModifier | undefined): JsonObject {
    if (key !== null && key.startsWith(INCLUDE_KEY_PREFIX)) {
      this.comment = "";
      this.annotation = "";
    } else {
      this.notes(value);
    }
    const comment = this.comment;
    if (value.kind === "atom") {
      const type = value.type === "reference" ? "string_unquoted" : value.type;
      this.data = rawData(value);
      if (comment === "" && this.annotation === "" && protection === undefined) return plainLeaf(type);
      return protection === undefined
        ? new JsonObject({ flat: ["type", type, "comment", comment, "annotation", this.annotation] })
        : new JsonObject({
          flat: ["type", type, "comment", comment, "annotation", this.annotation, "protection", protection],
        });
    }
    if (value.kind === "table") {
      const meta = new JsonObject({ flat: ["type", "table", "comment", comment] });
      if (protection !== undefined) meta.flat.push("protection", protection);
      const data = new JsonObject();
      const children = new JsonObject();
      const entries = value.entries;
      // Repeated keys inside a table are rare; a Set finds them without a quadratic scan of large tables.
      const seen = entries.length > 8 ? new Set<string>() : null;
      for (let i = 0; i < entries.length; i++) this.member(entries[i], data, children, protection, seen);
      meta.flat.push("children", children);
      this.data = data;
      return meta;
    }
    const meta = new JsonObject({ flat: ["type", "sequence", "comment", comment, "annotation", this.annotation] });
    if (protection !== undefined) meta.flat.push("protection", protection);
    const data: JsonValue[] = [];
    const children = new JsonObject();
    const items = value.items;
    for (let i = 0; i < items.length; i++) {
      const itemMeta = this.node(null, items[i], protection);
      data.push(this.data);
      children.flat.push(i < INDEX_KEYS.length ? INDEX_KEYS[i] : String(i), itemMeta);
    }
    meta.flat.push("children", children);
    this.data = data;
    return meta;
  }

  /** A binding inside a table: a repeated key replaces the earlier value in place. */
  private member(
    entry: FhiclEntry,
    data: JsonObject,
    meta: JsonObject,
    inherited: FhiclModifier | undefined,
    seen: Set<string> | null,
  ): void {
    if (entry.kind !== "binding") this.fail(entry.start, "unexpected directive inside a table");
    const node = this.node(entry.key, entry.value, entry.modifier ?? inherited);
    const repeated = seen === null ? data.indexOf(entry.key) >= 0 : seen.has(entry.key);
    if (!repeated) {
      seen?.add(entry.key);
      data.flat.push(entry.key, this.data);
      meta.flat.push(entry.key, node);
    } else {
      data.flat[2 * data.indexOf(entry.key) + 1] = this.data;
      meta.set(entry.key, node);
    }
  }
}
