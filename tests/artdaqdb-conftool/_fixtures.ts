/**
 * Test data for the artdaqdb-conftool tests: prepared runs built from the spec's example and the real schema
 * files, a deterministic clock, and a field-by-field view of ordered documents.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { JsonNumber, JsonObject, type JsonValue } from "../../core/json/mod.ts";
import type { PreparedDocument, PreparedRun } from "../../core/roles.ts";
import { FilesystemBackend } from "../../plugins/artdaqdb-conftool/fs/backend.ts";
import type { Offload } from "../../plugins/artdaqdb-conftool/offload.ts";
import { ConftoolStore } from "../../plugins/artdaqdb-conftool/store.ts";
import type { Clock } from "../../plugins/artdaqdb-conftool/timestamp.ts";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** The §3.2 example input `boot.fcl`. */
export const SPEC_BOOT = Deno.readTextFileSync(here("./fixtures/spec_boot.fcl"));
/** The §3.2 stored document, JsonWriter layout, id `65e60e7d2b3f4c0d9a1e7f42`, all times the same. */
export const SPEC_DOCUMENT = Deno.readTextFileSync(here("./fixtures/spec_boot_document.txt"));
/** The §4.2 `index.json` after storing the §3.2 document. */
export const SPEC_INDEX = Deno.readTextFileSync(here("./fixtures/spec_index.txt"));
/** The id and timestamp of the spec example. */
export const SPEC_OID = "65e60e7d2b3f4c0d9a1e7f42";
export const SPEC_TIME = "2024-03-04T12:05:01.337-0600";

/** The real ICARUS/SBN schema (copy of artdaq_database's Utilities/schema.fcl, commit fb6aab8). */
export const SBN_SCHEMA = Deno.readTextFileSync(here("./fixtures/sbn_schema.fcl"));
/** The real 2018 protoDUNE schema with `entity` expressions (artdaq_database test/CaseStudy/Dune35t/seeddata). */
export const DUNE35T_SCHEMA = Deno.readTextFileSync(here("./fixtures/dune35t_schema.fcl"));

/** A clock that starts at the spec's time and advances one second per call, so every put is distinguishable. */
export function steppingClock(start = Date.UTC(2024, 2, 4, 18, 5, 1, 337)): Clock & { calls: number } {
  const clock = (() => {
    const t = new Date(start + 1000 * clock.calls++);
    // Render in UTC-0600, like the spec's example.
    const shifted = new Date(t.getTime() - 6 * 3600_000).toISOString().slice(0, 23);
    return `${shifted}-0600`;
  }) as Clock & { calls: number };
  clock.calls = 0;
  return clock;
}

/** Options of {@link preparedRun}. */
export interface RunOptions {
  configName?: string;
  /** Extra or replacing documents of the initial put. */
  documents?: PreparedDocument[];
  /** Stop time written into RunHistory2.fcl. */
  stopTime?: string;
}

/**
 * The sorted paths of the export of {@link preparedRun}'s initial put: its documents plus the `hashes.fcl` the
 * store adds (checked by the conftool suite and by the bulktools SSH test against the same expectation).
 */
export const INITIAL_EXPORT_PATHS: readonly string[] = [
  "RunHistory.fcl",
  "boot.fcl",
  "component01.fcl",
  "hashes.fcl",
  "metadata.fcl",
  "schema.fcl",
  "settings.fcl",
];

/**
 * A realistic prepared run: boot (the spec example), metadata, settings, a component file,
 * RunHistory and the real SBN schema; update = RunHistory2 + schema.
 */
export function preparedRun(run: number, options: RunOptions = {}): PreparedRun {
  const configName = options.configName ?? "standard00042";
  const base: PreparedDocument[] = [
    { name: "boot.fcl", text: SPEC_BOOT },
    {
      name: "metadata.fcl",
      text: `# code info\nconfig_name: "${configName}"\ncomponents: ["component01"]\nrun_number: ${run}\n`,
    },
    { name: "settings.fcl", text: "package_hashes_to_save: [artdaq]\nmax_fragment_size: 100\n" },
    { name: "component01.fcl", text: "daq: {\n  fragment_receiver: {\n    generator: ToySimulator # toy\n  }\n}\n" },
    { name: "RunHistory.fcl", text: `run_number: ${run}\nconfig_name: "${configName}"\n` },
    { name: "schema.fcl", text: SBN_SCHEMA },
  ];
  const documents = [...base];
  for (const extra of options.documents ?? []) {
    const at = documents.findIndex((d) => d.name === extra.name);
    if (at >= 0) documents[at] = extra;
    else documents.push(extra);
  }
  const stop = options.stopTime ?? "Mon Mar  4 13:00:00 CST 2024";
  return {
    run,
    configName,
    documents,
    updateDocuments: [
      {
        name: "RunHistory2.fcl",
        text: `DAQInterface_start_time: "Mon Mar  4 12:00:00 CST 2024"\nDAQInterface_stop_time: "${stop}"`,
      },
      { name: "schema.fcl", text: SBN_SCHEMA },
    ],
    complete: true,
    manifest: [],
  };
}

/** A settings file assigning one top-level key twice (artdaq_database keeps both). */
export const DUPLICATE_KEY_SETTINGS = {
  name: "settings.fcl",
  text: "package_hashes_to_save: [artdaq]\nmax_fragment_size: 100\nmax_fragment_size: 200\n",
};

/**
 * A document flattened to `path = value` lines in order (values typed: `"text"`, `12`, `true`), so two documents
 * compare field by field with a readable diff.
 */
export function fields(value: JsonValue, path = "$"): string[] {
  if (value instanceof JsonObject) {
    if (value.size === 0) return [`${path} = {}`];
    return value.entries().flatMap(([key, inner]) => fields(inner, `${path}.${key}`));
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return [`${path} = []`];
    return value.flatMap((inner, i) => fields(inner, `${path}[${i}]`));
  }
  if (value instanceof JsonNumber) return [`${path} = ${value.text}`];
  return [`${path} = ${JSON.stringify(value)}`];
}

/** Text of an exported file. */
export function fileText(files: ReadonlyArray<{ path: string; data: Uint8Array }>, path: string): string {
  const file = files.find((f) => f.path === path);
  if (!file) throw new Error(`no exported file ${path} among ${files.map((f) => f.path).join(", ")}`);
  return new TextDecoder().decode(file.data);
}

/** Settings of {@link openFilesystemStore}. */
export interface FilesystemStoreOptions {
  /** fsync documents and indexes (default true). */
  durable?: boolean;
  clock?: Clock;
  lockTimeoutMs?: number;
  /** Conversion threads (plugins/artdaqdb-conftool/offload.ts); none by default. */
  offload?: Offload;
}

/** A conftool store on a filesystem database at `path`, with a stepping clock unless one is given. */
export function openFilesystemStore(path: string, options: FilesystemStoreOptions = {}): ConftoolStore {
  const clock = options.clock ?? steppingClock();
  const backend = new FilesystemBackend({
    path,
    uri: `filesystemdb://${path}`,
    durable: options.durable ?? true,
    lockTimeoutMs: options.lockTimeoutMs ?? 10_000,
    clock,
  });
  return new ConftoolStore(backend, { clock, offload: options.offload });
}
