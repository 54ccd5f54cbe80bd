/**
 * The status report as text, laid out like the Python archiver's (§11: `====` frames of 70 characters, the same
 * labels and column alignment), so operators and their scripts find the lines they know. Differences: an
 * unreachable source is marked and the report goes on with the others, and the state comparison lists the failed
 * runs with their reasons and the command that retries them.
 *
 * @module
 */
import { redact } from "../redact.ts";
import { failedRunsText, type SourceSummary, type StageComparison, type StatusReport } from "./report_model.ts";
import { SOURCE_KEYS } from "./sources.ts";

const RULE = "=".repeat(70);
const THIN = "-".repeat(70);

/** Label padded to the Python report's value column (`  Total Runs:      `). */
function field(label: string, value: string | number): string {
  return `  ${(label + ":").padEnd(17)}${value}`;
}

/** Label padded to the state comparison's value column (`  Last Contiguous Run: `). */
function stateField(label: string, value: string | number): string {
  return `  ${(label + ":").padEnd(21)}${value}`;
}

function banner(title: string): string[] {
  return [RULE, title, RULE];
}

/** The whole report, every line passed through `redact`. */
export function renderStatusReport(report: StatusReport): string {
  const lines: string[] = [...banner("RUN RECORD ARCHIVER - STATUS REPORT"), "Querying data sources..."];
  for (const key of SOURCE_KEYS) {
    const source = report.sources[key];
    const name = { filesystem: "Filesystem", artdaqdb: "ArtdaqDB", ucondb: "UconDB" }[key];
    lines.push(source.reachable ? `✓ ${name} query complete` : `✗ ${name} query failed: ${source.error}`);
  }
  lines.push("", ...banner("DATA SOURCE SUMMARY"));
  for (const key of SOURCE_KEYS) lines.push("", ...renderSource(report.sources[key]));
  if (report.stateError) {
    lines.push("", ...banner("STATE COMPARISON"), "", `  State files unreadable: ${report.stateError}`);
  }
  if (report.stateComparison) {
    lines.push("", ...banner("STATE COMPARISON"));
    lines.push("", ...renderStage(report.stateComparison.import, "ArtdaqDB"));
    lines.push("", ...renderStage(report.stateComparison.migrate, "UconDB"));
  }
  lines.push("", ...banner("RECOMMENDATIONS"));
  if (!report.ok) {
    const down = SOURCE_KEYS.filter((key) => !report.sources[key].reachable).map((key) => report.sources[key].title);
    lines.push(`UNREACHABLE: ${down.join(", ")} — recommendations involving it are left out; fix it and rerun.`);
  }
  report.recommendations.forEach((item, index) => lines.push(`${index + 1}. ${item.text}`));
  lines.push("", ...banner("END OF STATUS REPORT"));
  return redact(lines.join("\n")) + "\n";
}

function renderSource(source: SourceSummary): string[] {
  const lines = [source.title, THIN];
  for (const [label, value] of Object.entries(source.location)) lines.push(field(label, value));
  if (!source.reachable) {
    lines.push(field("Status", `UNREACHABLE (${source.error})`));
  } else if (source.total === 0) {
    lines.push(field("Status", "No runs found"));
  } else {
    lines.push(
      field("Total Runs", source.total),
      field("Range", `${source.first} to ${source.last}`),
      field("Contiguous", source.contiguousText),
      field("Gaps", source.gapsText),
    );
  }
  return lines;
}

function renderStage(stage: StageComparison, downstream: string): string[] {
  const lines = [stage.title, THIN, stateField("Last Contiguous Run", stage.lastContiguousRun)];
  if (!stage.comparable) {
    lines.push(stateField("Status", "Not compared (a data source is unreachable)"));
  } else if (stage.lastContiguousRun > 0) {
    if (stage.missing && stage.missing.count > 0) {
      lines.push(
        stateField(
          `Missing in ${downstream}`,
          `${stage.missing.count} run(s) before last contiguous (${stage.missing.text})`,
        ),
      );
    } else {
      lines.push(stateField("Status", `All expected runs present in ${downstream}`));
    }
    if (stage.newRuns) {
      const { count, first, last } = stage.newRuns;
      lines.push(stateField("New Runs Available", `${count} run(s) since last state update (range: ${first}-${last})`));
    }
  } else {
    lines.push(stateField("Status", `No ${stage.stage === "import" ? "import" : "migration"} state recorded`));
  }
  if (stage.failures.length > 0) {
    lines.push(
      stateField("Failed Runs", `${stage.failures.length} run(s) logged as failed (${failedRunsText(stage.failures)})`),
    );
    for (const failure of stage.failures.slice(0, 10)) {
      const attempts = failure.attempts === 1 ? "1 attempt" : `${failure.attempts} attempts`;
      // Reasons usually name the run already ("run 11003: ..."): do not say it twice.
      const reason = failure.reason.startsWith(`run ${failure.run}`)
        ? failure.reason
        : `run ${failure.run}: ${failure.reason}`;
      lines.push(`    - ${reason} (${attempts}${failure.at ? `, last ${failure.at}` : ""})`);
    }
    if (stage.failures.length > 10) lines.push(`    ... ${stage.failures.length - 10} more`);
    if (stage.retryCommand) lines.push(stateField("Retry With", stage.retryCommand));
  }
  return lines;
}
