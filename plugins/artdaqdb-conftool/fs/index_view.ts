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

import { groupBy } from "../group.ts";
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
  /** Ids of the documents of `version` (empty when none). */
  versionIds(version: string): readonly string[];
}

type StringLists = Record<string, string[]>;

/**
 * Reads the view from index text, or the full `CollectionIndex` when the text is not in the JsonWriter layout.
 * (String search is used deliberately: on this runtime `String.prototype.indexOf` is native and fast, while
 * `Buffer.indexOf` is not.)
 *
 * @example
 * ```ts
 * const view = indexView(Deno.readTextFileSync("/data/db/SystemLayout/index.json"));
 * view.configurationsByRun("schema").size; // number of archived runs
 * ```
 */
export function indexView(text: string, source = "index.json"): IndexQueries {
  const configurations = section(text, "configurations.name");
  const entities = section(text, "entities.name");
  if (configurations === null || entities === null) return CollectionIndex.parse(text, source);
  const assigned = section(text, "configurations.assigned");
  const versions = section(text, "version");
  const parse = (range: [number, number]) => () => JSON.parse(text.slice(range[0], range[1])) as StringLists;
  return new SectionView(
    mapKeys(text, configurations),
    parse(configurations),
    soleKey(text, entities) ?? parse(entities),
    assigned ? parse(assigned) : () => ({}),
    versions ? parse(versions) : () => ({}),
  );
}

/** Marks the end of a key line inside a map section: keys are the only lines followed by `" : [`. */
const KEY_END = '" : [';

/** Range of the top-level map `key` (`{…}`), or null when the layout is not the JsonWriter one. */
function section(text: string, key: string): [number, number] | null {
  const opening = `\n${JSON.stringify(key)} : {`;
  const start = text.indexOf(opening);
  if (start < 0) return null;
  const from = start + opening.length - 1;
  const end = text.indexOf("\n}", from);
  return end < 0 ? null : [from, end + 2];
}

/** The keys of the map in `range`, found by native string search rather than a parse of all its lists. */
function mapKeys(text: string, range: [number, number]): string[] {
  const keys: string[] = [];
  for (let at = text.indexOf(KEY_END, range[0]); at >= 0 && at < range[1]; at = text.indexOf(KEY_END, at + 5)) {
    const start = text.lastIndexOf('\n"', at) + 1;
    const raw = text.slice(start + 1, at);
    keys.push(raw.includes("\\") ? JSON.parse(`"${raw}"`) as string : raw);
  }
  return keys;
}

/** When the map in `range` has exactly one key with a non-empty list (SystemLayout: `schema`), that key. */
function soleKey(text: string, range: [number, number]): string | null {
  const keys = mapKeys(text, range);
  if (keys.length !== 1) return null;
  const at = text.indexOf(KEY_END, range[0]);
  return text.charCodeAt(at + KEY_END.length + 1) === 0x0a ? null : keys[0]; // "[\n\n]": an empty list
}

/** Lazily parsed maps: most questions need only the configuration names. */
class SectionView implements IndexQueries {
  readonly #names: string[];
  #configurations: StringLists | (() => StringLists);
  #entities: string | StringLists | (() => StringLists);
  #assigned: StringLists | (() => StringLists);
  #versions: StringLists | (() => StringLists);
  readonly #byRun = new Map<string, Map<number, string[]>>();

  constructor(
    names: string[],
    configurations: () => StringLists,
    entities: string | (() => StringLists),
    assigned: () => StringLists,
    versions: () => StringLists,
  ) {
    this.#names = names;
    this.#configurations = configurations;
    this.#entities = entities;
    this.#assigned = assigned;
    this.#versions = versions;
  }

  versionIds(version: string): readonly string[] {
    if (typeof this.#versions === "function") this.#versions = this.#versions();
    return Object.hasOwn(this.#versions, version) ? this.#versions[version] : [];
  }

  configurationIds(configuration: string): readonly string[] {
    const map = this.#configurationMap();
    return Object.hasOwn(map, configuration) ? map[configuration] : [];
  }

  configurationsByRun(entity: string): Map<number, string[]> {
    const cached = this.#byRun.get(entity);
    if (cached) return cached;
    // Usually every document of the collection is of one entity (SystemLayout holds schema documents only):
    // then no id needs checking and the id lists need no parsing.
    let members: Set<string> | null = null;
    if (typeof this.#entities === "string") {
      if (this.#entities !== entity) members = new Set();
    } else {
      if (typeof this.#entities === "function") this.#entities = this.#entities();
      members = new Set(Object.hasOwn(this.#entities, entity) ? this.#entities[entity] : []);
    }
    const map = members ? this.#configurationMap() : null;
    const byRun = groupBy(this.#names, (name) => {
      const run = runOfConfiguration(name);
      return run !== null && (!members || map![name].some((id) => members.has(id))) ? run : null;
    });
    this.#byRun.set(entity, byRun);
    return byRun;
  }

  latestAssigned(configuration: string): string {
    if (typeof this.#assigned === "function") this.#assigned = this.#assigned();
    const list = Object.hasOwn(this.#assigned, configuration) ? this.#assigned[configuration] : [];
    return list.length > 0 ? list.reduce((a, b) => (b > a ? b : a)) : "";
  }

  #configurationMap(): StringLists {
    if (typeof this.#configurations === "function") this.#configurations = this.#configurations();
    return this.#configurations;
  }
}
