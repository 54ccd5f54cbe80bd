/**
 * `--report-status` and `--compare-state`: where every run is (run records, artdaqDB, UconDB), what to do next,
 * and with `--compare-state` what the state files say against the data sources. Text like the Python archiver's
 * report, or JSON with `--json`. Exit 0 when every source answered, 1 when one did not (the Python archiver
 * always exited 0, which hid outages from cron and monitoring).
 *
 * @example
 * ```ts
 * import { reportStatus } from "./report.ts";
 * const code = await reportStatus({ config, flags, roles, logger });
 * ```
 *
 * @module
 */
import type { ArchiverConfig } from "../config/types.ts";
import type { ArchiveFlags } from "../cli/flags.ts";
import type { Logger } from "../roles.ts";
import { maskUriCredentials, redact, redactValue } from "../redact.ts";
import { describeError, StateError } from "../errors.ts";
import { querySources, type SourceRoles, type SourcesSnapshot } from "./sources.ts";
import { compareStage, recommend, type StatusReport, summarizeSource } from "./report_model.ts";
import { renderStatusReport } from "./report_text.ts";
import { writeStdout } from "./stdout.ts";
import { openStateView, type StateView } from "./state_view.ts";
import { retryCommandFor } from "../notify.ts";

/** What `reportStatus` needs. */
export interface ReportStatusOptions {
  /** The loaded configuration (locations shown, state file paths). */
  config: ArchiverConfig;
  /** `compareState` adds the state comparison, `json` prints JSON, `configFile` goes into retry commands. */
  flags: Pick<ArchiveFlags, "compareState" | "json" | "configFile">;
  /** The data roles listed. */
  roles: SourceRoles;
  /** Progress and failures are logged here; the report itself goes to `write`. */
  logger: Logger;
  /** Where the report goes (default stdout). */
  write?: (text: string) => void;
  /** State reader (default: the archiver's state in `config.app.work_dir`). */
  state?: StateView;
}

/** Print the status report; returns the exit code (0 every source answered and the state is readable, else 1). */
export async function reportStatus(options: ReportStatusOptions): Promise<number> {
  const { config, flags, roles, logger } = options;
  const write = options.write ?? writeStdout;
  logger.info("Querying data sources...");
  const snapshot = await querySources(roles);
  const state = flags.compareState ? (options.state ?? openStateView(config)) : undefined;
  const report = await buildStatusReport(config, snapshot, state, flags.configFile);
  for (const listing of [snapshot.filesystem, snapshot.artdaqdb, snapshot.ucondb]) {
    if (!listing.reachable) logger.error(`${listing.key} query failed: ${listing.error}`);
  }
  write(flags.json ? redact(JSON.stringify(report, null, 2)) + "\n" : renderStatusReport(report));
  return report.ok ? 0 : 1;
}

/** The report as data, from a snapshot of the sources and (for the comparison) the state. */
export async function buildStatusReport(
  config: ArchiverConfig,
  snapshot: SourcesSnapshot,
  state?: StateView,
  configFile?: string,
): Promise<StatusReport> {
  const report: StatusReport = {
    generatedAt: snapshot.takenAt,
    ok: snapshot.filesystem.reachable && snapshot.artdaqdb.reachable && snapshot.ucondb.reachable,
    sources: {
      filesystem: summarizeSource(snapshot.filesystem, { Location: config.source_files.run_records_dir }),
      artdaqdb: summarizeSource(snapshot.artdaqdb, {
        "Database URI": maskUriCredentials(config.artdaq_db.database_uri),
      }),
      ucondb: summarizeSource(snapshot.ucondb, {
        "Server URL": maskUriCredentials(config.ucon_db.server_url),
        "Folder/Object": `${config.ucon_db.folder_name}/${config.ucon_db.object_name}`,
      }),
    },
    recommendations: recommend(snapshot),
  };
  if (state) {
    const cfg = configFile ?? config.configFile;
    try {
      const [imp, mig] = await Promise.all([state.stage("import"), state.stage("migrate")]);
      report.stateComparison = {
        import: compareStage("import", imp, snapshot.filesystem, snapshot.artdaqdb, retryCommandFor("import", cfg)),
        migrate: compareStage("migrate", mig, snapshot.artdaqdb, snapshot.ucondb, retryCommandFor("migrate", cfg)),
      };
    } catch (error) {
      // A corrupt state file must not hide what the sources say; the error names the recovery command.
      if (!(error instanceof StateError)) throw error;
      report.stateError = describeError(error);
      report.ok = false;
    }
  }
  return redactValue(report);
}
