/**
 * The `email` notifier: failure reports over SMTP through nodemailer. Takes the `reporting.email` section verbatim
 * (the deprecated flat `reporting` keys are mapped by the configuration loader).
 *
 * ```yaml
 * reporting:
 *   email:
 *     enabled: true
 *     recipient_email: "daq-experts@example.org, shifter@example.org"
 *     sender_email: archiver@daq01.example.org
 *     smtp_host: smtp.example.org
 *     smtp_port: 587
 *     smtp_use_tls: true        # STARTTLS, required (fails if the server does not offer it)
 *     smtp_user: archiver       # login only when user and password are both set
 *     smtp_password: ${SMTP_PASSWORD}
 *     # new (defaults shown)
 *     smtp_use_ssl: null        # implicit TLS (SMTPS); null = on for port 465, off otherwise
 *     smtp_timeout_seconds: 10  # connect, greeting and socket timeout (the Python archiver's 10 s)
 *     smtp_ca_file: null        # PEM file of the CA to trust (a site CA or a self-signed server); null = system roots
 * ```
 *
 * With `smtp_use_tls: false` and no implicit TLS the connection stays plain even if the server offers STARTTLS,
 * as in the Python archiver (an opportunistic upgrade could fail on a server with a private certificate that
 * worked before). Certificates are always verified.
 *
 * @example
 * ```ts
 * import { email } from "./plugins/email/mod.ts";
 * const notifier = email({ enabled: true, recipient_email: "ops@example.org", sender_email: "archiver@example.org",
 *   smtp_host: "smtp.example.org", smtp_port: 587, smtp_use_tls: true });
 * await notifier.notify(notification);
 * ```
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { definePlugin, type Plugin } from "../../core/registry.ts";
import { ArchiverError, ConfigurationError, describeError } from "../../core/errors.ts";
import { redact, registerSecret } from "../../core/redact.ts";
import { hostName } from "../../core/notify.ts";
import type { Logger, Notification, Notifier } from "../../core/roles.ts";
import type { EmailConfig } from "../../core/config/types.ts";
import { REPORTING_SECTIONS, sectionDefaults } from "../../core/config/schema.ts";

/** The `reporting.email` configuration section, keys verbatim. */
export type Options = EmailConfig;

/** Defaults (the Python archiver's for its keys), from the configuration schema. */
export const defaults: Options = sectionDefaults<Options>(REPORTING_SECTIONS.email);

/** What the factory needs besides the options. */
export interface EmailContext {
  /** Where successful deliveries are logged. */
  logger?: Logger;
  /** Directory against which a relative `smtp_ca_file` resolves. Default: the working directory. */
  configDir?: string;
}

/** SMTP failure of one notification (the message names server and cause; never a password). */
export class EmailError extends ArchiverError {}

/** Sends one email per notification; one SMTP connection per message, as the Python archiver did. */
export class EmailNotifier implements Notifier {
  /** Notifier kind, shown in logs. */
  readonly kind = "email";
  readonly #options: Options;
  readonly #ca: string | undefined;
  readonly #logger?: Logger;

  /** Options already merged with defaults; `ca` is the PEM text of `smtp_ca_file`. */
  constructor(options: Options, ca: string | undefined, logger?: Logger) {
    this.#options = options;
    this.#ca = ca;
    this.#logger = logger;
  }

  /** Implicit TLS in effect (explicit setting, else port 465). */
  get implicitTls(): boolean {
    return this.#options.smtp_use_ssl ?? this.#options.smtp_port === 465;
  }

  /** Send the notification; throws `EmailError` (caught and logged by `notifyAll`). */
  async notify(notification: Notification): Promise<void> {
    const o = this.#options;
    if (!o.enabled) {
      this.#logger?.debug("Email notifications disabled; nothing sent");
      return;
    }
    const timeoutMs = o.smtp_timeout_seconds * 1000;
    // Loaded here, not up front: only invocations that send mail pay for the module.
    const { default: nodemailer } = await import("nodemailer");
    const transport = nodemailer.createTransport({
      host: o.smtp_host ?? undefined,
      port: o.smtp_port,
      secure: this.implicitTls,
      requireTLS: !this.implicitTls && o.smtp_use_tls,
      ignoreTLS: !this.implicitTls && !o.smtp_use_tls,
      auth: o.smtp_user && o.smtp_password ? { user: o.smtp_user, pass: o.smtp_password } : undefined,
      name: hostName(),
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
      tls: this.#ca ? { ca: this.#ca } : undefined,
    });
    try {
      await transport.sendMail({
        from: o.sender_email ?? undefined,
        to: o.recipient_email ?? undefined,
        // Composed text is already redacted; a custom composer's may not be.
        subject: redact(notification.subject),
        text: redact(notification.text),
      });
      this.#logger?.info(`Failure report email sent to ${o.recipient_email}`);
    } catch (error) {
      throw new EmailError(
        redact(`Failed to send failure report email via ${o.smtp_host}:${o.smtp_port}: ${describeError(error)}`),
        { cause: error },
      );
    } finally {
      transport.close();
    }
  }

  /** Nothing to release: each notification opens and closes its own SMTP connection. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * An email notifier. Throws `ConfigurationError` when enabled without recipient, sender or host (the Python
 * archiver's message), or when `smtp_ca_file` cannot be read.
 */
export async function email(options: Partial<Options> = {}, context: EmailContext = {}): Promise<Notifier> {
  const o: Options = { ...defaults, ...options };
  registerSecret(o.smtp_password);
  if (o.enabled && (!o.recipient_email || !o.sender_email || !o.smtp_host)) {
    throw new ConfigurationError(
      "Email config: 'recipient_email', 'sender_email', and 'smtp_host' are required when enabled is true.",
    );
  }
  let ca: string | undefined;
  if (o.smtp_ca_file) {
    const path = isAbsolute(o.smtp_ca_file) ? o.smtp_ca_file : resolve(context.configDir ?? ".", o.smtp_ca_file);
    try {
      ca = await Deno.readTextFile(path);
    } catch (error) {
      throw new ConfigurationError(
        `reporting.email.smtp_ca_file: cannot read '${path}' (${
          describeError(error)
        }); give a readable PEM file or null`,
      );
    }
  }
  return new EmailNotifier(o, ca, context.logger);
}

/** The plugin: role `notifier`, name `email`. */
const plugin: Plugin<"notifier", Options> = definePlugin<"notifier", Options>({
  role: "notifier",
  name: "email",
  defaults,
  create: (options, context) =>
    email(options, { logger: context.logger.child("plugins.email"), configDir: context.configDir }),
});
export default plugin;
