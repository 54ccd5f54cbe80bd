/**
 * The database description record artdaq_database keeps in the `SystemMetadata` collection and creates on the
 * first operation against a new database (artdaq-database.md §3.4, §4.1).
 *
 * One deliberate difference: the C++ provider stores the URI as given, password included; we store it with the
 * password masked, so the database never holds a copy of the credentials.
 *
 * @module
 */

import { hostname, machine, release, type, userInfo, version } from "node:os";
import { JsonObject } from "../../core/json/mod.ts";
import { maskUriCredentials } from "../../core/redact.ts";

/** Collection of the description record. */
export const SYSTEM_METADATA = "SystemMetadata";

/**
 * The record's `document` object: `{name, uri, locale, create_time, create_user, uname{…}, database_format: 3}`.
 *
 * @example
 * ```ts
 * systemMetadataDocument("filesystemdb:///data/db", "2024-03-04T12:05:01.337-0600").get("database_format"); // 3
 * ```
 */
export function systemMetadataDocument(uri: string, timestamp: string): JsonObject {
  return new JsonObject([
    ["name", "artdaq"],
    ["uri", maskUriCredentials(uri)],
    ["locale", "en_US.UTF-8"],
    ["create_time", timestamp],
    ["create_user", currentUser()],
    [
      "uname",
      new JsonObject([
        ["sysname", safe(type)],
        ["nodename", safe(hostname)],
        ["release", safe(release)],
        ["version", safe(version)],
        ["machine", safe(machine)],
      ]),
    ],
    ["database_format", 3],
  ]);
}

/**
 * The filesystem provider's one-line text of the record, hand-built exactly like the C++ code writes it:
 * `{"document":{…},"_id": { "$oid":"…"}}`.
 */
export function systemMetadataFileText(document: JsonObject, id: string): string {
  return `{"document":${compact(document)},"_id": { "$oid":"${id}"}}`;
}

function compact(value: unknown): string {
  if (value instanceof JsonObject) {
    return "{" + value.entries().map(([key, inner]) => `${JSON.stringify(key)}:${compact(inner)}`).join(",") + "}";
  }
  return JSON.stringify(value);
}

function currentUser(): string {
  const fromEnv = Deno.env.get("USER");
  if (fromEnv) return fromEnv;
  try {
    return userInfo().username;
  } catch {
    return "notprovided";
  }
}

function safe(read: () => string): string {
  try {
    return read();
  } catch {
    return "notprovided";
  }
}
