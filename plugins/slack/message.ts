/**
 * The `chat.postMessage` payload for a failure notification: the Python archiver's message (§12.2) plus the
 * reasons and the retry command.
 *
 * @example
 * ```ts
 * import { slackMessage } from "./message.ts";
 * const message = slackMessage(notification, { channel: "#daq", mentionUsers: "U1, U2", host: "daq01",
 *   time: "2026-11-29 14:00:00" });
 * message.text; // "Run Record Archiver Import Failures: 2 runs failed on daq01 <@U1> <@U2>"
 * ```
 *
 * @module
 */
import { stageTitle } from "../../core/notify.ts";
import type { Notification } from "../../core/roles.ts";

/** Body of a `chat.postMessage` request. */
export interface SlackMessage {
  /** Channel name or ID as configured. */
  channel: string;
  /** Fallback text (notifications, screen readers); the only place mentions appear, as in the Python archiver. */
  text: string;
  /** Block Kit blocks: header, facts, run numbers, reasons, retry command. */
  blocks: Record<string, unknown>[];
}

/** How many runs (and reasons) are listed before `... (<n> more)`. */
const LISTED_RUNS = 10;

/** Slack rejects a section text longer than this. */
const MAX_SECTION_TEXT = 3000;

/** Where the message goes and what it says about this host. */
export interface SlackMessageContext {
  /** Channel name or ID. */
  channel: string;
  /** Comma-separated user IDs; blanks ignored. */
  mentionUsers?: string | null;
  /** Host name shown in the message. */
  host: string;
  /** Local time `YYYY-mm-dd HH:MM:SS`. */
  time: string;
}

/** The message for `notification`. */
export function slackMessage(notification: Notification, context: SlackMessageContext): SlackMessage {
  const title = stageTitle(notification.stage);
  const failures = [...notification.failures].sort((a, b) => a.run - b.run);
  const count = failures.length;
  const mentions = (context.mentionUsers ?? "").split(",").map((user) => user.trim()).filter(Boolean)
    .map((user) => ` <@${user}>`).join("");
  const runs = failures.map((failure) => String(failure.run));
  const runList = count <= LISTED_RUNS
    ? runs.join(", ")
    : `${runs.slice(0, LISTED_RUNS).join(", ")}, ... (${count - LISTED_RUNS} more)`;
  const reasons = failures.slice(0, LISTED_RUNS).map((failure) =>
    `• ${failure.run} (${failure.stage}, ${failure.attempts} attempt${failure.attempts === 1 ? "" : "s"}): ` +
    escapeMrkdwn(failure.reason)
  );
  if (count > LISTED_RUNS) reasons.push(`… ${count - LISTED_RUNS} more in the email report and the log`);
  const mrkdwn = (text: string) => ({ type: "mrkdwn", text: truncate(text) });
  return {
    channel: context.channel,
    text: `Run Record Archiver ${title} Failures: ${count} runs failed on ${context.host}${mentions}`,
    blocks: [
      { type: "header", text: { type: "plain_text", text: `⚠️ Run Record Archiver ${title} Failures` } },
      {
        type: "section",
        fields: [
          mrkdwn(`*Host:*\n${escapeMrkdwn(context.host)}`),
          mrkdwn(`*Time:*\n${context.time}`),
          mrkdwn(`*Stage:*\n${title}`),
          mrkdwn(`*Failed Runs:*\n${count}`),
        ],
      },
      { type: "section", text: mrkdwn(`*Run Numbers:*\n${runList}`) },
      { type: "section", text: mrkdwn(`*Reasons:*\n${reasons.join("\n")}`) },
      { type: "section", text: mrkdwn(`*Retry with:*\n\`\`\`${escapeMrkdwn(notification.retryCommand)}\`\`\``) },
    ],
  };
}

/** Slack's three control characters in mrkdwn. */
function escapeMrkdwn(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

function truncate(text: string): string {
  return text.length > MAX_SECTION_TEXT ? `${text.slice(0, MAX_SECTION_TEXT - 1)}…` : text;
}
