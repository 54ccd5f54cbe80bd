/**
 * Ask the three data sources (run records, artdaqDB, UconDB) which runs they hold, in parallel, and say for each
 * whether it answered. Shared by the `--report-status` report and the status server.
 *
 * @example
 * ```ts
 * import { querySources } from "./sources.ts";
 * const snapshot = await querySources({ source, store, sink });
 * if (!snapshot.store.reachable) console.log(snapshot.store.error);
 * ```
 *
 * @module
 */
import type { Sink, Source, Store } from "../roles.ts";
import { describeError } from "../errors.ts";
import { redact } from "../redact.ts";
import { sortedUnique } from "./ranges.ts";

/** The three places a run can be, in pipeline order. */
export type SourceKey = "filesystem" | "artdaqdb" | "ucondb";

/** Every source key, in the order reports list them. */
export const SOURCE_KEYS: readonly SourceKey[] = ["filesystem", "artdaqdb", "ucondb"];

/** What one data source answered. */
export interface SourceListing {
  /** Which source. */
  key: SourceKey;
  /** Human description from the plugin (`describe()`), redacted. */
  description: string;
  /** Whether the listing succeeded. */
  reachable: boolean;
  /** One-line, redacted reason when not reachable. */
  error?: string;
  /** Runs held, ascending and unique; empty when unreachable. */
  runs: number[];
  /** Time the listing took, milliseconds. */
  durationMs: number;
}

/** The three listings taken together. */
export interface SourcesSnapshot {
  /** Run records. */
  filesystem: SourceListing;
  /** artdaqDB. */
  artdaqdb: SourceListing;
  /** UconDB. */
  ucondb: SourceListing;
  /** ISO time when the query started. */
  takenAt: string;
}

/** The roles the snapshot needs. */
export interface SourceRoles {
  /** Run records. */
  source: Pick<Source, "listRuns" | "describe">;
  /** artdaqDB. */
  store: Pick<Store, "listRuns" | "describe">;
  /** UconDB. */
  sink: Pick<Sink, "listRuns" | "describe">;
}

/** List the runs of all three sources at once; a failing source is reported, never thrown. */
export async function querySources(roles: SourceRoles): Promise<SourcesSnapshot> {
  const takenAt = new Date().toISOString();
  const [filesystem, artdaqdb, ucondb] = await Promise.all([
    listOne("filesystem", roles.source, async () => (await roles.source.listRuns()).map((entry) => entry.run)),
    listOne("artdaqdb", roles.store, () => roles.store.listRuns()),
    listOne("ucondb", roles.sink, () => roles.sink.listRuns()),
  ]);
  return { filesystem, artdaqdb, ucondb, takenAt };
}

async function listOne(
  key: SourceKey,
  role: { describe(): string },
  list: () => Promise<number[]>,
): Promise<SourceListing> {
  const started = performance.now();
  let description: string;
  try {
    description = redact(role.describe());
  } catch (error) {
    description = redact(describeError(error));
  }
  try {
    const runs = sortedUnique(await list());
    return { key, description, reachable: true, runs, durationMs: performance.now() - started };
  } catch (error) {
    return {
      key,
      description,
      reachable: false,
      error: redact(describeError(error)),
      runs: [],
      durationMs: performance.now() - started,
    };
  }
}
