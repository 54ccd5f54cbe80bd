/**
 * `boot.txt` → `boot.fcl`: the Python archiver's `fhiclize_boot` (original-archiver.md §5.6.2) with its lossy and
 * invalid-FHiCL quirks fixed (docs/run-records.md lists each difference).
 *
 * @module
 */
import {
  fhiclArray,
  fhiclName,
  fhiclString,
  isNumeric,
  joinLines,
  quoteValue,
  splitKeyValue,
  splitLines,
} from "./text.ts";

/** Process types of boot files of every era (`RoutingMaster`/`Aggregator` before 2020, unknown to the original). */
const PROCESS_TYPES = [
  "BoardReader",
  "EventBuilder",
  "DataLogger",
  "Dispatcher",
  "RoutingManager",
  "RoutingMaster",
  "Aggregator",
];
/** Per-process fields in output order. `allowed_processors`, `target` and `prepend` were top-level keys before. */
const PROCESS_FIELDS = ["host", "port", "label", "subsystem", "allowed_processors", "target", "prepend"] as const;
type ProcessField = typeof PROCESS_FIELDS[number];

interface Subsystem {
  id: string;
  sources: string[];
  destination?: string;
  fragmentMode?: string;
}

interface Process {
  name: string;
  fields: Partial<Record<ProcessField, string>>;
}

/**
 * Convert the text of `boot.txt` (or of a 2017-era `config.txt`).
 *
 * Fixed against the original: every `Subsystem source:` is kept (`source` still holds the last one, as before, and
 * `sources` lists all when there are several); a block without label/id no longer leaks its fields into the next
 * block; a process block without a label is kept (without `label`; the original dropped it); two processes with the
 * same label are two entries; `RoutingMaster`/`Aggregator` processes and the
 * `allowed_processors`/`target`/`prepend` fields land in `artdaq_process_settings`; keys are valid FHiCL names;
 * strings are escaped; a non-numeric port is quoted.
 *
 * @example
 * ```ts
 * convertBoot("debug level: 1\n\nEventBuilder host: evb01\nEventBuilder label: EventBuilder1\n");
 * ```
 */
export function convertBoot(text: string): string {
  const plain: string[] = [];
  const subsystems = new Map<string, Subsystem>();
  const processes: Process[] = [];
  let subsystem: Partial<Subsystem> & { sources: string[] } = { sources: [] };
  let process: Process | null = null;

  const closeBlocks = () => {
    if (subsystem.id !== undefined) {
      const known = subsystems.get(subsystem.id);
      if (known) {
        known.sources.push(...subsystem.sources);
        known.destination = subsystem.destination ?? known.destination;
        known.fragmentMode = subsystem.fragmentMode ?? known.fragmentMode;
      } else {
        subsystems.set(subsystem.id, { ...subsystem, id: subsystem.id });
      }
    }
    if (process !== null) processes.push(process);
    subsystem = { sources: [] };
    process = null;
  };

  for (const raw of splitLines(text)) {
    const line = raw.trim();
    if (line.startsWith("#")) continue;
    if (line === "") {
      closeBlocks();
      continue;
    }
    const pair = splitKeyValue(line);
    if (pair === null) continue;
    const key = pair.key.replace(/\s+/g, "_");
    const value = pair.value;

    if (key.includes("Subsystem_id")) subsystem.id = value;
    else if (key.includes("Subsystem_source")) subsystem.sources.push(value);
    else if (key.includes("Subsystem_destination")) subsystem.destination = value;
    else if (key.includes("Subsystem_fragmentMode")) subsystem.fragmentMode = value;
    else {
      const match = matchProcessKey(key);
      if (match) {
        process ??= { name: match.type, fields: {} };
        process.name = match.type;
        process.fields[match.field] = value;
      } else {
        plain.push(`${fhiclName(key)}: ${isNumeric(value) ? value : quoteValue(value)}`);
      }
    }
  }
  closeBlocks();

  const out = [...plain];
  if (subsystems.size > 0) {
    out.push("", "subsystem_settings: [");
    const list = [...subsystems.values()];
    list.forEach((entry, index) => {
      out.push("{", `id: ${fhiclString(entry.id)}`);
      if (entry.sources.length > 0) out.push(`source: ${fhiclString(entry.sources[entry.sources.length - 1])}`);
      if (entry.sources.length > 1) out.push(`sources: ${fhiclArray(entry.sources)}`);
      if (entry.destination !== undefined) out.push(`destination: ${fhiclString(entry.destination)}`);
      if (entry.fragmentMode !== undefined) out.push(`fragmentMode: ${fhiclString(entry.fragmentMode)}`);
      out.push(index < list.length - 1 ? "}," : "}");
    });
    out.push("]");
  }
  out.push("", "artdaq_process_settings: [");
  processes.forEach((entry, index) => {
    const { host, port, label, subsystem: sub, ...extra } = entry.fields;
    out.push("{", `name: ${fhiclString(entry.name)}`);
    if (label !== undefined) out.push(`label: ${fhiclString(label)}`);
    out.push(`host: ${fhiclString(host ?? "not set")}`);
    if (port !== undefined) out.push(`port: ${/^-?[0-9]+$/.test(port) ? port : fhiclString(port)}`);
    if (sub !== undefined) out.push(`subsystem: ${fhiclString(sub)}`);
    for (const field of PROCESS_FIELDS) {
      const value = extra[field as keyof typeof extra];
      if (value !== undefined) out.push(`${field}: ${fhiclString(value)}`);
    }
    out.push(index < processes.length - 1 ? "}," : "}");
  });
  out.push("]");
  return joinLines(out);
}

/** `<Type>_<field>` anywhere in a normalized key, first process type first (the original's substring rule). */
function matchProcessKey(key: string): { type: string; field: ProcessField } | null {
  for (const type of PROCESS_TYPES) {
    for (const field of PROCESS_FIELDS) {
      if (key.includes(`${type}_${field}`)) return { type, field };
    }
  }
  return null;
}
