/**
 * From the expanded YAML tree to a resolved `ArchiverConfig`: required sections and keys, defaults, coercion,
 * the Python archiver's section validations (email, slack, carbon, `fhiclize_generate`), the deprecated flat
 * email keys, and unknown-key warnings with the nearest known key.
 *
 * @module
 */
import type { ArchiverConfig, FhiclizeName } from "./types.ts";
import { coerce, FieldError, resolvePath } from "./coerce.ts";
import { isPlainObject } from "./expand.ts";
import { nearest } from "./nearest.ts";
import {
  defaultOf,
  FHICLIZE_CONVERTERS,
  FHICLIZE_GENERATORS,
  LEGACY_REPORTING_KEYS,
  REPORTING_SECTIONS,
  SECTIONS,
  type SectionSpec,
  TOP_LEVEL_KEYS,
} from "./schema.ts";

/** What building needs besides the tree. */
export interface BuildContext {
  /** Directory relative paths resolve against (the config file's). */
  baseDir: string;
  /** The scalar's source text at a key path. */
  sourceOf(path: string): string | undefined;
  /** Report a warning (unknown or deprecated key) at a key path. */
  warn(path: string, message: string): void;
}

/** The Python archiver's message prefixes for a missing required key. */
const MISSING_KEY_PREFIX: Record<string, string> = {
  source_files: "Source files config",
  artdaq_db: "ArtdaqDB config",
  ucon_db: "UconDB config",
};

/** Build the resolved configuration. Throws `FieldError` (path + message). */
export function buildConfig(
  tree: Record<string, unknown>,
  context: BuildContext,
): Omit<ArchiverConfig, "configFile" | "configDir" | "envFile"> {
  for (const key of Object.keys(tree)) {
    if (!TOP_LEVEL_KEYS.includes(key)) warnUnknown(key, key, TOP_LEVEL_KEYS, context);
  }
  const sections: Record<string, Record<string, unknown>> = {};
  for (const [name, spec] of Object.entries(SECTIONS)) {
    if (spec.required && !(name in tree)) {
      throw new FieldError(name, `Top-level configuration key missing: '${name}'`);
    }
    sections[name] = buildSection(tree[name], name, spec, context);
  }
  normalizeUris(sections, context.baseDir);
  const config = {
    ...sections,
    reporting: buildReporting(tree.reporting, context),
    fhiclize_generate: buildFhiclize(tree.fhiclize_generate),
  } as unknown as Omit<ArchiverConfig, "configFile" | "configDir" | "envFile">;
  validateEnabled(config);
  return config;
}

/** One mapping section: defaults, coercion, required keys, unknown keys. */
export function buildSection(
  body: unknown,
  name: string,
  spec: SectionSpec,
  context: BuildContext,
): Record<string, unknown> {
  if (body === null || body === undefined) {
    if (spec.required) throw new FieldError(name, `section '${name}' is empty; it needs its keys`);
    body = {};
  }
  if (!isPlainObject(body)) throw new FieldError(name, `section '${name}' must be a mapping of keys`);
  const known = Object.keys(spec.keys);
  for (const key of Object.keys(body)) {
    if (!known.includes(key)) warnUnknown(`${name}.${key}`, key, known, context);
  }
  const out: Record<string, unknown> = {};
  for (const [key, keySpec] of Object.entries(spec.keys)) {
    const path = `${name}.${key}`;
    if (Object.hasOwn(body, key)) {
      out[key] = coerce(body[key], keySpec, path, { baseDir: context.baseDir, source: context.sourceOf(path) });
    } else if (keySpec.required) {
      const prefix = MISSING_KEY_PREFIX[name] ?? `Section '${name}'`;
      throw new FieldError(name, `${prefix} missing required key: '${key}'`);
    } else if (keySpec.default !== undefined) {
      out[key] = defaultOf(keySpec, out);
    }
  }
  return out;
}

/**
 * Relative locations inside URIs resolve against the config directory like every other path, so that
 * `filesystemdb://.archiver/artdaqdb` and `embedded:.archiver/ucondb` work from any working directory.
 */
function normalizeUris(sections: Record<string, Record<string, unknown>>, baseDir: string): void {
  const db = sections.artdaq_db;
  const fs = /^filesystemdb:\/\/(.*)$/.exec(String(db.database_uri));
  if (fs && !fs[1].startsWith("/")) db.database_uri = `filesystemdb://${resolvePath(fs[1], baseDir)}`;
  const ucon = sections.ucon_db;
  const embedded = /^embedded:(.*)$/.exec(String(ucon.server_url));
  // `embedded:` alone is left to the plugin, which puts the server's data under the work directory.
  if (embedded?.[1]) ucon.server_url = `embedded:${resolvePath(embedded[1], baseDir)}`;
}

function buildReporting(body: unknown, context: BuildContext): Record<string, unknown> {
  if (body === null || body === undefined) body = {};
  if (!isPlainObject(body)) throw new FieldError("reporting", "section 'reporting' must be a mapping of keys");
  const known = [...Object.keys(REPORTING_SECTIONS), ...Object.keys(LEGACY_REPORTING_KEYS)];
  for (const key of Object.keys(body)) {
    if (!known.includes(key)) warnUnknown(`reporting.${key}`, key, known, context);
  }
  let emailBody = body.email;
  if ("send_email_on_error" in body) {
    context.warn(
      "reporting.send_email_on_error",
      "DEPRECATED: Top-level email config in 'reporting' section is deprecated. " +
        "Please move email settings to 'reporting.email' section.",
    );
    const emailEmpty = emailBody === null || emailBody === undefined ||
      (isPlainObject(emailBody) && Object.keys(emailBody).length === 0);
    if (emailEmpty) {
      const legacy = buildSection(
        pick(body, Object.keys(LEGACY_REPORTING_KEYS)),
        "reporting",
        { keys: LEGACY_REPORTING_KEYS },
        context,
      );
      const { send_email_on_error, ...rest } = legacy;
      emailBody = { ...rest, enabled: send_email_on_error };
    }
  }
  return {
    email: buildSection(emailBody, "reporting.email", REPORTING_SECTIONS.email, context),
    slack: buildSection(body.slack, "reporting.slack", REPORTING_SECTIONS.slack, context),
  };
}

function pick(body: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([key]) => keys.includes(key)));
}

/** `fhiclize_generate`: absent/null → all nine; a list or `{files: [...]}`; `.txt`/`.fcl` suffixes stripped. */
export function buildFhiclize(value: unknown): FhiclizeName[] {
  const known: readonly string[] = [...FHICLIZE_CONVERTERS, ...FHICLIZE_GENERATORS];
  if (value === null || value === undefined) return [...known] as FhiclizeName[];
  let list: unknown;
  if (Array.isArray(value)) {
    list = value;
  } else if (isPlainObject(value)) {
    if (!("files" in value)) {
      throw new FieldError(
        "fhiclize_generate",
        `a mapping needs the key 'files' (a list of names); got keys ${Object.keys(value).join(", ") || "none"}`,
      );
    }
    list = value.files ?? [];
    if (!Array.isArray(list)) throw new FieldError("fhiclize_generate.files", "expected a list of names");
  } else {
    const type = typeof value === "string" ? "str" : typeof value === "number" ? "int" : typeof value;
    throw new FieldError(
      "fhiclize_generate",
      `Invalid fhiclize_generate config type: ${type}. Expected list, dict, or None.`,
    );
  }
  const names = (list as unknown[]).map((item) => String(item).replace(/\.(txt|fcl)$/, ""));
  const unknown = [...new Set(names.filter((name) => !known.includes(name)))];
  if (unknown.length > 0) {
    throw new FieldError(
      "fhiclize_generate",
      `Unknown fhiclize_generate names: {${unknown.map((n) => `'${n}'`).join(", ")}}. ` +
        `Known converters: ${FHICLIZE_CONVERTERS.join(", ")}; known generators: ${FHICLIZE_GENERATORS.join(", ")}`,
    );
  }
  return [...new Set(names)] as FhiclizeName[];
}

/** The Python archiver's checks of enabled notifiers and metrics, with its messages. */
function validateEnabled(config: Omit<ArchiverConfig, "configFile" | "configDir" | "envFile">): void {
  const { email, slack } = config.reporting;
  if (email.enabled && (!email.recipient_email || !email.sender_email || !email.smtp_host)) {
    throw new FieldError(
      "reporting.email",
      "Email config: 'recipient_email', 'sender_email', and 'smtp_host' are required when enabled is true.",
    );
  }
  if (slack.enabled && (!slack.bot_token || !slack.channel)) {
    throw new FieldError(
      "reporting.slack",
      "Slack config: 'bot_token' and 'channel' are required when enabled is true.",
    );
  }
  if (config.carbon.enabled && (!config.carbon.host || !config.carbon.metric_prefix)) {
    throw new FieldError("carbon", "Carbon config: 'host' and 'metric_prefix' are required when enabled.");
  }
}

function warnUnknown(path: string, key: string, known: readonly string[], context: BuildContext): void {
  const suggestion = nearest(key, known);
  context.warn(
    path,
    `unknown key '${key}' is ignored${suggestion ? `; did you mean '${suggestion}'?` : ""}`,
  );
}
