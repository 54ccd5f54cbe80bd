/**
 * `/metrics` in the Prometheus text exposition format (version 0.0.4): runs per pipeline state, per-source
 * reachability, listing sizes and durations, stage progress and failures. Computed from the current picture, so a
 * scrape costs nothing.
 *
 * @example
 * ```ts
 * import { prometheusText } from "./metrics.ts";
 * const body = prometheusText(service.current());
 * ```
 *
 * @module
 */
import { RUN_STATES } from "../status/run_index.ts";
import { SOURCE_KEYS } from "../status/sources.ts";
import { STAGES } from "../status/state_view.ts";
import type { StatusPicture } from "./service.ts";

/** The content type Prometheus expects. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** The metrics of a picture as Prometheus text. */
export function prometheusText(picture: StatusPicture): string {
  const out: string[] = [];
  const metric = (name: string, type: "gauge" | "counter", help: string, samples: [string, number][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) out.push(`${name}${labels} ${Number.isFinite(value) ? value : 0}`);
  };
  const counts = picture.index.counts();
  metric(
    "archiver_runs",
    "gauge",
    "Runs by pipeline state (waiting, imported, failed, archived).",
    RUN_STATES.map((state) => [`{state="${state}"}`, counts[state]]),
  );
  metric(
    "archiver_source_up",
    "gauge",
    "1 when the data source answered its last listing.",
    SOURCE_KEYS.map((key) => [`{source="${key}"}`, picture.sources[key].reachable ? 1 : 0]),
  );
  metric(
    "archiver_source_runs",
    "gauge",
    "Runs listed by each data source.",
    SOURCE_KEYS.map((key) => [`{source="${key}"}`, picture.sources[key].runs.length]),
  );
  metric(
    "archiver_source_listing_seconds",
    "gauge",
    "Duration of the last listing of each data source.",
    SOURCE_KEYS.map((key) => [`{source="${key}"}`, round(picture.sources[key].durationMs / 1000)]),
  );
  metric(
    "archiver_stage_done_runs",
    "gauge",
    "Runs done by each stage according to its state file.",
    STAGES.map((stage) => [`{stage="${stage}"}`, picture.states[stage].done.size]),
  );
  metric(
    "archiver_stage_failed_runs",
    "gauge",
    "Runs with a recorded failure in each stage.",
    STAGES.map((stage) => [`{stage="${stage}"}`, picture.states[stage].failures.size]),
  );
  metric(
    "archiver_stage_last_contiguous_run",
    "gauge",
    "Largest run up to which every run of the stage is done.",
    STAGES.map((stage) => [`{stage="${stage}"}`, picture.states[stage].lastContiguousRun]),
  );
  metric(
    "archiver_stage_last_attempted_run",
    "gauge",
    "Largest run that completed an attempt in the stage.",
    STAGES.map((stage) => [`{stage="${stage}"}`, picture.states[stage].lastAttemptedRun]),
  );
  metric("archiver_pending_stop_time_updates", "gauge", "Runs imported without a stop time, awaiting the update.", [[
    "",
    picture.states.import.pendingUpdates.size,
  ]]);
  metric("archiver_process_running", "gauge", "1 when the PID in the archiver's lock file is a live process.", [[
    "",
    picture.archiver.running ? 1 : 0,
  ]]);
  metric(
    "archiver_in_flight_runs",
    "gauge",
    "Runs in the current batch of each stage (as the state file says).",
    STAGES.map((stage) => [`{stage="${stage}"}`, picture.archiver.inFlight[stage]]),
  );
  metric("archiver_state_readable", "gauge", "1 when both state files could be read.", [[
    "",
    picture.stateError ? 0 : 1,
  ]]);
  metric("archiver_status_refreshed_timestamp_seconds", "gauge", "Time of the last status refresh.", [[
    "",
    round(Date.parse(picture.refreshedAt) / 1000),
  ]]);
  return out.join("\n") + "\n";
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
