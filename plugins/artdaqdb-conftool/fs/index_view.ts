/**
 * A read-only view of a collection's `index.json` for queries (list runs, find a configuration's documents),
 * built without parsing the whole file: in the JsonWriter layout every top-level map is a line `"<key>" : {`
 * closed by the first following line `}` (newlines inside strings are always escaped), so the few maps a query
 * needs are cut out and handed to the native `JSON.parse`. For 100,000 archived runs the SystemLayout index is
 * about 44 MB; the view reads its `configurations.name` and `entities.name` maps only.
 *
 * Key order, which a rewrite must keep, does not matter to a query; writes use `CollectionIndex` instead. An index
 * in any other layout (the C++ template, hand-edited files) falls back to the full parser.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { runOfConfiguration } from "../naming.ts";
import { CollectionIndex } from "./index_file.ts";

/** The questions the store asks an index. */
export interface IndexQueries {
  /** Ids of the documents of `configuration` (sorted; empty when none). */
  configurationIds(configuration: string): readonly string[];
  /** `<run>/<name>` configurations that have a document of `entity`, by run number. */
  configurationsByRun(entity: string): Map<number, string[]>;
  /** The newest `configurations.assigned` timestamp of `configuration` ("" when none). */
  latestAssigned(configuration: string): string;
}

type StringLists = Record<string, string[]>;

/**
 * Reads the view from the bytes of an index file, or the full `CollectionIndex` when the file is not in the
 * JsonWriter layout. The maps are located with native byte searches and only they are decoded.
 *
 * @example
 * ```ts
 * const view = indexView(Deno.readFileSync("/data/db/SystemLayout/index.json"));
 * view.configurationsByRun("schema").size; // number of archived runs
 * ```
 */
export function indexView(bytes: Uint8Array, source = "index.json"): IndexQueries {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const configurations = section(buffer, "configurations.name");
  const entities = section(buffer, "entities.name");
  if (configurations === null || entities === null) {
    return CollectionIndex.parse(new TextDecoder().decode(bytes), source);
  }
  const assigned = section(buffer, "configurations.assigned");
  const decode = (range: [number, number]) => buffer.toString("utf8", range[0], range[1]);
  return new SectionView(
    JSON.parse(decode(configurations)) as StringLists,
    soleKey(buffer, entities) ?? (() => JSON.parse(decode(entities)) as StringLists),
    assigned && (() => JSON.parse(decode(assigned)) as StringLists),
  );
}

/** Byte range of the top-level map `key` (`{…}`), or null when the layout is not the JsonWriter one. */
function section(buffer: Buffer, key: string): [number, number] | null {
  const opening = `\n${JSON.stringify(key)} : {`;
  const start = buffer.indexOf(opening);
  if (start < 0) return null;
  const from = start + Buffer.byteLength(opening) - 1;
  const end = buffer.indexOf("\n}", from);
  return end < 0 ? null : [from, end + 2];
}

/**
 * When the map in `range` has exactly one key with a non-empty list (SystemLayout: `schema`), that key; else
 * null. Keys are the only lines followed by `" : [`; ids never are.
 */
function soleKey(buffer: Buffer, range: [number, number]): string | null {
  const marker = '" : [';
  const first = buffer.indexOf(marker, range[0]);
  if (first < 0 || first >= range[1]) return null;
  const second = buffer.indexOf(marker, first + marker.length);
  if (second >= 0 && second < range[1]) return null;
  if (buffer[first + marker.length + 1] === 0x0a) return null; // "[\n\n]": an empty list
  const lineStart = buffer.lastIndexOf('\n"', first);
  return JSON.parse(buffer.toString("utf8", lineStart + 1, first + 1)) as string;
}

/** The parsed maps; `entities` is either the only entity of the collection or the parsed map, on demand. */
class SectionView implements IndexQueries {
  readonly #configurations: StringLists;
  readonly #entities: string | (() => StringLists);
  #assigned: StringLists | (() => StringLists) | null;
  readonly #byRun = new Map<string, Map<number, string[]>>();

  constructor(
    configurations: StringLists,
    entities: string | (() => StringLists),
    assigned: (() => StringLists) | null,
  ) {
    this.#configurations = configurations;
    this.#entities = entities;
    this.#assigned = assigned;
  }

  configurationIds(configuration: string): readonly string[] {
    return Object.hasOwn(this.#configurations, configuration) ? this.#configurations[configuration] : [];
  }

  configurationsByRun(entity: string): Map<number, string[]> {
    const cached = this.#byRun.get(entity);
    if (cached) return cached;
    // Usually every document of the collection is of one entity (SystemLayout holds schema documents only):
    // then no id needs checking.
    let members: Set<string> | null = null;
    if (typeof this.#entities === "string") {
      if (this.#entities !== entity) members = new Set();
    } else {
      const entities = this.#entities();
      members = new Set(Object.hasOwn(entities, entity) ? entities[entity] : []);
    }
    const byRun = new Map<number, string[]>();
    for (const name in this.#configurations) {
      const run = runOfConfiguration(name);
      if (run === null) continue;
      if (members && !this.#configurations[name].some((id) => members.has(id))) continue;
      const list = byRun.get(run);
      if (list) list.push(name);
      else byRun.set(run, [name]);
    }
    this.#byRun.set(entity, byRun);
    return byRun;
  }

  latestAssigned(configuration: string): string {
    if (this.#assigned === null) this.#assigned = {};
    if (typeof this.#assigned === "function") this.#assigned = this.#assigned();
    const list = Object.hasOwn(this.#assigned, configuration) ? this.#assigned[configuration] : [];
    return list.length > 0 ? list.reduce((a, b) => (b > a ? b : a)) : "";
  }
}
