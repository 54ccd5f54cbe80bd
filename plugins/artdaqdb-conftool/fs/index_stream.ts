/**
 * A collection's `index.json` handled as a stream (artdaq-database.md §4.2), so that neither a query nor a group
 * commit holds the index in memory: the index lists every document of the collection, about 4 KB per run in
 * `RunHistory` (414 MB for 100,000 runs, more than a JavaScript string can hold past ~130,000 runs), and the whole
 * parsed model costs 2-3× the file.
 *
 * - {@link IndexCatalog}: what the store asks an index, answered from the file itself. Opening it records where each
 *   map lies (one sweep of native byte search, list bodies skipped); the first question about a map records where
 *   each of its keys' lists lies (`version`, `configurations.name`, `entities.name`, `configurations.assigned`: the
 *   maps the store asks about); a question then reads just the lists it needs, through a handle held open, so that
 *   another process's atomic rewrite never shifts the bytes under it.
 * - {@link IndexCatalog.merge}: the group commit. The old file is read line by line and copied to the new one with
 *   the pending additions merged into their sorted lists and new keys appended to their maps, as `CollectionIndex`
 *   would write them; unchanged lines are copied byte for byte, in stretches. The same pass records the new file's
 *   catalogue.
 * - {@link IndexAdditions}: index changes waiting for a commit, and {@link PendingView}, queries over a committed
 *   index and those additions together.
 *
 * Streaming needs the JsonWriter layout in the form both the C++ provider and `CollectionIndex` write it: one list
 * item per line, `ouid` first, each of the six maps once. Any other text (the compact template of a new
 * collection, unknown top-level keys, a hand-edited file) makes {@link IndexCatalog.open} return null and the caller
 * uses the full `CollectionIndex`. Removals are streamed too ({@link IndexCatalog.prune}). A departure from the
 * layout found only later, inside a map or list, makes the catalogue answer from the full model and `merge` / `prune`
 * throw {@link NotStreamable} before anything is renamed, so the caller commits through the full model.
 *
 * @module
 */

import { type ArtdaqBytesWriter, streamArtdaqWith } from "../../../core/json/mod.ts";
import type { DocumentFacts } from "../document.ts";
import { groupBy } from "../group.ts";
import { runOfConfiguration } from "../naming.ts";
import { describeError, StoreError } from "../../../core/errors.ts";
import {
  CollectionIndex,
  forEachIndexEntry,
  type IndexBase,
  type IndexMapName,
  type IndexQueries,
  MAP_KEYS,
  mergeSorted,
} from "./index_file.ts";
import { concatBytes } from "../../../core/blob/bytes.ts";
import { heapCheckpoint } from "../../../core/heap.ts";

/** The maps whose key positions a catalog records (the store asks about these; `runs.name` and aliases never). */
const CATALOGUED: ReadonlySet<string> = new Set<IndexMapName>([
  "version",
  "configurations.name",
  "entities.name",
  "configurations.assigned",
]);
const MAP_NAMES: ReadonlySet<string> = new Set<string>(MAP_KEYS);

/** Where the lists of one file lie: per catalogued map, key → index of its `[start, end)` pair in `ranges`. */
interface CatalogData {
  maps: Map<string, Map<string, number>>;
  /** Byte ranges of list bodies (from the first item to the end of the last, without the final newline). */
  ranges: number[];
  /** Byte range of each catalogued map's entries (for a question that needs all of them). */
  sections: Map<string, [number, number]>;
}

/** The text is not in the layout this module streams: use the full `CollectionIndex`. */
export class NotStreamable extends Error {
  constructor() {
    super("index.json is not in the streamed layout");
  }
}

const NEWLINE = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const utf8 = new TextDecoder();
const encoder = new TextEncoder();

/**
 * Index changes waiting for the group commit: additions only, kept as the facts they came from and as the lists
 * they add to. Adding the same document twice changes nothing.
 */
export class IndexAdditions {
  readonly facts: DocumentFacts[] = [];
  #ouid: string[] = [];
  #ouidSorted = true;
  /** Map name → key → added items, keys in first-added order. */
  readonly #maps = new Map<string, Map<string, string[]>>();
  /** Map name → keys whose items were added to since they were last sorted. */
  readonly #unsorted = new Map<string, Set<string>>();
  #version = 0;

  /** Changes with every add: a view's cached answers are valid for one version. */
  get version(): number {
    return this.#version;
  }

  /** Adds one document's entries. */
  add(facts: DocumentFacts): void {
    this.facts.push(facts);
    this.#ouid.push(facts.id);
    this.#ouidSorted = false;
    forEachIndexEntry(facts, (name, key, item) => {
      let map = this.#maps.get(name);
      if (!map) this.#maps.set(name, map = new Map());
      const list = map.get(key);
      if (list) list.push(item);
      else map.set(key, [item]);
      let unsorted = this.#unsorted.get(name);
      if (!unsorted) this.#unsorted.set(name, unsorted = new Set());
      unsorted.add(key);
    });
    this.#version++;
  }

  /** The added ids, sorted and unique. */
  ouid(): string[] {
    if (!this.#ouidSorted) this.#ouid = mergeSorted([], this.#ouid);
    this.#ouidSorted = true;
    return this.#ouid;
  }

  /** Keys added to map `name` with their items (sorted, unique), in first-added order; undefined when none. */
  map(name: string): ReadonlyMap<string, string[]> | undefined {
    const map = this.#maps.get(name);
    for (const key of this.#unsorted.get(name) ?? []) map!.set(key, mergeSorted([], map!.get(key)!));
    this.#unsorted.delete(name);
    return map;
  }

  /** Items added under `key` in map `name` (sorted, unique; empty when none). Sorts only that list. */
  list(name: string, key: string): readonly string[] {
    const map = this.#maps.get(name);
    const items = map?.get(key);
    if (!items) return [];
    const unsorted = this.#unsorted.get(name);
    if (!unsorted?.delete(key)) return items;
    const sorted = mergeSorted([], items);
    map!.set(key, sorted);
    return sorted;
  }
}

/**
 * Queries over a committed index with additions on top, answering as the committed index with the additions
 * applied would (`CollectionIndex.add`). Answers are computed on demand and `configurationsByRun` cached until the
 * next addition.
 */
export class PendingView implements IndexQueries {
  readonly #base: IndexBase;
  readonly #added: IndexAdditions;
  readonly #byRun = new Map<string, { version: number; byRun: Map<number, string[]> }>();

  constructor(base: IndexBase, added: IndexAdditions) {
    this.#base = base;
    this.#added = added;
  }

  configurationIds(configuration: string): readonly string[] {
    return this.#merged("configurations.name", configuration, this.#base.configurationIds(configuration));
  }

  versionIds(version: string): readonly string[] {
    return this.#merged("version", version, this.#base.versionIds(version));
  }

  latestAssigned(configuration: string): string {
    const added = this.#added.list("configurations.assigned", configuration);
    const base = this.#base.latestAssigned(configuration);
    const last = added.length > 0 ? added[added.length - 1] : "";
    return last > base ? last : base;
  }

  /**
   * The committed answer, then each added configuration not in it that now has a document of `entity`, appended
   * to its run's list (a configuration that existed before and gains its first document of `entity` is therefore
   * listed last in its run rather than in file order; no order among a run's configurations is promised).
   */
  configurationsByRun(entity: string): Map<number, string[]> {
    const cached = this.#byRun.get(entity);
    if (cached?.version === this.#added.version) return cached.byRun;
    const byRun = new Map([...this.#base.configurationsByRun(entity)].map(([run, names]) => [run, [...names]]));
    const addedNames = this.#added.map("configurations.name");
    if (addedNames) {
      const ofEntity = new Set(this.#added.list("entities.name", entity));
      let committed: Set<string> | null = null;
      const isOfEntity = (id: string) =>
        ofEntity.has(id) || (committed ??= new Set(this.#base.entityIds(entity))).has(id);
      for (const [name, ids] of addedNames) {
        const run = runOfConfiguration(name);
        if (run === null || byRun.get(run)?.includes(name)) continue;
        if (!ids.some(isOfEntity) && !this.#base.configurationIds(name).some((id) => ofEntity.has(id))) continue;
        const names = byRun.get(run);
        if (names) names.push(name);
        else byRun.set(run, [name]);
      }
    }
    this.#byRun.set(entity, { version: this.#added.version, byRun });
    return byRun;
  }

  entityIds(entity: string): readonly string[] {
    return this.#merged("entities.name", entity, this.#base.entityIds(entity));
  }

  #merged(name: string, key: string, base: readonly string[]): readonly string[] {
    const added = this.#added.list(name, key);
    return added.length === 0 ? base : mergeSorted([...base], [...added]);
  }
}

/**
 * The catalogue of one `index.json`: answers queries by reading the few lists they need from the file. Holds the
 * file open; {@link close} it when the catalogue is dropped.
 */
export class IndexCatalog implements IndexBase {
  readonly #path: string;
  readonly #file: Deno.FsFile;
  /** The full model, once a list turned out not to be in the streamed layout (a file edited by hand). */
  #full: CollectionIndex | null = null;
  readonly #data: CatalogData;
  readonly #byRun = new Map<string, Map<number, string[]>>();
  readonly #chunkBytes?: number;

  private constructor(path: string, file: Deno.FsFile, data: CatalogData, chunkBytes?: number) {
    this.#path = path;
    this.#file = file;
    this.#data = data;
    this.#chunkBytes = chunkBytes;
  }

  /**
   * Catalogues the index at `path` (one streaming pass). Null when the file is not in the streamed layout (the
   * caller parses it whole); throws what opening or reading the file throws. `chunkBytes`: the read buffer's size
   * (small in tests, to move lines across buffer boundaries).
   */
  static open(path: string, chunkBytes?: number): IndexCatalog | null {
    const file = Deno.openSync(path, { read: true });
    try {
      const data = walkIndex(new LineReader(file, chunkBytes), null, null);
      return new IndexCatalog(path, file, data, chunkBytes);
    } catch (error) {
      file.close();
      if (error instanceof NotStreamable) return null;
      throw error;
    }
  }

  /**
   * Writes this index with `added` merged into `sink` (the new file's bytes, in pieces), and returns the
   * catalogue of what was written, holding `written` (the new file, opened once it is complete).
   */
  merge(added: IndexAdditions, sink: (chunk: Uint8Array) => void): (written: Deno.FsFile) => IndexCatalog {
    return this.#rewrite(added, undefined, sink);
  }

  /**
   * Like {@link merge}, with the documents `removed` taken out of every list instead (`CollectionIndex.remove`): a
   * name left without documents disappears, and with it its `configurations.assigned` entry.
   */
  prune(removed: ReadonlySet<string>, sink: (chunk: Uint8Array) => void): (written: Deno.FsFile) => IndexCatalog {
    return this.#rewrite(null, removed, sink);
  }

  #rewrite(
    added: IndexAdditions | null,
    removed: ReadonlySet<string> | undefined,
    sink: (chunk: Uint8Array) => void,
  ): (written: Deno.FsFile) => IndexCatalog {
    if (this.#full) throw new NotStreamable();
    this.#file.seekSync(0, Deno.SeekMode.Start);
    let data: CatalogData | undefined;
    // The new file's catalogue covers the maps this one had catalogued; the others stay lazy, as after `open`.
    const wanted = new Set(this.#data.maps.keys());
    streamArtdaqWith(
      (out) => data = walkIndex(new LineReader(this.#file, this.#chunkBytes), added, out, undefined, removed, wanted),
      sink,
    );
    return (written) => new IndexCatalog(this.#path, written, data!, this.#chunkBytes);
  }

  close(): void {
    this.#file.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  configurationIds(configuration: string): readonly string[] {
    return this.#answer(
      () => this.#list("configurations.name", configuration),
      (full) => full.configurationIds(configuration),
    );
  }

  versionIds(version: string): readonly string[] {
    return this.#answer(() => this.#list("version", version), (full) => full.versionIds(version));
  }

  entityIds(entity: string): readonly string[] {
    return this.#answer(() => this.#list("entities.name", entity), (full) => full.entityIds(entity));
  }

  latestAssigned(configuration: string): string {
    return this.#answer(() => {
      const list = this.#list("configurations.assigned", configuration);
      return list.length > 0 ? list[list.length - 1] : "";
    }, (full) => full.latestAssigned(configuration));
  }

  configurationsByRun(entity: string): Map<number, string[]> {
    return this.#answer(() => this.#byRunOf(entity), (full) => full.configurationsByRun(entity));
  }

  /**
   * `streamed()`, or, once part of the file has turned out not to be in the streamed layout, `full()` on the
   * whole file parsed (throwing the corrupt-index error when it does not parse either).
   */
  #answer<T>(streamed: () => T, full: (index: CollectionIndex) => T): T {
    if (!this.#full) {
      try {
        return streamed();
      } catch (error) {
        if (!(error instanceof NotStreamable)) throw error;
        this.#file.seekSync(0, Deno.SeekMode.Start);
        const text = utf8.decode(readAll(this.#file));
        this.#full = parseIndexText(text, this.#path);
      }
    }
    return full(this.#full);
  }

  #byRunOf(entity: string): Map<number, string[]> {
    const cached = this.#byRun.get(entity);
    if (cached) return cached;
    const names = this.#map("configurations.name");
    const ranges = this.#data.ranges;
    const nonEmpty = (slot: number) => ranges[slot + 1] > ranges[slot];
    const entities = [...this.#map("entities.name")].filter(([, slot]) => nonEmpty(slot));
    let byRun: Map<number, string[]>;
    if (entities.length === 0 || (entities.length === 1 && entities[0][0] !== entity)) byRun = new Map();
    else if (entities.length === 1) {
      // Every document is of `entity` (SystemLayout holds schema documents only): no list needs reading.
      byRun = groupBy(names.keys(), (name) => nonEmpty(names.get(name)!) ? runOfConfiguration(name) : null);
    } else {
      const members = new Set(this.entityIds(entity));
      const [start, end] = this.#data.sections.get("configurations.name")!;
      const section = this.#read(start, end);
      byRun = groupBy(names.keys(), (name) => {
        const run = runOfConfiguration(name);
        if (run === null) return null;
        const slot = names.get(name)!;
        const ids = listItems(section.subarray(ranges[slot] - start, ranges[slot + 1] - start));
        return ids.some((id) => members.has(id)) ? run : null;
      });
    }
    this.#byRun.set(entity, byRun);
    heapCheckpoint();
    return byRun;
  }

  /**
   * The catalogue of map `name`: where each key's list lies. Built on first use from the map's section (opening
   * an index records only where each map lies), then kept.
   */
  #map(name: string): Map<string, number> {
    let map = this.#data.maps.get(name);
    if (map) return map;
    const [start] = this.#data.sections.get(name)!;
    this.#file.seekSync(start, Deno.SeekMode.Start);
    walkIndex(new LineReader(this.#file, this.#chunkBytes, start), null, null, { name, data: this.#data });
    map = this.#data.maps.get(name) ?? new Map();
    this.#data.maps.set(name, map);
    heapCheckpoint(); // a map of 100,000 keys leaves ~10 MB of garbage (its table grown by doubling)
    return map;
  }

  #list(map: string, key: string): readonly string[] {
    const slot = this.#map(map).get(key);
    if (slot === undefined) return [];
    const start = this.#data.ranges[slot];
    const end = this.#data.ranges[slot + 1];
    return end > start ? listItems(this.#read(start, end)) : [];
  }

  #read(start: number, end: number): Uint8Array {
    const bytes = new Uint8Array(end - start);
    this.#file.seekSync(start, Deno.SeekMode.Start);
    let filled = 0;
    while (filled < bytes.length) {
      const read = this.#file.readSync(bytes.subarray(filled));
      if (read === null) throw new StoreError(`${this.#path} ended early while it was read; retry`);
      filled += read;
    }
    return bytes;
  }
}

/** The rest of a file. */
function readAll(file: Deno.FsFile): Uint8Array {
  const pieces: Uint8Array[] = [];
  for (;;) {
    const piece = new Uint8Array(1 << 20);
    const read = file.readSync(piece);
    if (read === null) return concatBytes(pieces);
    pieces.push(piece.subarray(0, read));
  }
}

/**
 * The full model of an index's text, or a `StoreError` naming the file and what to do when it does not parse.
 *
 * @example
 * ```ts
 * parseIndexText(Deno.readTextFileSync(path), path).ouid.length;
 * ```
 */
export function parseIndexText(text: string, path: string): CollectionIndex {
  try {
    return CollectionIndex.parse(text, path);
  } catch (error) {
    throw new StoreError(
      `${path} is corrupt (${describeError(error)}); rebuild it with artdaq_database's rebuild_database_index, ` +
        `or restore it from a backup`,
    );
  }
}

/** The items of a list body (`"a",\n"b"`); throws `NotStreamable` unless it holds one string per line. */
function listItems(body: Uint8Array): string[] {
  if (body.length === 0) return [];
  const lines = utf8.decode(body).split("\n");
  return lines.map((line, i) => {
    const item = i < lines.length - 1 && line.charCodeAt(line.length - 1) === COMMA ? line.slice(0, -1) : line;
    if (item.length < 2 || item.charCodeAt(0) !== QUOTE || item.charCodeAt(item.length - 1) !== QUOTE) {
      throw new NotStreamable();
    }
    if (!item.includes("\\")) {
      const value = item.slice(1, -1);
      if (!value.includes('"')) return value;
    }
    try {
      const value = JSON.parse(item);
      if (typeof value === "string") return value;
    } catch { /* below */ }
    throw new NotStreamable();
  });
}

/**
 * A file read line by line through a buffer of `chunkBytes` (grown for a longer line). Line positions are indexes
 * into `buffer`, valid until the next call of `next`.
 */
class LineReader {
  readonly #file: Deno.FsFile;
  buffer: Uint8Array;
  #view: Uint8Array;
  #filled = 0;
  /** File offset of `buffer[0]`. */
  #base = 0;
  #next = 0;
  #eof = false;
  /** The current line: `buffer[start, end)`, without its newline. */
  start = 0;
  end = 0;
  /** Called before the buffer's bytes are moved (a caller copying stretches of it writes them first). */
  beforeRefill: (() => void) | null = null;

  /** `base`: the file offset the file is positioned at. */
  constructor(file: Deno.FsFile, chunkBytes = 1 << 20, base = 0) {
    this.#file = file;
    this.#base = base;
    this.buffer = new Uint8Array(chunkBytes);
    this.#view = this.buffer.subarray(0, 0);
  }

  /** File offset of `buffer[index]`. */
  offset(index: number): number {
    return this.#base + index;
  }

  /** Moves to the next line; false at the end of the file. */
  next(): boolean {
    for (;;) {
      const newline = this.#view.indexOf(NEWLINE, this.#next);
      if (newline >= 0) {
        this.start = this.#next;
        this.end = newline;
        this.#next = newline + 1;
        return true;
      }
      if (this.#eof) {
        if (this.#next >= this.#filled) return false;
        this.start = this.#next;
        this.end = this.#filled;
        this.#next = this.#filled;
        return true;
      }
      this.#refill();
    }
  }

  /**
   * Moves to the next line that starts with `byte`, skipping the lines before it without looking at them; false
   * when there is none.
   */
  skipTo(byte: number): boolean {
    let from = this.#next;
    let lineStart = this.#next;
    for (;;) {
      const found = this.#view.indexOf(byte, from);
      if (found >= 0) {
        if (found === lineStart || (found > 0 && this.buffer[found - 1] === NEWLINE)) {
          this.#next = found;
          return this.next();
        }
        from = found + 1;
        continue;
      }
      if (this.#eof) return false;
      // Everything read so far is skipped but its last byte, which tells whether the next byte starts a line.
      if (this.#filled - 1 > this.#next) {
        this.#next = this.#filled - 1;
        lineStart = -1;
      }
      this.#refill();
      from = 0;
      if (lineStart !== -1) lineStart = 0;
    }
  }

  /** Whether the current line is exactly `text` (ASCII). */
  is(text: string): boolean {
    if (this.end - this.start !== text.length) return false;
    for (let i = 0; i < text.length; i++) if (this.buffer[this.start + i] !== text.charCodeAt(i)) return false;
    return true;
  }

  /** Whether the current line is a JSON string followed by `tail` (ASCII); then the string's end. */
  keyEnd(tail: string): number {
    const from = this.end - tail.length;
    if (from - this.start < 2 || this.buffer[this.start] !== QUOTE || this.buffer[from - 1] !== QUOTE) return -1;
    for (let i = 0; i < tail.length; i++) if (this.buffer[from + i] !== tail.charCodeAt(i)) return -1;
    return from;
  }

  #refill(): void {
    this.beforeRefill?.();
    const keep = this.#next;
    if (keep > 0) {
      this.buffer.copyWithin(0, keep, this.#filled);
      this.#filled -= keep;
      this.#base += keep;
      this.#next = 0;
    }
    if (this.#filled === this.buffer.length) {
      const grown = new Uint8Array(this.buffer.length * 2);
      grown.set(this.buffer);
      this.buffer = grown;
    }
    const read = this.#file.readSync(this.buffer.subarray(this.#filled));
    if (read === null) this.#eof = true;
    else this.#filled += read;
    this.#view = this.buffer.subarray(0, this.#filled);
  }
}

/** A string to merge into a list, with its bytes when a byte comparison orders it exactly (printable ASCII). */
interface PendingItem {
  item: string;
  bytes: Uint8Array | null;
}

function pendingItem(item: string): PendingItem {
  for (let i = 0; i < item.length; i++) {
    const c = item.charCodeAt(i);
    if (c < 0x20 || c >= 0x7f || c === QUOTE || c === BACKSLASH) return { item, bytes: null };
  }
  return { item, bytes: encoder.encode(item) };
}

/**
 * How `pending` orders against the JSON string `bytes[start, end)` (quotes included), as JavaScript compares
 * strings: bytes while both are printable ASCII, the decoded string otherwise.
 */
function compareItem(pending: PendingItem, bytes: Uint8Array, start: number, end: number): number {
  const own = pending.bytes;
  if (own !== null) {
    let i = 0;
    let j = start + 1;
    const stop = end - 1;
    for (; i < own.length && j < stop; i++, j++) {
      const c = bytes[j];
      if (c === BACKSLASH || c >= 0x80) break;
      if (own[i] !== c) return own[i] - c;
    }
    if (i === own.length) return j === stop ? 0 : -1;
    if (j === stop) return 1;
  }
  const value = decodeString(bytes.subarray(start, end));
  return pending.item < value ? -1 : pending.item > value ? 1 : 0;
}

/** The value of a JSON string's bytes (quotes included). */
function decodeString(bytes: Uint8Array): string {
  // Decoded without its quotes rather than sliced: a slice would keep the quoted string alive with it.
  if (bytes.indexOf(BACKSLASH) < 0) return utf8.decode(bytes.subarray(1, bytes.length - 1));
  return JSON.parse(utf8.decode(bytes)) as string;
}

/**
 * One pass over an index in the streamed layout. Without `out`, records where the maps of the file lie (with
 * `only`, the catalogue of one map, the reader at its first entry); with `out`, writes the index with `added` merged
 * or `removed` taken out (as `CollectionIndex` would write it) and records the catalogue of what it wrote: of the maps
 * in `wanted` (when given; the others get only their section, to be catalogued when first asked). Throws
 * `NotStreamable` when the text leaves the layout.
 */
function walkIndex(
  lines: LineReader,
  added: IndexAdditions | null,
  out: ArtdaqBytesWriter | null,
  only?: { name: string; data: CatalogData },
  removed?: ReadonlySet<string>,
  wanted?: ReadonlySet<string>,
): CatalogData {
  const data: CatalogData = only?.data ?? { maps: new Map(), ranges: [], sections: new Map() };
  const line = () => {
    if (!lines.next()) throw new NotStreamable();
  };
  /** At a closing line: whether another entry follows (`],` / `},`) or not (`]` / `}`). */
  const more = (bracket: string): boolean => {
    if (lines.is(bracket + ",")) return true;
    if (lines.is(bracket)) return false;
    throw new NotStreamable();
  };

  /** The end of the current line's string (before its comma); throws unless the line is one string. */
  const itemEnd = (): number => {
    const end = lines.buffer[lines.end - 1] === COMMA ? lines.end - 1 : lines.end;
    if (end - lines.start < 2 || lines.buffer[lines.start] !== QUOTE || lines.buffer[end - 1] !== QUOTE) {
      throw new NotStreamable();
    }
    return end;
  };

  /** A list that is not in the file (a new key): its items. Returns the body's range in the output. */
  const fresh = (items: readonly string[]): [number, number] => {
    out!.raw("[\n");
    const start = out!.position();
    for (let i = 0; i < items.length; i++) {
      if (i > 0) out!.raw(",\n");
      out!.string(items[i]);
    }
    const end = out!.position();
    out!.raw("\n]");
    return [start, end];
  };

  /**
   * The list whose `… : [` line is the current one, with `additions` (sorted, unique) merged, up to its closing
   * line. Returns the body's range (in the output, or in the file when only reading).
   */
  const list = (additions: readonly string[]): [number, number] => {
    line();
    if (lines.start === lines.end) { // "[\n\n]": empty
      line();
      if (out && additions.length > 0) return fresh(additions);
      out?.raw("[\n\n]");
      const at = out ? out.position() : lines.offset(lines.start);
      return [at, at];
    }
    if (!out) {
      // Only reading: the list ends at the next line that starts with "]" (no string holds a raw newline).
      const start = lines.offset(lines.start);
      if (!lines.skipTo(0x5d)) throw new NotStreamable();
      return [start, lines.offset(lines.start) - 1];
    }
    out.raw("[\n");
    const start = out.position();
    const pending = additions.map(pendingItem);
    let next = 0;
    let written = 0;
    // Old lines are copied in stretches: buffer[from, to), written before anything else is and before the reader
    // moves the buffer's bytes.
    let from = -1;
    let to = -1;
    const flush = () => {
      if (from >= 0) out.bytes(lines.buffer.subarray(from, to));
      from = -1;
    };
    lines.beforeRefill = flush;
    while (lines.buffer[lines.start] !== 0x5d) { // up to "]"
      const end = itemEnd();
      for (; next < pending.length; next++) {
        const order = compareItem(pending[next], lines.buffer, lines.start, end);
        if (order > 0) break;
        if (order === 0) continue;
        flush();
        if (written++ > 0) out.raw("\n");
        out.string(pending[next].item);
        out.raw(",");
      }
      // With the newline before it, which is in the buffer unless the line starts the buffer.
      if (from >= 0 && to === lines.start - 1) to = lines.end;
      else {
        flush();
        if (written === 0 || lines.start > 0) from = written === 0 ? lines.start : lines.start - 1;
        else {
          out.raw("\n");
          from = lines.start;
        }
        to = lines.end;
      }
      written++;
      line();
    }
    flush();
    lines.beforeRefill = null;
    for (; next < pending.length; next++) {
      out.raw(",\n");
      out.string(pending[next].item);
    }
    const end = out.position();
    out.raw("\n]");
    return [start, end];
  };

  /**
   * Removal: the list whose `… : [` line is the current one without the items in `removed`, up to its closing line.
   * `open` writes what comes before the list (its key) and is called unless the removal took every item: then the
   * entry is left out and null returned (with `dropWhenEmptied`; `ouid` is written empty instead).
   */
  const pruned = (open: () => void, dropWhenEmptied: boolean): [number, number] | null => {
    const empty = (): [number, number] => {
      open();
      out!.raw("[\n\n]");
      return [out!.position(), out!.position()];
    };
    line();
    if (lines.start === lines.end) { // "[\n\n]": empty before, kept
      line();
      return empty();
    }
    let start = -1;
    let kept = 0;
    while (lines.buffer[lines.start] !== 0x5d) { // up to "]"
      const end = itemEnd();
      if (!removed!.has(decodeString(lines.buffer.subarray(lines.start, end)))) {
        if (kept++ === 0) {
          open();
          out!.raw("[\n");
          start = out!.position();
        } else out!.raw(",\n");
        out!.bytes(lines.buffer.subarray(lines.start, end));
      }
      line();
    }
    if (kept > 0) {
      const end = out!.position();
      out!.raw("\n]");
      return [start, end];
    }
    return dropWhenEmptied ? null : empty();
  };
  /** Removal: configuration names whose last document was removed (their `configurations.assigned` entry goes too). */
  const emptied = new Set<string>();

  /**
   * The entries of map `name` from the current line (its first key line) up to the closing line of its last list,
   * with additions merged or removals taken out when writing; records the catalogue and section of the map.
   */
  const entries = (name: string): void => {
    let catalogue = data.maps.get(name);
    if (!catalogue && CATALOGUED.has(name) && (wanted === undefined || wanted.has(name))) {
      data.maps.set(name, catalogue = new Map());
    }
    /** Where the entries begin in the output (the line after the map's `{`), for a map left to catalogue later. */
    const entriesStart = out ? out.position() : -1;
    const additions = added?.map(name);
    const seen = new Set<string>();
    let count = 0;
    let first = -1;
    let last = -1;
    const record = (key: string, range: [number, number]) => {
      if (first < 0) first = range[0];
      last = range[1];
      if (catalogue) {
        catalogue.set(key, data.ranges.length);
        data.ranges.push(range[0], range[1]);
      }
    };
    // Removal (no additions in the same pass): a key whose list loses every item is left out, as are the
    // `configurations.assigned` entries of the configurations that lost every document (which come earlier).
    if (lines.start !== lines.end) {
      if (removed && name === "configurations.assigned" && !maps.has("configurations.name")) {
        throw new NotStreamable();
      }
      for (;;) {
        const keyEnd = lines.keyEnd(" : [");
        if (keyEnd < 0) throw new NotStreamable();
        if (removed) {
          const keyBytes = lines.buffer.slice(lines.start, keyEnd);
          const key = decodeString(keyBytes);
          const open = () => {
            if (count++ > 0) out!.raw(",\n");
            out!.bytes(keyBytes);
            out!.raw(" : ");
          };
          if (name === "configurations.assigned" && emptied.has(key)) {
            line();
            while (lines.start === lines.end || lines.buffer[lines.start] !== 0x5d) line();
          } else {
            const range = pruned(open, true);
            if (range) record(key, range);
            else if (name === "configurations.name") emptied.add(key);
          }
        } else {
          const key = catalogue || additions ? decodeString(lines.buffer.subarray(lines.start, keyEnd)) : "";
          if (additions) seen.add(key);
          if (out) {
            if (count > 0) out.raw(",\n");
            out.bytes(lines.buffer.subarray(lines.start, keyEnd));
            out.raw(" : ");
          }
          count++;
          record(key, list(additions?.get(key) ?? []));
        }
        if (!more("]")) break;
        line();
      }
    }
    if (out) {
      for (const [key, items] of additions ?? []) {
        if (seen.has(key)) continue;
        if (count++ > 0) out.raw(",\n");
        out.string(key);
        out.raw(" : ");
        record(key, fresh(items));
      }
    }
    if (catalogue) data.sections.set(name, [Math.max(first, 0), Math.max(last, 0)]);
    else if (out && CATALOGUED.has(name)) data.sections.set(name, [entriesStart, out.position()]);
  };

  /**
   * The map whose `"<name>" : {` line is the current one, up to its closing line. Only reading, its entries are
   * skipped: the catalogue records where they lie and reads them when first asked ({@link IndexCatalog}).
   */
  const map = (name: string) => {
    line();
    if (!out) {
      const start = lines.offset(lines.start);
      if (lines.start === lines.end) line();
      else if (!lines.skipTo(0x7d)) throw new NotStreamable(); // to the map's closing line
      if (CATALOGUED.has(name)) data.sections.set(name, [start, lines.offset(lines.start)]);
      return;
    }
    out.raw("{\n");
    entries(name);
    line(); // "}" or "},"
    out.raw("\n}"); // "{\n\n}" when empty
  };

  if (only !== undefined) {
    line();
    entries(only.name);
    return data;
  }

  line();
  if (!lines.is("{")) throw new NotStreamable();
  line();
  if (!lines.is('"ouid" : [')) throw new NotStreamable();
  out?.raw('{\n"ouid" : ');
  if (removed) pruned(() => {}, false);
  else list(added?.ouid() ?? []);
  const maps = new Set<string>();
  let follows = more("]");
  while (follows) {
    line();
    const keyEnd = lines.keyEnd(" : {");
    if (keyEnd < 0) throw new NotStreamable();
    const name = decodeString(lines.buffer.subarray(lines.start, keyEnd));
    if (!MAP_NAMES.has(name) || maps.has(name)) throw new NotStreamable();
    maps.add(name);
    if (out) {
      out.raw(",\n");
      out.string(name);
      out.raw(" : ");
    }
    map(name);
    follows = more("}");
  }
  if (maps.size !== MAP_NAMES.size) throw new NotStreamable();
  line();
  if (!lines.is("}")) throw new NotStreamable();
  while (lines.next()) {
    for (let i = lines.start; i < lines.end; i++) {
      const c = lines.buffer[i];
      if (c !== 0x20 && c !== 0x09 && c !== 0x0d) throw new NotStreamable();
    }
  }
  out?.raw("\n}");
  return data;
}
