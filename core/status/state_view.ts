/**
 * Read-only access to the pipeline state (core/state) for reports and the status server: each stage's state file
 * is parsed again only when its modification time or size changed, so a page refresh every few seconds over
 * 100,000 runs costs two `stat` calls.
 *
 * @example
 * ```ts
 * import { openStateView } from "./state_view.ts";
 * const view = await openStateView(config);
 * const imp = await view.stage("import");
 * console.log(imp.lastContiguousRun, imp.failures.length);
 * ```
 *
 * @module
 */
import type { ArchiverConfig } from "../config/types.ts";
import { loadStageState, type StageName, stagePaths, type StageState } from "../state/mod.ts";
import { shellQuote } from "../shell.ts";
import type { StageStateSummary } from "./report_model.ts";

/** The stages in pipeline order. */
export const STAGES: readonly StageName[] = ["import", "migrate"];

/** What reports and the server read from the state. */
export interface StateView {
  /** The summary the report's state comparison needs. */
  stage(stage: StageName): Promise<StageStateSummary>;
  /** The full, current state of a stage (cached until its file changes). Never mutate it. */
  load(stage: StageName): Promise<StageState>;
}

/** The state files of `config.app`, cached by mtime and size. */
export function openStateView(config: Pick<ArchiverConfig, "app">): StateView {
  const cache = new Map<StageName, { key: string; state: StageState }>();
  const load = async (stage: StageName): Promise<StageState> => {
    const paths = stagePaths(config.app, stage);
    const key = `${await fingerprint(paths.stateFile)}|${await fingerprint(paths.failureLog)}`;
    const cached = cache.get(stage);
    if (cached && cached.key === key) return cached.state;
    const state = await loadStageState(stage, paths);
    cache.set(stage, { key, state });
    return state;
  };
  return {
    load,
    async stage(stage) {
      return summarizeStage(await load(stage));
    },
  };
}

/** The report's view of a stage state: contiguous/attempted runs and the failures, ascending by run. */
export function summarizeStage(state: StageState): StageStateSummary {
  return {
    lastContiguousRun: state.lastContiguousRun,
    lastAttemptedRun: state.lastAttemptedRun,
    failures: state.failedRuns().map((run) => {
      const record = state.failures.get(run)!;
      return { run, reason: record.reason, attempts: record.attempts, at: record.lastFailedAt };
    }),
  };
}

/** The command that retries only the given runs of a stage (the per-run page shows it). */
export function retryRunCommand(stage: StageName, configFile: string, run: number): string {
  const mode = stage === "import" ? "--import-only" : "--migrate-only";
  return `deno task archive ${shellQuote(configFile)} ${mode} --runs ${run}`;
}

async function fingerprint(path: string): Promise<string> {
  try {
    const info = await Deno.stat(path);
    return `${info.mtime?.getTime() ?? 0}:${info.size}:${info.ino ?? 0}`;
  } catch {
    return "absent";
  }
}
