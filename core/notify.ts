/**
 * Failure notifications: one message per batch that had failures (the Python archiver's `send_failure_report`),
 * with each failed run's stage, reason and attempts and the exact command that retries them; never repeated for
 * the same failure across invocations; and never able to abort a stage or lose state (§16.1-5: the Python
 * archiver's email error aborted the stage before the state was saved).
 *
 * @example
 * ```ts
 * import { notifyFailures, retryCommandFor } from "./notify.ts";
 * await notifyFailures({
 *   notifiers, logger, workDir: config.app.work_dir, stage: "import",
 *   failures: [{ run: 3, stage: "import", reason: "schema.fcl missing", attempts: 3 }],
 *   retryCommand: retryCommandFor("import", config.configFile),
 * }); // never throws
 * ```
 *
 * @module
 */
import { hostname } from "node:os";
import { join } from "node:path";
import { describeError } from "./errors.ts";
import { redact } from "./redact.ts";
import { shellQuote } from "./shell.ts";
import { retryFlag, writeFileAtomic } from "./state/mod.ts";
import type { FailureItem, Logger, Notification, Notifier } from "./roles.ts";

/** The stage word of notifications: `import` or `migration` (the Python archiver's words; `migrate` maps here). */
export function notificationStage(stage: string): string {
  const word = stage.trim().toLowerCase();
  return word === "migrate" ? "migration" : word;
}

/** `Import` / `Migration`: the capitalised stage word used in subjects and Slack titles. */
export function stageTitle(stage: string): string {
  const word = notificationStage(stage);
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** `YYYY-mm-dd HH:MM:SS` in local time, as the Python archiver's `strftime("%Y-%m-%d %H:%M:%S")`. */
export function formatLocalTime(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** This host's name for messages (`unknown-host` when the runtime may not read it). */
export function hostName(): string {
  try {
    return hostname();
  } catch {
    return "unknown-host";
  }
}

/**
 * The command that retries a stage's failed runs: `deno task archive <config> --retry-failed-import|migrate`
 * (the config path shell-quoted when needed).
 */
export function retryCommandFor(stage: string, configFile: string): string {
  const flag = retryFlag(notificationStage(stage) === "migration" ? "migrate" : "import");
  return `deno task archive ${shellQuote(configFile)} ${flag}`;
}

/** Input of `composeFailureNotification`. */
export interface FailureReport {
  /** `import`, `migration` (or `migrate`). */
  stage: string;
  /** The failed runs (any order; sorted in the text). */
  failures: FailureItem[];
  /** Exact command that retries the failed runs (see `retryCommandFor`). */
  retryCommand: string;
  /** Default: this host's name. */
  host?: string;
  /** Default: now. */
  now?: Date;
  /** Failures of this batch left out because they were already notified (mentioned in the text). */
  alreadyNotified?: number;
}

/** Longest reason kept per run: a notification is a summary, the log has the rest. */
const MAX_REASON_LENGTH = 500;

/**
 * The per-batch failure notification. `subject` is the Python archiver's email subject
 * (`Run Record Archiver Import Errors on <host> at <time>`); `text` starts with its body (`The following runs
 * failed during the import stage:` and the sorted run numbers) and adds each run's stage, attempts and reason,
 * and the retry command. Every text is passed through `redact`.
 */
export function composeFailureNotification(report: FailureReport): Notification {
  const stage = notificationStage(report.stage);
  const host = report.host ?? hostName();
  const time = formatLocalTime(report.now ?? new Date());
  const failures = [...report.failures]
    .map((item) => ({ ...item, reason: oneLine(redact(item.reason)) }))
    .sort((a, b) => a.run - b.run);
  const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;
  const lines = [
    `The following runs failed during the ${stage} stage:`,
    "",
    ...failures.map((item) => String(item.run)),
    "",
    "Details:",
    ...failures.map((item) =>
      `  run ${item.run}: ${notificationStage(item.stage)} failed after ${
        plural(item.attempts, "attempt")
      }: ${item.reason}`
    ),
  ];
  if (report.alreadyNotified) {
    lines.push("", `${plural(report.alreadyNotified, "more run")} of this batch failed as already reported.`);
  }
  lines.push("", "Retry the failed runs with:", `  ${redact(report.retryCommand)}`, "", `Host: ${host}, time: ${time}`);
  return {
    stage,
    subject: `Run Record Archiver ${stageTitle(stage)} Errors on ${host} at ${time}`,
    text: lines.join("\n") + "\n",
    failures,
    retryCommand: redact(report.retryCommand),
  };
}

function oneLine(text: string): string {
  const line = text.split(/\r?\n/).map((part) => part.trim()).filter(Boolean).join(" ") || "unknown error";
  return line.length > MAX_REASON_LENGTH ? `${line.slice(0, MAX_REASON_LENGTH - 1)}…` : line;
}

/** Which notifiers delivered and which failed. */
export interface NotifyAllResult {
  /** Kinds of the notifiers that delivered. */
  sent: string[];
  /** Kinds of the notifiers that failed or timed out (logged). */
  failed: string[];
}

/** Default bound of one notifier's `notify` (each plugin has its own shorter network timeouts too). */
export const NOTIFY_TIMEOUT_MS = 30_000;

/**
 * Send `notification` through every notifier at once. A failure or timeout is logged (ERROR, redacted by the
 * logger) and swallowed: this never throws, and never takes longer than `timeoutMs`.
 */
export async function notifyAll(
  notifiers: readonly Notifier[],
  notification: Notification,
  logger: Logger,
  timeoutMs: number = NOTIFY_TIMEOUT_MS,
): Promise<NotifyAllResult> {
  const result: NotifyAllResult = { sent: [], failed: [] };
  await Promise.all(notifiers.map(async (notifier) => {
    const kind = safeKind(notifier);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
      });
      const sending = Promise.resolve().then(() => notifier.notify(notification));
      sending.catch(() => {}); // a late failure after the timeout is already reported
      await Promise.race([sending, timeout]);
      result.sent.push(kind);
      logger.info(`${stageTitle(notification.stage)} failure notification sent via ${kind}`, {
        notifier: kind,
        runs: notification.failures.length,
      });
    } catch (error) {
      result.failed.push(kind);
      logger.error(`Failed to send ${notification.stage} failure notification via ${kind}: ${describeError(error)}`, {
        notifier: kind,
      });
    } finally {
      clearTimeout(timer);
    }
  }));
  return result;
}

function safeKind(notifier: Notifier): string {
  try {
    return String(notifier.kind);
  } catch {
    return "notifier";
  }
}

/** File in the work directory that remembers which failures were already notified. */
export const LEDGER_FILE = "notified_failures.json";

/** Entries older than this are forgotten: the file stays small and a months-old failure is reported again. */
const LEDGER_RETENTION_MS = 90 * 24 * 3600 * 1000;

interface LedgerEntry {
  reason: string;
  at: string;
}

interface LedgerFile {
  version: 1;
  notified: Record<string, LedgerEntry>;
}

/**
 * Which failures were already notified, kept in a small JSON file (`notified_failures.json` in the work
 * directory). A failure is "the same" when stage, run and reason are; a run that fails for a new reason is
 * reported again. Written atomically (temp file + rename).
 *
 * @example
 * ```ts
 * const ledger = await NotificationLedger.load(join(workDir, LEDGER_FILE), logger);
 * const fresh = failures.filter((f) => ledger.isNew("import", f));
 * ledger.remember("import", fresh);
 * await ledger.save();
 * ```
 */
export class NotificationLedger {
  /** The ledger file. */
  readonly path: string;
  readonly #entries: Map<string, LedgerEntry>;

  private constructor(path: string, entries: Map<string, LedgerEntry>) {
    this.path = path;
    this.#entries = entries;
  }

  /** Read the ledger; a missing file is empty, an unreadable one is reported and treated as empty. */
  static async load(path: string, logger?: Logger): Promise<NotificationLedger> {
    const entries = new Map<string, LedgerEntry>();
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        logger?.warn(`Cannot read ${path} (${describeError(error)}); failures may be notified again`);
      }
      return new NotificationLedger(path, entries);
    }
    try {
      const data = JSON.parse(text) as LedgerFile;
      for (const [key, entry] of Object.entries(data.notified ?? {})) {
        if (typeof entry?.reason === "string" && typeof entry?.at === "string") entries.set(key, entry);
      }
    } catch (error) {
      // Forgetting what was notified only risks one repeated message; it must not stop the archiver.
      logger?.warn(`${path} is not valid JSON (${describeError(error)}); it will be rewritten`);
    }
    return new NotificationLedger(path, entries);
  }

  /** Whether this failure (stage, run, reason) was not notified yet. */
  isNew(stage: string, failure: FailureItem): boolean {
    return this.#entries.get(key(stage, failure.run))?.reason !== ledgerReason(failure);
  }

  /** Remember failures as notified at `now`. */
  remember(stage: string, failures: readonly FailureItem[], now: Date = new Date()): void {
    for (const failure of failures) {
      this.#entries.set(key(stage, failure.run), { reason: ledgerReason(failure), at: now.toISOString() });
    }
  }

  /** Forget runs of a stage (they succeeded since): their next failure is notified again. Returns how many. */
  forget(stage: string, runs: Iterable<number>): number {
    let removed = 0;
    for (const run of runs) if (this.#entries.delete(key(stage, run))) removed++;
    return removed;
  }

  /** Number of remembered failures. */
  get size(): number {
    return this.#entries.size;
  }

  /** Write the ledger atomically, dropping entries older than 90 days. */
  async save(now: Date = new Date()): Promise<void> {
    const cutoff = now.getTime() - LEDGER_RETENTION_MS;
    const notified: Record<string, LedgerEntry> = {};
    for (const [entryKey, entry] of [...this.#entries].sort(([a], [b]) => a.localeCompare(b))) {
      if (Date.parse(entry.at) >= cutoff) notified[entryKey] = entry;
    }
    const data: LedgerFile = { version: 1, notified };
    await writeFileAtomic(this.path, JSON.stringify(data, null, 1) + "\n");
  }
}

function key(stage: string, run: number): string {
  return `${notificationStage(stage)}/${run}`;
}

function ledgerReason(failure: FailureItem): string {
  return `${notificationStage(failure.stage)}: ${oneLine(redact(failure.reason))}`;
}

/** Input of `notifyFailures`. */
export interface NotifyFailuresOptions {
  /** The enabled notifiers; none → nothing happens. */
  notifiers: readonly Notifier[];
  /** `import` or `migration` (`migrate` accepted). */
  stage: string;
  /** Every run of the batch that failed (after all attempts). */
  failures: readonly FailureItem[];
  /** Exact command that retries them (see `retryCommandFor`). */
  retryCommand: string;
  /** The archiver's work directory (holds `notified_failures.json`). */
  workDir: string;
  /** Where deliveries and failures are logged. */
  logger: Logger;
  /** Host name shown in the message. Default: this host. */
  host?: string;
  /** Time shown in the message and stored in the ledger. Default: now. */
  now?: Date;
  /** Bound of one notifier. Default 30 s. */
  timeoutMs?: number;
}

/** What `notifyFailures` did. */
export interface NotifyFailuresResult {
  /** The message sent, or null when nothing needed sending. */
  notification: Notification | null;
  /** Kinds of the notifiers that delivered. */
  sent: string[];
  /** Kinds of the notifiers that failed (logged). */
  failed: string[];
  /** Failures left out because they had been notified before. */
  suppressed: number;
}

/**
 * Ledger updates of one file run one after the other, so that two stages notifying at the same time (watch mode)
 * cannot overwrite each other's entries.
 */
const ledgerLocks = new Map<string, Promise<unknown>>();

function withLedger<T>(path: string, work: () => Promise<T>): Promise<T> {
  const previous = ledgerLocks.get(path) ?? Promise.resolve();
  const next = previous.catch(() => {}).then(work);
  const tail = next.catch(() => {});
  ledgerLocks.set(path, tail);
  tail.then(() => {
    if (ledgerLocks.get(path) === tail) ledgerLocks.delete(path);
  });
  return next;
}

/**
 * End-of-batch notification: drops failures already notified by an earlier invocation, sends one message about
 * the rest through every notifier, and remembers them once at least one notifier delivered (if all fail, the next
 * invocation tries again). Never throws: every problem is logged.
 */
export async function notifyFailures(options: NotifyFailuresOptions): Promise<NotifyFailuresResult> {
  const result: NotifyFailuresResult = { notification: null, sent: [], failed: [], suppressed: 0 };
  if (options.notifiers.length === 0 || options.failures.length === 0) return result;
  const { logger } = options;
  const stage = notificationStage(options.stage);
  const path = join(options.workDir, LEDGER_FILE);
  try {
    await withLedger(path, () => deliverFresh(options, stage, path, result));
  } catch (error) {
    logger.error(`Failure notification for the ${stage} stage failed: ${describeError(error)}`);
  }
  return result;
}

async function deliverFresh(
  options: NotifyFailuresOptions,
  stage: string,
  path: string,
  result: NotifyFailuresResult,
): Promise<void> {
  const { logger } = options;
  const ledger = await NotificationLedger.load(path, logger);
  const fresh = options.failures.filter((failure) => ledger.isNew(stage, failure));
  result.suppressed = options.failures.length - fresh.length;
  if (fresh.length === 0) {
    logger.info(`${result.suppressed} ${stage} failures were already notified; no notification sent`);
    return;
  }
  result.notification = composeFailureNotification({
    stage,
    failures: fresh,
    retryCommand: options.retryCommand,
    host: options.host,
    now: options.now,
    alreadyNotified: result.suppressed,
  });
  const delivery = await notifyAll(options.notifiers, result.notification, logger, options.timeoutMs);
  result.sent = delivery.sent;
  result.failed = delivery.failed;
  if (delivery.sent.length > 0) {
    ledger.remember(stage, fresh, options.now);
    await ledger.save(options.now).catch((error) =>
      logger.warn(`Cannot write ${ledger.path} (${describeError(error)}); failures may be notified again`)
    );
  }
}

/**
 * Forget runs that have succeeded since they were notified, so that a later failure is reported again. Never
 * throws.
 */
export async function forgetNotified(
  workDir: string,
  stage: string,
  runs: Iterable<number>,
  logger: Logger,
): Promise<void> {
  const path = join(workDir, LEDGER_FILE);
  try {
    await withLedger(path, async () => {
      const ledger = await NotificationLedger.load(path, logger);
      if (ledger.forget(stage, runs) > 0) await ledger.save();
    });
  } catch (error) {
    logger.warn(`Cannot update the notification ledger in ${workDir}: ${describeError(error)}`);
  }
}
