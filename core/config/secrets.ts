/**
 * Registering every secret of a configuration with the redaction layer: the keys the schema marks secret
 * (UconDB writer password, SMTP password, Slack bot token, status server token), and the credentials of every
 * URI anywhere in the configuration (`mongodb://user:pass@host`, `https://user:pass@host/app`, ...).
 *
 * @module
 */
import { registerSecret, registerUriCredentials } from "../redact.ts";
import { mapStrings } from "./expand.ts";
import { LEGACY_REPORTING_KEYS, REPORTING_SECTIONS, SECTIONS, type SectionSpec } from "./schema.ts";

const URI_WITH_CREDENTIALS = /[a-z][a-z0-9+.-]*:\/\/[^\s@/?#]*:[^\s@/?#]*@/gi;

/**
 * Register the secrets of a configuration tree (raw expanded YAML or the resolved config).
 *
 * @example
 * ```ts
 * registerConfigSecrets({ ucon_db: { writer_password: "s3cret" } });
 * // redact("s3cret") === "***"
 * ```
 */
export function registerConfigSecrets(tree: Record<string, unknown>): void {
  const register = (spec: SectionSpec, body: unknown) => {
    if (typeof body !== "object" || body === null) return;
    for (const [key, keySpec] of Object.entries(spec.keys)) {
      const value = (body as Record<string, unknown>)[key];
      if (typeof value !== "string") continue;
      if (keySpec.secret === "plain") registerSecret(value);
      if (keySpec.secret === "uri") registerUriCredentials(value);
    }
  };
  for (const [name, spec] of Object.entries(SECTIONS)) register(spec, tree[name]);
  const reporting = tree.reporting as Record<string, unknown> | undefined;
  if (reporting && typeof reporting === "object") {
    register(REPORTING_SECTIONS.email, reporting.email);
    register(REPORTING_SECTIONS.slack, reporting.slack);
    register({ keys: LEGACY_REPORTING_KEYS }, reporting);
  }
  mapStrings(tree, "", (text) => {
    for (const match of text.matchAll(URI_WITH_CREDENTIALS)) registerUriCredentials(match[0]);
    return text;
  });
}
