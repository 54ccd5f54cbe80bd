/**
 * An embedded UconDB-compatible server (Hono): the endpoints, status codes, Digest authentication, key and
 * `override` semantics and error bodies of UconDB 3.9.7 (spec: shared/spec/ucondb.md §3–§5), persisted to a
 * directory (storage.ts). The archiver's default setup and the test-suite talk HTTP to it exactly as they would to
 * the real server.
 *
 * Deliberate differences from the real server (each a real-server bug or hazard):
 * - a put without `Content-Length` (chunked body) is refused with 411 instead of storing an empty blob;
 * - no `/.env` environment dump, no HTML browser (`/UI/...`), no broken bulk endpoints (`/data_for_versions`);
 * - `lookup_versions` with `tvs` answers `null` records, as the real one does, but never crashes mid-stream.
 *
 * @example
 * ```ts
 * const server = await startUconDBServer({ dir: "./ucondb-data", users: { writer: password }, folders: ["run_records"] });
 * console.log(server.url); // http://127.0.0.1:<port>
 * await server.close();
 * ```
 *
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";
import type { Logger } from "../../core/roles.ts";
import { describeError } from "../../core/errors.ts";
import { challengeHeader, checkAuthorization } from "./digest.ts";
import {
  type BlobFile,
  type FolderStore,
  isValidFolderName,
  KeyExists,
  qualifiedFolderName,
  Repository,
  type StoredVersion,
} from "./storage.ts";
import { publishServer, unpublishServer } from "./published.ts";

/** The version the real server reports; clients may depend on it. */
const PRODUCT_VERSION = "3.9.7";
const NAMESPACE = "public";
const HTML = "text/html; charset=UTF-8";
const JSON_TYPE = "text/json; charset=UTF-8";
/** Put bodies from this size on are streamed into their file as they arrive; smaller ones are read whole: 4 MiB. */
const STREAM_BODY_BYTES = 4 << 20;

/** Settings of the embedded server. */
export interface ServerOptions {
  /** Directory holding the folders (created when missing). */
  dir: string;
  /** Writer accounts, user → password (user `*` = any name). Empty or absent: no authentication (a warning). */
  users?: Record<string, string>;
  /** Folders created at start when missing (names as configured, e.g. `run_records`). */
  folders?: string[];
  /** Answer puts, tags and create_folder with 405 `Read-only instance`. */
  readOnly?: boolean;
  /** Sync each blob and journal line to disk (default true; tests may turn it off). */
  durable?: boolean;
  /** Largest accepted blob in bytes (413 above it). Default 2 GiB − 1, the most one request body can hold here. */
  maxBlobBytes?: number;
  /** Where unexpected server errors are logged. */
  logger?: Logger;
  /**
   * Publish the listening address as `<dir>/server.json` (published.ts) so that other processes opening
   * `embedded:<dir>` attach to this server instead of failing on the directory lock. Default true.
   */
  publish?: boolean;
}

/** A listening server. */
export interface RunningServer {
  /** Base URL for a UconDB client, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** Port it listens on. */
  port: number;
  /** Address it listens on. */
  hostname: string;
  /** Stop listening (requests in flight are answered), finish pending writes, release the directory. */
  close(): Promise<void>;
}

/** An HTTP error answer with the real server's shape. */
class Answer extends Error {
  constructor(readonly response: Response) {
    super(`HTTP ${response.status}`);
  }
}

/** Plain answer (most of the server's short texts are `text/html`). */
function text(status: number, body: string, contentType = HTML): Response {
  return new Response(body, { status, headers: { "content-type": contentType } });
}

/** webpie's `500 Application Error` page carrying the exception text in `<h3>`. */
function applicationError(message: string): Answer {
  const escaped = message.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return new Answer(
    new Response(`<html><body><h2>Application error</h2><h3>${escaped}</h3><pre></pre></body></html>`, {
      status: 500,
      statusText: "Application Error",
      headers: { "content-type": HTML },
    }),
  );
}

function fail(status: number, body: string): Answer {
  return new Answer(text(status, body));
}

/** Python's `repr` of a float: `0.0`, `1700000000.5`. */
function pyFloat(value: number): string {
  return Number.isInteger(value) ? `${value}.0` : String(value);
}

/** A JSON string as Python's `json.dumps` writes it (`ensure_ascii`: non-ASCII as `\uXXXX`, per UTF-16 unit). */
function pyString(value: string): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * Version metadata exactly as the real server's `json.dumps` writes it (key order, `", "`/`": "`, floats,
 * ASCII-only), which also makes it a valid header value.
 */
function metadataJson(folder: string, version: StoredVersion): string {
  const s = pyString;
  return `{"object": ${s(version.object)}, "folder": ${s(folder)}, "tv": ${pyFloat(version.tv)}, "tr": ${
    pyFloat(version.tr)
  }, "tags": [${
    version.tags.map((tag) => s(tag)).join(", ")
  }], "adler32": ${version.adler32}, "uadler32": ${version.adler32}, "data_size": ${version.size}, "data_key": "${version.dataKey}", "id": ${version.id}, "key": ${
    version.key === null ? "null" : s(version.key)
  }}`;
}

/**
 * A body of `start`, `count` pieces and `end`, written as the client reads it, ~64 KB at a time, as the real server
 * streams its listings (no `Content-Length`): listing 100,000 versions never holds the whole text.
 */
function streamedText(count: number, piece: (i: number) => string, start = "", end = ""): ReadableStream<Uint8Array> {
  let next = 0;
  let text = start;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      while (next < count && text.length < 1 << 16) text += piece(next++);
      if (next >= count) text += end;
      if (text !== "") controller.enqueue(utf8.encode(text));
      text = "";
      if (next >= count) controller.close();
    },
  }, { highWaterMark: 0 });
}

const utf8 = new TextEncoder();

/** Python `json.dumps` of a list of strings. */
function pyList(values: string[]): string {
  return `[${values.map(pyString).join(", ")}]`;
}

type Args = Map<string, string[]>;

/** Query arguments as webpie parses them (`+` is a space, a repeated name becomes a list). */
function queryArgs(url: URL): Args {
  const args: Args = new Map();
  for (const [name, value] of url.searchParams) args.set(name, [...args.get(name) ?? [], value]);
  return args;
}

function one(args: Args, name: string): string | undefined {
  return args.get(name)?.[0];
}

/** `@sanitize()`: reject any value or path containing `< ' > \ |` with 400. */
function sanitize(args: Args, relpath: string): void {
  const bad = /[<'>\\|]/;
  if (bad.test(relpath)) throw fail(400, `<html><body>Invalid value for relpath</body></html>`);
  for (const [name, values] of args) {
    if (values.some((value) => bad.test(value))) throw fail(400, `<html><body>Invalid value for ${name}</body></html>`);
  }
}

/**
 * `parseArgs` of /data, /get, /put: `F/O/name=value/...` path segments merged with the query; the same name twice
 * is a ValueError (500); unsafe path elements or argument values are 500 as on the real server.
 */
function dataArgs(relpath: string, query: Args): { folder?: string; object?: string; args: Args } {
  const fromPath: Args = new Map();
  const twice = (name: string) => applicationError(`Value for ${name} specified twice in the URL`);
  for (const segment of relpath.split("/").filter((part) => part !== "")) {
    if (/[<'>\\|;"]/.test(segment)) throw applicationError("Invalid path element");
    const equals = segment.indexOf("=");
    // Bare segments are the folder, then the object; a third one is "object" again (an error, as in handler.py).
    const name = equals >= 0 ? segment.slice(0, equals) : fromPath.has("folder") ? "object" : "folder";
    if (fromPath.has(name)) throw twice(name);
    fromPath.set(name, [equals >= 0 ? segment.slice(equals + 1) : segment]);
  }
  for (const name of query.keys()) if (fromPath.has(name)) throw twice(name);
  const args: Args = new Map([...fromPath, ...query]);
  for (const values of args.values()) {
    if (values.some((value) => /[';]/.test(value))) {
      throw applicationError("Invalid argument value");
    }
  }
  return { folder: one(args, "folder"), object: one(args, "object"), args };
}

/** Float argument or the real server's conversion error (500). */
function floatArg(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (value.trim() === "" || Number.isNaN(parsed)) {
    throw applicationError(`could not convert string to float: '${value}'`);
  }
  return parsed;
}

/**
 * UconDB's `text2datetime` as epoch seconds: `YYYY-MM-DD[T ]HH:MM:SS[.f][±H]`, `MM/DD/YYYY HH:MM:SS`, epoch seconds,
 * or a negative relative time (`-10m`, `-2h`, `-1d`, `-30s`). Times without a zone are UTC.
 */
function parseTime(value: string, now = Date.now() / 1000): number {
  const relative = /^-(\d+(?:\.\d+)?)([smhd]?)$/.exec(value);
  if (relative) {
    const unit = { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[relative[2]]!;
    return now - Number(relative[1]) * unit;
  }
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const us = /^(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2}):(\d{2})$/.exec(value);
  if (us) return Date.UTC(+us[3], +us[1] - 1, +us[2], +us[4], +us[5], +us[6]) / 1000;
  const iso = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([+-]\d{1,2})?$/.exec(value);
  if (iso) {
    const seconds = Date.UTC(+iso[1], +iso[2] - 1, +iso[3], +iso[4], +iso[5], +iso[6]) / 1000;
    return seconds + Number(iso[7] ?? 0) - Number(iso[8] ?? 0) * 3600;
  }
  throw applicationError(`Unrecognized time format: ${value}`);
}

/** Newest recorded first (`tr desc`), then `tv` as the server orders. */
function byRecordTime(tvOrder: 1 | -1) {
  return (a: StoredVersion, b: StoredVersion) => b.tr - a.tr || tvOrder * (a.tv - b.tv) || b.id - a.id;
}

/**
 * The Hono app serving `repository`.
 *
 * @example
 * ```ts
 * const app = createUconDBApp(await Repository.open(dir), { dir, users: { writer: "pw" } });
 * Deno.serve({ port: 0 }, app.fetch);
 * ```
 */
export function createUconDBApp(repository: Repository, options: ServerOptions): Hono {
  const users = options.users ?? {};
  const authenticated = Object.keys(users).length > 0;
  const maxBlobBytes = options.maxBlobBytes ?? 2 ** 31 - 1;
  const app = new Hono();

  const folderOrNull = (name: string | undefined): Promise<FolderStore | undefined> => {
    if (name === undefined) return Promise.resolve(undefined);
    if (!isValidFolderName(name)) throw applicationError("'NoneType' object is not subscriptable");
    return repository.folder(qualifiedFolderName(name, NAMESPACE));
  };

  /** Digest check for a put or create_folder; throws the 401 answers. */
  const authenticate = (c: Context, realm: string) => {
    if (!authenticated) return;
    const result = checkAuthorization(
      c.req.header("authorization") ?? null,
      c.req.method,
      realm,
      (user) => users[user] ?? users["*"],
    );
    if (result === "ok") return;
    if (result === "missing") {
      throw new Answer(
        new Response("Authorization required", {
          status: 401,
          headers: { "content-type": HTML, "www-authenticate": challengeHeader(realm) },
        }),
      );
    }
    if (result === "rejected") throw fail(401, "Authorization required");
    throw applicationError(`KeyError: '${result.malformed}'`);
  };

  const refuseWhenReadOnly = () => {
    if (options.readOnly) throw fail(405, "Read-only instance");
  };

  const put = async (c: Context, relpath: string, query: Args): Promise<Response> => {
    const { folder: folderName, object, args } = dataArgs(relpath, query);
    refuseWhenReadOnly();
    if (folderName === undefined) throw fail(400, "");
    const folder = await folderOrNull(folderName);
    if (!folder) throw fail(404, "Folder not found");
    if (object === undefined) throw fail(400, "");
    authenticate(c, folder.name);
    const length = c.req.header("content-length");
    if (length === undefined) {
      throw fail(411, "Content-Length required: send the blob as a complete body, not chunked");
    }
    if (Number(length) > maxBlobBytes) throw fail(413, `Blob too large: more than ${maxBlobBytes} bytes`);
    const key = one(args, "key") ?? null;
    const override = one(args, "override") === "yes";
    if (key !== null && !override && folder.byKey(object, key)) {
      // Refused whatever the body holds: read to its end (the connection stays usable) but not stored.
      for await (const _ of c.req.raw.body ?? []) { /* drained */ }
      throw applicationError(new KeyExists(object, key).message);
    }
    // A large body goes to a file of the folder as it arrives (a 12 MB blob is never held whole here); a small one is
    // taken whole, which costs less per put (no file at all when identical bytes are stored already).
    const received = Number(length) >= STREAM_BODY_BYTES
      ? await folder.receive(c.req.raw.body ?? [])
      : folder.received(new Uint8Array(await c.req.arrayBuffer()));
    try {
      const version = await folder.putReceived(object, received, {
        key,
        override,
        tags: args.get("tag") ?? [],
        tv: floatArg(one(args, "tv"), 0),
      });
      if (one(args, "full_meta") === "yes") return text(200, metadataJson(folder.name, version), JSON_TYPE);
      return text(200, String(version.id));
    } catch (error) {
      if (error instanceof KeyExists) throw applicationError(error.message);
      throw error;
    }
  };

  const blobAnswer = (folder: FolderStore, version: StoredVersion, data: BlobFile): Response =>
    new Response(data.stream, {
      status: 200,
      headers: {
        "content-length": String(data.size),
        "content-type": "application/octet-stream",
        "X-UConDB-product-version": PRODUCT_VERSION,
        "X-UConDB-version-id": String(version.id),
        "X-UConDB-data-key": String(version.dataKey),
        // Header values must be Latin-1; a non-ASCII key is sent JSON-escaped (`\u043a...`), quotes stripped.
        "X-UConDB-version-key": version.key === null ? "null" : pyString(version.key).slice(1, -1),
        "X-UConDB-data-size": String(version.size),
        "X-UConDB-adler32": String(version.adler32),
        "X-UConDB-tv": pyFloat(version.tv),
        "X-UConDB-tr": pyFloat(version.tr),
        "X-UConDB-metadata": metadataJson(folder.name, version),
        "X-UConDB-metadata-format": "text/json",
      },
    });

  /** The stored blob under `dataKey`, streamed from its file (never read whole), or the server's 404. */
  const readData = async (folder: FolderStore, dataKey: number): Promise<BlobFile> => {
    const data = await folder.openBlob(dataKey);
    if (!data) throw fail(404, "Data not found");
    return data;
  };

  /** A blob's bytes as an answer with the given headers (and its `content-length`). */
  const dataAnswer = (data: BlobFile, headers: Record<string, string>): Response =>
    new Response(data.stream, { status: 200, headers: { "content-length": String(data.size), ...headers } });

  const get = async (relpath: string, query: Args): Promise<Response> => {
    const { folder: folderName, object, args } = dataArgs(relpath, query);
    if (folderName === undefined || object === undefined) throw fail(400, "");
    const folder = await folderOrNull(folderName);
    const metaOnly = one(args, "meta_only") === "yes";
    const id = one(args, "id");
    if (id !== undefined) {
      const version = folder?.byId(Number(id));
      if (!folder || !version) {
        if (folder && metaOnly) return text(200, "{}", JSON_TYPE);
        throw applicationError(`'NoneType' object has no attribute '${folder ? "Data" : "getObject"}'`);
      }
      if (metaOnly) return text(200, metadataJson(folder.name, version), JSON_TYPE);
      // The real server answers `id=` with a text/html content type and no X-UConDB headers.
      return dataAnswer(await readData(folder, version.dataKey), { "content-type": HTML });
    }
    if (!folder) throw applicationError("'NoneType' object has no attribute 'getObject'");
    const dataKey = one(args, "data_key");
    if (!folder.hasObject(object)) {
      throw applicationError(
        `'NoneType' object has no attribute '${dataKey !== undefined ? "dataByDataKey" : "getVersion"}'`,
      );
    }
    if (dataKey !== undefined) {
      return dataAnswer(await readData(folder, intArg(dataKey)), {
        "content-type": "application/octet-stream",
        "X-UConDB-product-version": PRODUCT_VERSION,
        "X-UConDB-data-key": dataKey,
      });
    }
    const version = selectVersion(folder, object, args);
    if (!version) throw fail(404, "Version not found");
    if (metaOnly) return text(200, metadataJson(folder.name, version), JSON_TYPE);
    return blobAnswer(folder, version, await readData(folder, version.dataKey));
  };

  /** Version selection of GET /data: key > tag > (tv, tr). */
  const selectVersion = (folder: FolderStore, object: string, args: Args): StoredVersion | undefined => {
    const key = one(args, "key");
    if (key !== undefined) return folder.byKey(object, key);
    const tv = floatArg(one(args, "tv"), Date.now() / 1000);
    const tag = one(args, "tag");
    const trText = one(args, "tr");
    const tr = tag === undefined && trText !== undefined ? parseTime(trText) : undefined;
    return folder.versionsOf(object)
      .filter((v) => v.tv <= tv && (tag === undefined || v.tags.includes(tag)) && (tr === undefined || v.tr < tr))
      .sort(byRecordTime(-1))[0];
  };

  /** Folder and object from `relpath` (`F` or `F/O`, which wins, as in lookup_versions) or the query. */
  const folderAndObject = (relpath: string, args: Args) => {
    const [pathFolder, pathObject] = relpath.split("/").filter((part) => part !== "");
    return { folderName: pathFolder ?? one(args, "folder"), object: pathObject ?? one(args, "object") };
  };

  const listing = (c: Context, values: string[], args: Args): Response => {
    if (one(args, "format") === "csv") return text(200, ["Name", ...values].join("\n"), "text/csv");
    return c.body(pyList(values), 200, { "content-type": JSON_TYPE });
  };

  const handlers: Record<string, (c: Context, relpath: string, args: Args) => Response | Promise<Response>> = {
    version: () => text(200, PRODUCT_VERSION),
    probe: () => text(200, "OK"),
    folders: (c, _relpath, args) => {
      const namespace = one(args, "namespace") ?? NAMESPACE;
      const names = repository.folderNames()
        .filter((name) => name.startsWith(`${namespace}.`))
        .map((name) => (namespace === NAMESPACE ? name.slice(namespace.length + 1) : name));
      return listing(c, names, args);
    },
    objects: async (c, relpath, args) => {
      const folder = await folderOrNull(folderAndObject(relpath, args).folderName);
      if (!folder) throw applicationError("'NoneType' object has no attribute 'listObjects'");
      return listing(c, folder.objects(), args);
    },
    tags: async (c, relpath, args) => {
      const folder = await folderOrNull(folderAndObject(relpath, args).folderName);
      if (!folder) throw applicationError("'NoneType' object has no attribute 'tags'");
      return listing(c, folder.versions().flatMap((version) => version.tags).sort(), args);
    },
    versions: async (c, relpath, args) => {
      const { folderName, object } = folderAndObject(relpath, args);
      if (folderName === undefined || object === undefined) throw applicationError("folder and object are required");
      const folder = await folderOrNull(folderName);
      if (!folder) throw fail(404, `Folder ${folderName} not found`);
      if (!folder.hasObject(object)) throw fail(404, `Object ${object} not found`);
      const tv = floatArg(one(args, "tv"), Date.now() / 1000);
      const trText = one(args, "tr");
      const sinceText = one(args, "tr_since");
      const tr = trText === undefined ? undefined : parseTime(trText);
      const since = sinceText === undefined ? undefined : parseTime(sinceText);
      const versions = folder.versionsOf(object)
        .filter((v) => v.tv <= tv && (tr === undefined || v.tr <= tr) && (since === undefined || v.tr > since))
        .sort(byRecordTime(1));
      const record = (i: number) => `${i === 0 ? "" : ", "}${metadataJson(folder.name, versions[i])}`;
      const body = streamedText(versions.length, record, "[", "]");
      return c.body(body, 200, { "content-type": JSON_TYPE });
    },
    data: (c, relpath, args) => (["POST", "PUT"].includes(c.req.method) ? put(c, relpath, args) : get(relpath, args)),
    get: (_c, relpath, args) => get(relpath, args),
    put: (c, relpath, args) => put(c, relpath, args),
    get_blob: async (_c, relpath, args) => {
      const folderName = one(args, "folder") ?? relpath.split("/").filter((part) => part !== "")[0];
      const versionId = one(args, "version_id");
      const dataKey = one(args, "data_key");
      if ((versionId === undefined) === (dataKey === undefined)) {
        throw fail(400, "One and only one of data_key, version_id must be specified");
      }
      const folder = await folderOrNull(folderName);
      if (!folder) throw fail(404, `Folder ${folderName} not found`);
      let key: number;
      if (versionId !== undefined) {
        const version = folder.byId(intArg(versionId));
        if (!version) throw fail(404, "Version not found");
        key = version.dataKey;
      } else {
        key = intArg(dataKey!);
      }
      return dataAnswer(await readData(folder, key), { "content-type": "application/octet-stream" });
    },
    lookup_versions: async (c, relpath, args) => {
      if (c.req.method !== "POST") throw applicationError("AssertionError");
      const { folderName, object } = folderAndObject(relpath, args);
      const folder = await folderOrNull(folderName);
      if (!folder) throw fail(404, `Folder ${folderName} not found`);
      let request: Record<string, unknown>;
      try {
        request = JSON.parse(await c.req.text());
      } catch (error) {
        throw applicationError(describeError(error));
      }
      if (object !== undefined && !folder.hasObject(object)) throw fail(404, `Object ${object} not found`);
      let found: Array<StoredVersion | null>;
      if (Array.isArray(request.ids) && request.ids.length > 0) {
        // Like the real server, ids are looked up in the whole folder (the object is not a filter).
        found = request.ids.map((id) => folder.byId(Number(id))).filter((v) => v !== undefined);
      } else {
        if (object === undefined) throw applicationError("Object name must be specified");
        if (Array.isArray(request.keys) && request.keys.length > 0) {
          found = request.keys.map((key) => folder.byKey(object, String(key))).filter((v) => v !== undefined);
        } else if ("key_min" in request || "key_max" in request) {
          const min = request.key_min as string | undefined;
          const max = request.key_max as string | undefined;
          found = folder.versionsOf(object).filter((v) =>
            v.key !== null && (min === undefined || v.key >= min) && (max === undefined || v.key < max)
          );
        } else if (Array.isArray(request.tvs)) {
          found = request.tvs.map(() => null);
        } else {
          throw applicationError("AssertionError");
        }
      }
      const body = streamedText(
        found.length,
        (i) => `\x1e${found[i] ? metadataJson(folder.name, found[i]!) : "null"}\n`,
      );
      return c.body(body, 200, { "content-type": "text/json-seq; charset=UTF-8" });
    },
    tag: async (_c, _relpath, args) => {
      refuseWhenReadOnly();
      const folder = await folderOrNull(one(args, "folder"));
      const tag = one(args, "tag");
      const versionId = one(args, "version_id");
      const object = one(args, "object");
      const key = one(args, "key");
      if (!folder || tag === undefined) throw applicationError("'NoneType' object has no attribute 'getVersion'");
      let version: StoredVersion | undefined;
      if (versionId !== undefined && object === undefined && key === undefined) {
        version = folder.byId(intArg(versionId));
      } else if (versionId === undefined && object !== undefined && key !== undefined) {
        version = folder.byKey(object, key);
      } else throw applicationError("AssertionError");
      if (!version) throw applicationError("'NoneType' object has no attribute 'addTag'");
      await folder.tag(version.id, tag);
      return text(200, "OK");
    },
    create_folder: async (c, _relpath, args) => {
      const name = one(args, "folder");
      refuseWhenReadOnly();
      if (!name) throw fail(400, "Empty folder name");
      if (!isValidFolderName(name)) throw applicationError("'NoneType' object is not subscriptable");
      authenticate(c, name);
      const folder = await repository.createFolder(qualifiedFolderName(name, NAMESPACE));
      if (one(args, "drop") === "yes") await folder.drop();
      return text(200, "OK");
    },
  };

  app.all("*", async (c) => {
    const url = new URL(c.req.url);
    // webpie hands the path on undecoded: `/data/F/O/key=run%207` looks up the literal `run%207`.
    const [, method = "", ...rest] = url.pathname.split("/");
    const handler = Object.hasOwn(handlers, method) ? handlers[method] : undefined;
    if (!handler) return text(404, `invalid path: ${url.pathname}`);
    const relpath = rest.join("/");
    const args = queryArgs(url);
    try {
      sanitize(args, relpath);
      return await handler(c, relpath, args);
    } catch (error) {
      if (error instanceof Answer) return error.response;
      options.logger?.error(`ucondb-server: ${c.req.method} ${url.pathname}: ${describeError(error)}`);
      return applicationError(describeError(error)).response;
    }
  });
  return app;
}

function intArg(value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw applicationError(`invalid literal for int() with base 10: '${value}'`);
  return Number(value);
}

/**
 * Open `options.dir`, create the configured folders and listen on `hostname:port` (port 0 = any free port).
 *
 * @example
 * ```ts
 * const server = await startUconDBServer({ dir, users: { writer: "pw" }, folders: ["run_records"] });
 * ```
 */
export async function startUconDBServer(
  options: ServerOptions & { hostname?: string; port?: number },
): Promise<RunningServer> {
  const repository = await Repository.open(options.dir, { durable: options.durable });
  try {
    for (const folder of options.folders ?? []) {
      if (!isValidFolderName(folder)) throw new Error(`invalid UconDB folder name '${folder}'`);
      await repository.declareFolder(qualifiedFolderName(folder, NAMESPACE));
    }
  } catch (error) {
    await repository.close();
    throw error;
  }
  const app = createUconDBApp(repository, options);
  const hostname = options.hostname ?? "127.0.0.1";
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({ hostname, port: options.port ?? 0, onListen() {} }, app.fetch);
  } catch (error) {
    await repository.close();
    throw error;
  }
  const port = server.addr.port;
  const url = `http://${urlHost(hostname)}:${port}`;
  const publish = options.publish ?? true;
  try {
    // Published only once listening, and removed before the lock is released: a reader that finds the lock held
    // and this file present can connect (or, racing with close, gets refused and looks again).
    if (publish) {
      await publishServer(repository.dir, {
        url: `http://${urlHost(reachableHost(hostname))}:${port}`,
        pid: Deno.pid,
        startedAt: new Date().toISOString(),
      });
    }
  } catch (error) {
    await server.shutdown();
    await repository.close();
    throw error;
  }
  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    hostname,
    close() {
      closing ??= (async () => {
        try {
          if (publish) await unpublishServer(repository.dir);
        } finally {
          await server.shutdown();
          await repository.close();
        }
      })();
      return closing;
    },
  };
}

/** A host as written in a URL (`[::1]` for IPv6). */
function urlHost(hostname: string): string {
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}

/** The address other local processes connect to: loopback for a wildcard bind. */
function reachableHost(hostname: string): string {
  if (hostname === "0.0.0.0" || hostname === "") return "127.0.0.1";
  if (hostname === "::" || hostname === "[::]") return "::1";
  return hostname;
}
