/**
 * A filesystem collection's `index.json` (artdaq-database.md §4.2): the only search path the C++ filesystem
 * provider ever uses, so it must stay exactly in step with the documents. Layout and maintenance rules:
 *
 * - keys `ouid` (list of ids), then maps `version`, `configurations.name`, `entities.name`, `aliases.active.name`,
 *   `runs.name`, `configurations.assigned` (name → list);
 * - every list sorted as strings and de-duplicated; new map keys appended at the end (insertion order, which a JS
 *   object would break for numeric keys such as run numbers, hence `Map`);
 * - written in the JsonWriter layout once it holds a document; a fresh index is the compact template text.
 *
 * Keys we do not know are kept as they are.
 *
 * @module
 */

import {
  type ArtdaqBytesWriter,
  JsonObject,
  type JsonValue,
  parseOrdered,
  streamArtdaqWith,
} from "../../../core/json/mod.ts";
import type { DocumentFacts } from "../document.ts";
import { groupBy } from "../group.ts";
import { runOfConfiguration } from "../naming.ts";

/** The questions the store asks an index. */
export interface IndexQueries {
  /** Ids of the documents of `configuration` (sorted; empty when none). */
  configurationIds(configuration: string): readonly string[];
  /** `<run>/<name>` configurations that have a document of `entity`, by run number. */
  configurationsByRun(entity: string): Map<number, string[]>;
  /** The newest `configurations.assigned` timestamp of `configuration` ("" when none). */
  latestAssigned(configuration: string): string;
  /** Ids of the documents of `version` (empty when none). */
  versionIds(version: string): readonly string[];
}

/** What a committed index answers besides (for queries over it with additions on top, `PendingView`). */
export interface IndexBase extends IndexQueries {
  /** Ids of the documents of `entity` (sorted; empty when none). */
  entityIds(entity: string): readonly string[];
}

/** The exact text artdaq_database writes for a new, empty index (`empty_filesystem_index`). */
export const EMPTY_INDEX_TEXT =
  `{"ouid":[], "version":{},"configurations.name":{}, "entities.name":{},"aliases.active.name":{}, "runs.name":{},"configurations.assigned":{} }`;

/** The six maps of an index, in the order of a new one. */
export const MAP_KEYS = [
  "version",
  "configurations.name",
  "entities.name",
  "aliases.active.name",
  "runs.name",
  "configurations.assigned",
] as const;

/** Name of one of the index maps. */
export type IndexMapName = typeof MAP_KEYS[number];

/**
 * The parsed index of one collection.
 *
 * Additions are deferred: `add` appends to a per-list pending set, and a list is merged (sorted, de-duplicated) the
 * first time it is read. Inserting each id into its sorted lists at once cost a splice of the whole `ouid` and
 * entity lists per document: 0.56 ms per document, 14 ms per 25-document run, in an index of 100,000 runs
 * (BENCHMARKS.md round 4); a merge costs that once per read, and an import reads only small per-run lists until
 * the group commit writes the file.
 */
export class CollectionIndex implements IndexBase {
  #ouid: string[];
  /** The maps in file order (known ones first when created here). */
  readonly #maps: Map<string, Map<string, string[]>>;
  /** Unknown top-level entries, kept for the round trip. */
  readonly #extra: Array<[string, JsonValue]>;
  readonly #byRun = new Map<string, Map<number, string[]>>();
  /** Ids added to `ouid` since it was last merged. */
  #pendingOuid: string[] = [];
  /** Values added to map lists since they were last merged: map name → value → added items. */
  readonly #pending = new Map<string, Map<string, string[]>>();

  private constructor(ouid: string[], maps: Map<string, Map<string, string[]>>, extra: Array<[string, JsonValue]>) {
    this.#ouid = ouid;
    this.#maps = maps;
    this.#extra = extra;
    for (const key of MAP_KEYS) if (!maps.has(key)) maps.set(key, new Map());
  }

  /** Every document id, sorted. */
  get ouid(): string[] {
    if (this.#pendingOuid.length > 0) {
      this.#ouid = mergeSorted(this.#ouid, this.#pendingOuid);
      this.#pendingOuid = [];
    }
    return this.#ouid;
  }

  /** The maps in file order, every list merged. */
  get maps(): Map<string, Map<string, string[]>> {
    for (const name of [...this.#pending.keys()]) this.#mergeMap(name);
    return this.#maps;
  }

  /** An index with no documents. */
  static empty(): CollectionIndex {
    return new CollectionIndex([], new Map(), []);
  }

  /**
   * Parses index text (template or JsonWriter layout, ours or the C++ provider's). Throws `JsonSyntaxError` /
   * `TypeError` for a corrupt index; the caller names the collection.
   *
   * @example
   * ```ts
   * CollectionIndex.parse(EMPTY_INDEX_TEXT).ouid; // []
   * ```
   */
  static parse(text: string, source = "index.json"): CollectionIndex {
    const root = parseOrdered(text, { source, allowTrailing: true });
    if (!(root instanceof JsonObject)) throw new TypeError(`${source}: the index is not a JSON object`);
    let ouid: string[] = [];
    const maps = new Map<string, Map<string, string[]>>();
    const extra: Array<[string, JsonValue]> = [];
    for (const [key, value] of root) {
      if (key === "ouid") ouid = sortedUnique(stringList(value, source, key));
      else if (value instanceof JsonObject && (MAP_KEYS as readonly string[]).includes(key)) {
        const map = new Map<string, string[]>();
        for (const [name, list] of value) {
          const merged = map.get(name);
          const items = stringList(list, source, `${key}.${name}`);
          map.set(name, merged ? sortedUnique([...merged, ...items]) : sortedUnique(items));
        }
        maps.set(key, map);
      } else extra.push([key, value]);
    }
    return new CollectionIndex(ouid, maps, extra);
  }

  /** The index in the JsonWriter layout (no final newline), as the C++ provider rewrites it: {@link writeTo}'s text. */
  toText(): string {
    const decoder = new TextDecoder();
    let text = "";
    this.writeTo((chunk) => text += decoder.decode(chunk, { stream: true }));
    return text + decoder.decode();
  }

  /**
   * The index's bytes, handed to `sink` in chunks of about `chunkBytes` as they are written (each chunk is reused
   * once `sink` returns: write it at once). Written by hand rather than through a generic model, and streamed: the
   * index is rewritten at every group commit and grows with every run (25 MB at 6,000 runs of 25 documents); built
   * whole, as text or bytes, it cost memory in proportion to the number of runs; streamed, one chunk (BENCHMARKS.md
   * round 5).
   */
  writeTo(sink: (chunk: Uint8Array) => void, chunkBytes?: number): void {
    streamArtdaqWith(
      (out) => {
        out.raw('{\n"ouid" : ');
        writeList(out, this.ouid);
        for (const [key, map] of this.maps) {
          out.raw(",\n");
          out.string(key);
          if (map.size === 0) {
            out.raw(" : {\n\n}");
            continue;
          }
          out.raw(" : {\n");
          let first = true;
          for (const [name, items] of map) {
            if (!first) out.raw(",\n");
            first = false;
            out.string(name);
            out.raw(" : ");
            writeList(out, items);
          }
          out.raw("\n}");
        }
        for (const [key, value] of this.#extra) {
          out.raw(",\n");
          out.string(key);
          out.raw(" : ");
          out.value(value);
        }
        out.raw("\n}");
      },
      sink,
      chunkBytes,
    );
  }

  /** The map `name`, every list merged. */
  map(name: IndexMapName): Map<string, string[]> {
    this.#mergeMap(name);
    return this.#maps.get(name)!;
  }

  /** Ids listed under `value` in map `name` (sorted; empty when absent). Merges only that list. */
  ids(name: IndexMapName, value: string): readonly string[] {
    const pending = this.#pending.get(name);
    const added = pending?.get(value);
    const map = this.#maps.get(name)!;
    if (added) {
      map.set(value, mergeSorted(map.get(value) ?? [], added));
      pending!.delete(value);
      if (pending!.size === 0) this.#pending.delete(name);
    }
    return map.get(value) ?? [];
  }

  /** Ids of the documents of `configuration`. */
  configurationIds(configuration: string): readonly string[] {
    return this.ids("configurations.name", configuration);
  }

  /** Ids of the documents of `version`. */
  versionIds(version: string): readonly string[] {
    return this.ids("version", version);
  }

  /** Ids of the documents of `entity`. */
  entityIds(entity: string): readonly string[] {
    return this.ids("entities.name", entity);
  }

  /** Whether the index lists `id`. */
  has(id: string): boolean {
    return binarySearch(this.ouid, id) >= 0;
  }

  /** Adds one document's entries (`addDocument` of the C++ provider). Idempotent. */
  add(facts: DocumentFacts): void {
    this.#pendingOuid.push(facts.id);
    forEachIndexEntry(facts, (name, key, item) => this.#addTo(name, key, item));
    this.#byRun.clear();
  }

  /**
   * Removes a document id from every list; a name left without ids disappears (and with it its
   * `configurations.assigned` entry). The C++ provider never removes; we only do it to clean up our own
   * incomplete writes.
   */
  remove(id: string): void {
    const ouid = this.ouid;
    const at = binarySearch(ouid, id);
    if (at >= 0) ouid.splice(at, 1);
    for (const key of MAP_KEYS) {
      if (key === "configurations.assigned") continue;
      const map = this.map(key);
      for (const [name, list] of map) {
        const index = binarySearch(list, id);
        if (index < 0) continue;
        list.splice(index, 1);
        if (list.length === 0) {
          map.delete(name);
          if (key === "configurations.name") this.map("configurations.assigned").delete(name);
        }
      }
    }
    this.#byRun.clear();
  }

  /**
   * Configuration names of the form `<run>/<name>` that have a document of `entity`, grouped by run number
   * (leading digits, as the Python archiver parses them with `^\s*(\d+)/`). Computed once per index version.
   */
  configurationsByRun(entity: string): Map<number, string[]> {
    const cached = this.#byRun.get(entity);
    if (cached) return cached;
    const entityIds = this.ids("entities.name", entity);
    const names = this.map("configurations.name");
    const byRun = groupBy(names.keys(), (name) => {
      const run = runOfConfiguration(name);
      return run !== null && names.get(name)!.some((id) => binarySearch(entityIds, id) >= 0) ? run : null;
    });
    this.#byRun.set(entity, byRun);
    return byRun;
  }

  /** The newest `configurations.assigned` timestamp of `configuration` ("" when none). */
  latestAssigned(configuration: string): string {
    const list = this.ids("configurations.assigned", configuration);
    return list && list.length > 0 ? list[list.length - 1] : "";
  }

  #addTo(name: IndexMapName, value: string, id: string): void {
    const map = this.#maps.get(name)!;
    if (!map.has(value)) {
      map.set(value, [id]); // a new name keeps its place: appended, as the C++ provider appends it
      return;
    }
    let pending = this.#pending.get(name);
    if (!pending) this.#pending.set(name, pending = new Map());
    const added = pending.get(value);
    if (added) added.push(id);
    else pending.set(value, [id]);
  }

  #mergeMap(name: string): void {
    const pending = this.#pending.get(name);
    if (!pending) return;
    const map = this.#maps.get(name)!;
    for (const [value, added] of pending) map.set(value, mergeSorted(map.get(value) ?? [], added));
    this.#pending.delete(name);
  }
}

/**
 * The map entries one document adds besides its `ouid` entry (`addDocument` of the C++ provider): `visit(map, key,
 * item)` for each, in the order the provider adds them.
 */
export function forEachIndexEntry(
  facts: DocumentFacts,
  visit: (map: IndexMapName, key: string, item: string) => void,
): void {
  visit("version", facts.version, facts.id);
  for (const configuration of facts.configurations) {
    visit("configurations.name", configuration.name, facts.id);
    if (configuration.assigned) visit("configurations.assigned", configuration.name, configuration.assigned);
  }
  for (const entity of facts.entities) visit("entities.name", entity, facts.id);
  for (const alias of facts.aliases) visit("aliases.active.name", alias, facts.id);
  for (const run of facts.runs) visit("runs.name", run, facts.id);
}

/**
 * `sorted` (sorted, unique) with `added` (any order, duplicates allowed) merged in: sorted, unique. Returns `sorted`
 * itself when nothing is new. Each new item's place is found by binary search and the list is copied once, so a
 * commit that adds a few hundred ids to a list of 200,000 compares a few thousand strings, not 200,000.
 */
export function mergeSorted(sorted: string[], added: string[]): string[] {
  if (added.length === 1) {
    const at = binarySearch(sorted, added[0]);
    if (at < 0) sorted.splice(-(at + 1), 0, added[0]);
    return sorted;
  }
  added.sort(compare);
  const items: string[] = [];
  const places: number[] = [];
  for (let j = 0; j < added.length; j++) {
    if (j > 0 && added[j] === added[j - 1]) continue;
    const at = binarySearch(sorted, added[j]);
    if (at >= 0) continue;
    items.push(added[j]);
    places.push(-(at + 1));
  }
  if (items.length === 0) return sorted;
  const merged = new Array<string>(sorted.length + items.length);
  let from = 0;
  let out = 0;
  for (let k = 0; k < items.length; k++) {
    for (let i = from; i < places[k]; i++) merged[out++] = sorted[i];
    from = places[k];
    merged[out++] = items[k];
  }
  for (let i = from; i < sorted.length; i++) merged[out++] = sorted[i];
  return merged;
}

/** A list of strings in the JsonWriter layout. */
function writeList(out: ArtdaqBytesWriter, items: readonly string[]): void {
  if (items.length === 0) {
    out.raw("[\n\n]");
    return;
  }
  out.raw("[\n");
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out.raw(",\n");
    out.string(items[i]);
  }
  out.raw("\n]");
}

function stringList(value: JsonValue, source: string, where: string): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
    throw new TypeError(`${source}: '${where}' is not a list of strings`);
  }
  return value as string[];
}

function sortedUnique(list: string[]): string[] {
  let ordered = true;
  for (let i = 1; i < list.length && ordered; i++) ordered = list[i - 1] < list[i];
  if (ordered) return list;
  const sorted = [...list].sort(compare);
  return sorted.filter((item, i) => i === 0 || item !== sorted[i - 1]);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function binarySearch(list: readonly string[], value: string): number {
  let low = 0;
  let high = list.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const item = list[mid];
    if (item === value) return mid;
    if (item < value) low = mid + 1;
    else high = mid - 1;
  }
  return -(low + 1);
}
