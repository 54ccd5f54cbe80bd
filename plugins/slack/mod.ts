/**
 * The `slack` notifier: failure reports through the Slack Web API's `chat.postMessage`, over `fetch`. Takes the
 * `reporting.slack` section verbatim.
 *
 * ```yaml
 * reporting:
 *   slack:
 *     enabled: true
 *     bot_token: ${SLACK_BOT_TOKEN}   # xoxb-...; sent only in the Authorization header
 *     channel: "#daq-alerts"
 *     mention_users: "U0123ABC, U0456DEF"
 *     # new (defaults shown)
 *     api_url: https://slack.com/api
 *     timeout_seconds: 10
 * ```
 *
 * The message is the Python archiver's (fallback text with mentions, header, host/time/stage/count fields, the
 * run list capped at 10) plus each run's reason and attempts and the retry command.
 *
 * @example
 * ```ts
 * import { slack } from "./plugins/slack/mod.ts";
 * const notifier = slack({ enabled: true, bot_token: "xoxb-...", channel: "#daq-alerts" });
 * await notifier.notify(notification);
 * ```
 *
 * @module
 */
import { definePlugin, type Plugin } from "../../core/registry.ts";
import { ArchiverError, ConfigurationError, describeError } from "../../core/errors.ts";
import { redact, registerSecret } from "../../core/redact.ts";
import { formatLocalTime, hostName } from "../../core/notify.ts";
import type { Logger, Notification, Notifier } from "../../core/roles.ts";
import type { SlackConfig } from "../../core/config/types.ts";
import { REPORTING_SECTIONS, sectionDefaults } from "../../core/config/schema.ts";
import { slackMessage } from "./message.ts";

export { slackMessage } from "./message.ts";
export type { SlackMessage } from "./message.ts";

/** The `reporting.slack` configuration section, keys verbatim. */
export type Options = SlackConfig;

/** Defaults, from the configuration schema. */
export const defaults: Options = sectionDefaults<Options>(REPORTING_SECTIONS.slack);

/** A failed `chat.postMessage` (HTTP error, `ok: false`, timeout); the token never appears in it. */
export class SlackError extends ArchiverError {}

/** Posts one message per notification. */
export class SlackNotifier implements Notifier {
  /** Notifier kind, shown in logs. */
  readonly kind = "slack";
  readonly #options: Options;
  readonly #logger?: Logger;

  /** Options already merged with defaults. */
  constructor(options: Options, logger?: Logger) {
    this.#options = options;
    this.#logger = logger;
  }

  /** Post the notification; throws `SlackError` (caught and logged by `notifyAll`). */
  async notify(notification: Notification): Promise<void> {
    const o = this.#options;
    if (!o.enabled) {
      this.#logger?.debug("Slack notifications disabled; nothing posted");
      return;
    }
    const message = slackMessage(notification, {
      channel: o.channel ?? "",
      mentionUsers: o.mention_users,
      host: hostName(),
      time: formatLocalTime(new Date()),
    });
    const url = `${o.api_url.replace(/\/+$/, "")}/chat.postMessage`;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), o.timeout_seconds * 1000);
    let status = 0;
    let body: { ok?: boolean; error?: string } = {};
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: {
          "authorization": `Bearer ${o.bot_token}`,
          "content-type": "application/json; charset=utf-8",
        },
        // Masking inside JSON strings is safe: `***` needs no escaping. The token is only in the header.
        body: redact(JSON.stringify(message)),
        signal: abort.signal,
      });
      status = response.status;
      const text = await response.text();
      try {
        body = JSON.parse(text);
      } catch {
        body = { ok: false, error: `non-JSON answer (HTTP ${status}): ${text.slice(0, 200)}` };
      }
      if (status === 429) {
        body = { ok: false, error: `rate limited, retry after ${response.headers.get("retry-after") ?? "?"} s` };
      }
    } catch (error) {
      const reason = abort.signal.aborted ? `no answer within ${o.timeout_seconds} s` : describeError(error);
      throw new SlackError(redact(`Slack chat.postMessage to ${o.channel} at ${o.api_url} failed: ${reason}`));
    } finally {
      clearTimeout(timer);
    }
    if (status < 200 || status >= 300 || body.ok !== true) {
      throw new SlackError(
        redact(`Slack chat.postMessage to ${o.channel} failed (HTTP ${status}): ${body.error ?? "ok is not true"}`),
      );
    }
    this.#logger?.info(`Slack notification sent successfully to channel ${o.channel}`);
  }

  /** Nothing to release: each notification is one HTTP request. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * A Slack notifier. Throws `ConfigurationError` when enabled without token or channel (the Python archiver's
 * message).
 */
export function slack(options: Partial<Options> = {}, context: { logger?: Logger } = {}): Notifier {
  const o: Options = { ...defaults, ...options };
  registerSecret(o.bot_token);
  if (o.enabled && (!o.bot_token || !o.channel)) {
    throw new ConfigurationError("Slack config: 'bot_token' and 'channel' are required when enabled is true.");
  }
  return new SlackNotifier(o, context.logger);
}

/** The plugin: role `notifier`, name `slack`. */
const plugin: Plugin<"notifier", Options> = definePlugin<"notifier", Options>({
  role: "notifier",
  name: "slack",
  defaults,
  create: (options, context) => slack(options, { logger: context.logger.child("plugins.slack") }),
});
export default plugin;
