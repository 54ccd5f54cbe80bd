/**
 * artdaq_database URIs (artdaq-database.md §1): `filesystemdb:///abs/path` selects the filesystem provider,
 * `mongodb://[user:pw@]host[:port][,host2…]/<db>[?options]` the MongoDB provider. The URI comes from the plugin's
 * `database_uri` option, or from `ARTDAQ_DATABASE_URI` when the option is empty, as artdaq_database's own tools do.
 *
 * Deliberate differences from the C++ provider selection, each of which turns a silent misroute into an error:
 * a URI that is neither form is refused (C++ falls back to a default filesystem database), a MongoDB URI without a
 * database name is refused (C++ silently uses `test_configuration_db`), and `mongodb+srv://` is honoured (C++
 * silently connects to localhost).
 *
 * @module
 */

import { homedir } from "node:os";
import { isAbsolute, resolve } from "node:path";
import { ConfigurationError } from "../../core/errors.ts";
import { maskUriCredentials, registerUriCredentials } from "../../core/redact.ts";

/** A parsed filesystem database location. */
export interface FilesystemUri {
  provider: "filesystem";
  /** Absolute directory of the database (trailing `/` removed). */
  path: string;
  /** The URI as artdaq_database writes it into its SystemMetadata record. */
  uri: string;
}

/** A parsed MongoDB location. */
export interface MongoUri {
  provider: "mongo";
  /** The connection string, credentials included: hand it to the driver only, never print it. */
  connectionString: string;
  /** Database name (the URI path). */
  database: string;
  /** The URI with the password masked, safe for logs and reports. */
  masked: string;
}

/** Either provider. */
export type DatabaseUri = FilesystemUri | MongoUri;

/** The environment variable artdaq_database reads its URI from. */
export const URI_ENV = "ARTDAQ_DATABASE_URI";

/**
 * Parses a database URI. An empty `uri` falls back to `ARTDAQ_DATABASE_URI` from `env`. Credentials inside a
 * MongoDB URI are registered with the redaction layer before anything else happens, so no later message can leak
 * them. Relative filesystem paths resolve against `baseDir`; `~` and `${VAR}` are expanded as `wordexp` does.
 *
 * @example
 * ```ts
 * parseDatabaseUri("filesystemdb:///data/artdaq_database_archive/");
 * // { provider: "filesystem", path: "/data/artdaq_database_archive", uri: "filesystemdb:///data/artdaq_database_archive" }
 * parseDatabaseUri("mongodb://daq:secret@dbhost:27017/archive").masked; // "mongodb://daq:***@dbhost:27017/archive"
 * ```
 */
export function parseDatabaseUri(
  uri: string | null | undefined,
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
  baseDir: string = Deno.cwd(),
): DatabaseUri {
  const given = (uri ?? "").trim() || (env(URI_ENV) ?? "").trim();
  if (!given) {
    throw new ConfigurationError(
      `artdaq_db.database_uri is empty and ${URI_ENV} is not set; set one to filesystemdb:///abs/path or mongodb://host:port/db`,
    );
  }
  if (/^mongodb(\+srv)?:\/\//i.test(given)) return parseMongoUri(given);
  const fs = /^filesystemdb:\/\/(.*)$/.exec(given);
  if (fs) return parseFilesystemUri(fs[1], env, baseDir);
  throw new ConfigurationError(
    `artdaq_db.database_uri '${
      maskUriCredentials(given)
    }' is neither filesystemdb:///abs/path nor mongodb://host:port/db`,
  );
}

function parseMongoUri(given: string): MongoUri {
  const masked = registerUriCredentials(given);
  // The database is the path component: after the host list, before the options.
  const match = /^mongodb(?:\+srv)?:\/\/[^/?#]*\/([^?#]*)/i.exec(given);
  const database = match ? decodeURIComponent(match[1]) : "";
  if (!database) {
    throw new ConfigurationError(
      `artdaq_db.database_uri '${masked}' names no database; append it as the path, e.g. mongodb://host:27017/artdaq_database_archive`,
    );
  }
  if (/[/\\. "$]/.test(database)) {
    throw new ConfigurationError(
      `artdaq_db.database_uri '${masked}': '${database}' is not a valid MongoDB database name`,
    );
  }
  return { provider: "mongo", connectionString: given, database, masked };
}

function parseFilesystemUri(
  rest: string,
  env: (name: string) => string | undefined,
  baseDir: string,
): FilesystemUri {
  let path = expandWords(rest, env);
  if (!path) {
    throw new ConfigurationError(`artdaq_db.database_uri 'filesystemdb://${rest}' names no directory`);
  }
  path = isAbsolute(path) ? resolve(path) : resolve(baseDir, path);
  if (path.length > 1) path = path.replace(/\/+$/, "");
  return { provider: "filesystem", path, uri: `filesystemdb://${path}` };
}

/** `~` at the start and `${VAR}` / `$VAR` anywhere, as the C++ provider's `wordexp` call expands them. */
function expandWords(text: string, env: (name: string) => string | undefined): string {
  const expanded = text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, a, b) => {
    const name = a ?? b;
    const value = env(name);
    if (value === undefined) {
      throw new ConfigurationError(
        `artdaq_db.database_uri uses \${${name}}, which is not set; set it or write the path`,
      );
    }
    return value;
  });
  if (expanded === "~" || expanded.startsWith("~/")) return (env("HOME") ?? homedir()) + expanded.slice(1);
  return expanded;
}
