/**
 * A client for UconDB's REST API (spec: shared/spec/ucondb.md), used by the sink and by anyone who needs to talk
 * to a UconDB server. Every request has a deadline; 5xx answers and network failures are retried with exponential
 * backoff and jitter; "already exists" and other deterministic answers never are. Keys and tags travel as query
 * parameters (the server does not percent-decode path segments), bodies as bytes with a Content-Length.
 *
 * @example
 * ```ts
 * const client = new UconDBClient({ serverUrl: "https://host:9443/ucon/app", folder: "run_records",
 *   user: "writer", password, timeoutSeconds: 10 });
 * await client.put("configuration", blob, { key: "100", tags: ["100"] });
 * const meta = await client.lookupKey("configuration", "100");
 * client.close();
 * ```
 *
 * @module
 */
import { releaseBytes } from "../../core/blob/bytes.ts";
import { PackedBlob } from "../../core/blob/packed.ts";
import { SinkError, TransientError } from "../../core/errors.ts";
import { JsonArrayReader, JsonArrayStreamError } from "../../core/json/array_stream.ts";
import { sleep } from "../../core/pipeline/retry.ts";
import { maskUriCredentials, redact } from "../../core/redact.ts";
import type { Logger } from "../../core/roles.ts";
import { authorizationHeader, type DigestChallenge, parseChallenge } from "./digest.ts";
import { createTransport, NetworkError, type Transport } from "./transport.ts";

/** Metadata of one version, as the server emits it (key order kept). */
export interface VersionMeta {
  /** Object name. */
  object: string;
  /** Fully qualified folder (`public.run_records`). */
  folder: string;
  /** Validity time, float seconds. */
  tv: number;
  /** Record time, float seconds since the epoch. */
  tr: number;
  /** Tags of the version. */
  tags: string[];
  /** Adler-32 of the stored bytes, unsigned. */
  adler32: number;
  /** Same as `adler32`. */
  uadler32?: number;
  /** Size of the stored bytes. */
  data_size: number;
  /** Storage key of the (de-duplicated) blob; not the version key. */
  data_key: string;
  /** Version id, unique in the folder. */
  id: number;
  /** Null for versions put without a key or whose key was moved by `override=yes`. */
  key: string | null;
}

/** Client settings. */
export interface ClientOptions {
  /** Base URL (e.g. `https://host:9443/<instance>/app`); endpoints are appended. */
  serverUrl: string;
  /** Folder name as configured (`run_records` or `ns.run_records`). */
  folder: string;
  /** Digest user for puts (none: puts are sent unauthenticated). */
  user?: string;
  /** Digest password for puts. */
  password?: string;
  /** Deadline of each request, seconds. */
  timeoutSeconds: number;
  /** Extra attempts after a 5xx or network failure (0 = try once). Default 4. */
  retries?: number;
  /** First backoff delay in ms (doubles each retry, with jitter). Default 250. */
  retryBaseMs?: number;
  /** Longest backoff delay in ms. Default 8000. */
  retryMaxMs?: number;
  /** PEM text of extra CA certificates. */
  caPem?: string;
  /** Skip TLS verification (explicit opt-in; the sink logs a loud warning). */
  insecureSkipVerify?: boolean;
  /** Where retries are reported (warn). */
  logger?: Logger;
  /** Injected transport (tests, the embedded server's re-resolving one); default from the TLS settings. */
  transport?: Transport;
  /** How messages name the server (default: `serverUrl` with credentials masked), e.g. `embedded:<dir>`. */
  displayUrl?: string;
}

/** Options of `put`. */
export interface PutOptions {
  /** Version key (unique per object unless `override`). */
  key?: string;
  /** Tags to attach. */
  tags?: string[];
  /** Move the key from an existing version to the new one (`override=yes`). Default false. */
  override?: boolean;
  /** Validity time (float seconds); the server defaults it to 0. */
  tv?: number;
}

/** The server refused a put because the object already has a version with this key. Never retried. */
export class KeyExistsError extends SinkError {}

interface Answer {
  status: number;
  headers: Headers;
  body: Uint8Array;
  /** The server's message: `<h3>` of an Application Error page, else the first line of the body. */
  message: string;
}

const decoder = new TextDecoder();

interface RequestOptions {
  /** The body, whole or in parts (see `HttpRequest.body`). */
  body?: Uint8Array | readonly Uint8Array[];
  contentType?: string;
  authenticate?: boolean;
  /**
   * Makes the consumer of a successful answer's body, once per attempt (a retried request starts a fresh one);
   * the answer's `body` is then empty (see `HttpRequest.onBody`).
   */
  onBody?: () => (chunk: Uint8Array) => void;
}

/** UconDB REST client. */
export class UconDBClient {
  readonly #base: string;
  readonly #folder: string;
  readonly #options: ClientOptions;
  readonly #transport: Transport;
  readonly #timeoutMs: number;
  readonly #retries: number;
  #challenge: DigestChallenge | null = null;
  #nonceCount = 0;

  /** A client for one folder; no request is made until a method is called. */
  constructor(options: ClientOptions) {
    if (!(options.timeoutSeconds > 0)) throw new SinkError("UconDB client: timeout_seconds must be > 0");
    this.#options = options;
    this.#base = options.serverUrl.replace(/\/+$/, "");
    this.#folder = options.folder;
    this.#timeoutMs = options.timeoutSeconds * 1000;
    this.#retries = options.retries ?? 4;
    this.#transport = options.transport ??
      createTransport({ caPem: options.caPem, insecureSkipVerify: options.insecureSkipVerify });
  }

  /** The base URL without credentials, for messages. */
  get displayUrl(): string {
    return redact(this.#options.displayUrl ?? maskUriCredentials(this.#base));
  }

  /** Server version text (`GET /version`), e.g. `3.9.7`. */
  async version(): Promise<string> {
    const answer = await this.#request("GET", "/version");
    this.#expectOk(answer, "GET /version");
    return decoder.decode(answer.body).trim();
  }

  /** Folder names (`GET /folders`). */
  async folders(): Promise<string[]> {
    const answer = await this.#request("GET", "/folders");
    this.#expectOk(answer, "GET /folders");
    return this.#json(answer, "GET /folders") as string[];
  }

  /**
   * Every version of `object`, newest first (`GET /versions`), each as `pick` makes it (by default its whole
   * metadata). An object without versions gives `[]`; a missing folder throws. Versions with `key: null` are
   * returned as such. The answer (every version, unpaged: ~230 bytes each) is read as it arrives and each record
   * is dropped once picked, so listing 100,000 versions holds only what `pick` keeps.
   *
   * @example
   * ```ts
   * const keys = await client.listVersions("configuration", (meta) => meta.key);
   * ```
   */
  async listVersions<T = VersionMeta>(
    object: string,
    pick: (meta: VersionMeta) => T = (meta) => meta as T,
  ): Promise<T[]> {
    const path = `/versions${query({ folder: this.#folder, object })}`;
    const what = "GET /versions";
    let picked: T[] = [];
    let reader: JsonArrayReader<unknown> | undefined;
    const answer = await this.#request("GET", path, {
      onBody: () => {
        picked = [];
        reader = new JsonArrayReader((items) => {
          for (const item of items) {
            if (item === null || typeof item !== "object") {
              throw this.#protocolError(what, "a version is not an object");
            }
            picked.push(pick(item as VersionMeta));
          }
        });
        return (chunk) => this.#readJson(() => reader!.push(chunk), what);
      },
    });
    if (answer.status === 404 && /^Object /.test(answer.message)) return [];
    this.#expectFolder(answer);
    this.#expectOk(answer, what);
    this.#readJson(() => reader!.end(), what);
    return picked;
  }

  /** Metadata of the versions of `object` holding `keys` (`POST /lookup_versions`); missing keys are absent. */
  async lookupKeys(object: string, keys: string[]): Promise<VersionMeta[]> {
    if (keys.length === 0) return [];
    const path = `/lookup_versions${query({ folder: this.#folder, object })}`;
    const body = new TextEncoder().encode(JSON.stringify({ keys }));
    const answer = await this.#request("POST", path, { body, contentType: "application/json" });
    if (answer.status === 404 && /^Object /.test(answer.message)) return [];
    this.#expectFolder(answer);
    this.#expectOk(answer, "POST /lookup_versions");
    const records: VersionMeta[] = [];
    for (const part of decoder.decode(answer.body).split("\x1e")) {
      if (part.trim() === "") continue;
      let record: unknown;
      try {
        record = JSON.parse(part);
      } catch {
        throw this.#protocolError("POST /lookup_versions", "a json-seq record is not JSON");
      }
      if (record && typeof record === "object") records.push(record as VersionMeta);
    }
    return records;
  }

  /** Metadata of the version of `object` with `key`, or null. */
  async lookupKey(object: string, key: string): Promise<VersionMeta | null> {
    return (await this.lookupKeys(object, [key])).find((meta) => meta.key === key) ?? null;
  }

  /** The blob of the version of `object` with `key` (`GET /data/F/O?key=K`), or null when there is none. */
  async getByKey(object: string, key: string): Promise<Uint8Array | null> {
    return (await this.#getByKey(object, key))?.body ?? null;
  }

  /**
   * Whether the version of `object` with `key` holds exactly `blob` (`GET /data/F/O?key=…`, compared piece by piece
   * as it arrives: the download is never held whole), or null when there is no such version.
   *
   * @example
   * ```ts
   * const same = await client.compareByKey("configuration", "12345", blob); // true, false, or null when missing
   * ```
   */
  async compareByKey(object: string, key: string, blob: PackedBlob): Promise<boolean | null> {
    let comparison = blob.comparison();
    const answer = await this.#getByKey(object, key, () => {
      comparison = blob.comparison(); // a retried request compares afresh
      return (chunk) => {
        comparison.push(chunk);
        releaseBytes(chunk); // compared: freed now (a whole buffer the transport handed over; a view is left alone)
      };
    });
    return answer === null ? null : comparison.matches();
  }

  /** `GET /data/F/O?key=K`: the answer (its body to `onBody` when given), or null when there is no such version. */
  async #getByKey(object: string, key: string, onBody?: RequestOptions["onBody"]): Promise<Answer | null> {
    const path = `/data/${encodeURIComponent(this.#folder)}/${encodeURIComponent(object)}${query({ key })}`;
    const answer = await this.#request("GET", path, onBody ? { onBody } : {});
    if (answer.status === 404 && /Version not found/.test(answer.message)) return null;
    // The real server answers a missing object with a 500 about `NoneType ... getVersion`.
    if (answer.status === 500 && /NoneType.*getVersion/.test(answer.message)) return null;
    this.#expectFolder(answer);
    this.#expectOk(answer, "GET /data");
    return answer;
  }

  /**
   * Create a version of `object` holding `data` (`POST /data/F/O?full_meta=yes`, Digest auth): bytes, or a blob in
   * parts (core/blob/packed.ts), sent without joining them on plain HTTP. Throws `KeyExistsError` when `key` is
   * taken and `override` is not set.
   */
  async put(object: string, data: Uint8Array | PackedBlob, options: PutOptions = {}): Promise<VersionMeta> {
    const params: Record<string, string | string[] | undefined> = {
      key: options.key,
      override: options.key !== undefined ? (options.override ? "yes" : "no") : undefined,
      tag: options.tags,
      tv: options.tv !== undefined ? String(options.tv) : undefined,
      full_meta: "yes",
    };
    const path = `/data/${encodeURIComponent(this.#folder)}/${encodeURIComponent(object)}${query(params)}`;
    const answer = await this.#request("POST", path, {
      body: data instanceof PackedBlob ? data.parts : data,
      contentType: "application/octet-stream",
      authenticate: true,
    });
    this.#expectFolder(answer);
    this.#expectOk(answer, "POST /data");
    const meta = this.#json(answer, "POST /data") as VersionMeta;
    if (typeof meta?.data_size !== "number" || typeof meta?.adler32 !== "number") {
      throw this.#protocolError("POST /data", "the put answer carries no data_size/adler32 metadata");
    }
    return meta;
  }

  /** Release pooled connections. */
  close(): void {
    this.#transport.close();
  }

  /**
   * One logical request: retried on network failures and 5xx (except the deterministic 500s), answering a Digest
   * challenge once per attempt, pre-authenticating once a challenge is known.
   */
  async #request(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<Answer> {
    const url = this.#base + path;
    const what = `${method} ${this.displayUrl}${path.split("?")[0]}`;
    for (let attempt = 0;; attempt++) {
      let failure: string;
      try {
        const answer = await this.#sendAuthenticated(method, url, options);
        if (answer.status < 500) return answer;
        if (/already exists/i.test(answer.message)) {
          throw new KeyExistsError(`UconDB ${what}: ${answer.message}`);
        }
        if (isDeterministicServerError(answer.message)) return answer;
        failure = `HTTP ${answer.status}: ${answer.message}`;
      } catch (error) {
        if (!(error instanceof NetworkError)) throw error;
        if (/certificate|UnknownIssuer|self.signed/i.test(error.message)) {
          // A certificate problem does not go away by retrying.
          throw new SinkError(
            redact(
              `UconDB ${what}: TLS verification failed (${error.message}); trust the server's CA with ucon_db.ca_file`,
            ),
          );
        }
        failure = error.message;
      }
      if (attempt >= this.#retries) {
        throw new TransientError(
          redact(`UconDB ${what} failed after ${attempt + 1} attempt(s): ${failure}; check the server and retry`),
        );
      }
      const delay = this.#backoff(attempt);
      this.#options.logger?.warn(redact(`UconDB ${what}: ${failure}; retrying in ${delay} ms`), {
        attempt: attempt + 1,
      });
      await sleep(delay);
    }
  }

  async #sendAuthenticated(
    method: string,
    url: string,
    options: RequestOptions,
  ): Promise<Answer> {
    const send = async () => {
      const headers: Record<string, string> = {};
      if (options.contentType) headers["content-type"] = options.contentType;
      const authorization = options.authenticate ? this.#authorization(method, url) : undefined;
      if (authorization) headers.authorization = authorization;
      const response = await this.#transport.send({
        method,
        url,
        headers,
        body: options.body ?? (method === "POST" ? new Uint8Array() : undefined),
        timeoutMs: this.#timeoutMs,
        onBody: options.onBody?.(),
      });
      return { ...response, message: serverMessage(response.body), sentAuthorization: authorization !== undefined };
    };
    let answer = await send();
    if (answer.status !== 401 || !options.authenticate) return answer;
    const challenge = parseChallenge(answer.headers.get("www-authenticate"));
    const staleOrFirst = challenge && (!answer.sentAuthorization || challenge.nonce !== this.#challenge?.nonce);
    if (challenge && staleOrFirst && this.#options.user !== undefined) {
      this.#challenge = challenge;
      this.#nonceCount = 0;
      answer = await send();
    }
    if (answer.status === 401) {
      throw new SinkError(
        this.#options.user === undefined
          ? `UconDB ${this.displayUrl} requires authentication for folder '${this.#folder}'; set ucon_db.writer_user and writer_password`
          : `UconDB ${this.displayUrl} rejected the credentials of user '${this.#options.user}' for folder '${this.#folder}' (HTTP 401); check ucon_db.writer_user and writer_password`,
      );
    }
    return answer;
  }

  #authorization(method: string, url: string): string | undefined {
    if (!this.#challenge || this.#options.user === undefined) return undefined;
    const target = new URL(url);
    return authorizationHeader(this.#challenge, {
      user: this.#options.user,
      password: this.#options.password ?? "",
      method,
      uri: target.pathname + target.search,
      count: ++this.#nonceCount,
    });
  }

  /** Exponential backoff with jitter: uniformly in [d/2, d] for d = base·2^attempt, capped. */
  #backoff(attempt: number): number {
    const cap = this.#options.retryMaxMs ?? 8000;
    const full = Math.min(cap, (this.#options.retryBaseMs ?? 250) * 2 ** attempt);
    return Math.round(full / 2 + Math.random() * full / 2);
  }

  #expectFolder(answer: Answer): void {
    const missing = (answer.status === 404 && /^Folder /.test(answer.message)) ||
      (answer.status === 500 && /NoneType.*getObject/.test(answer.message));
    if (missing) {
      throw new SinkError(
        `UconDB folder '${this.#folder}' does not exist at ${this.displayUrl}; create it ` +
          `(/create_folder?folder=${this.#folder} with the writer's credentials) or fix ucon_db.folder_name`,
      );
    }
  }

  #expectOk(answer: Answer, what: string): void {
    if (answer.status === 200) return;
    throw new SinkError(redact(`UconDB ${what} at ${this.displayUrl}: HTTP ${answer.status}: ${answer.message}`));
  }

  #json(answer: Answer, what: string): unknown {
    try {
      return JSON.parse(decoder.decode(answer.body));
    } catch {
      throw this.#protocolError(what, "answer is not JSON");
    }
  }

  /** Runs a step of a streamed JSON reading; a malformed answer is a protocol error. */
  #readJson(step: () => void, what: string): void {
    try {
      step();
    } catch (error) {
      if (error instanceof JsonArrayStreamError) {
        throw this.#protocolError(what, `answer is not a JSON array: ${error.message}`);
      }
      throw error;
    }
  }

  #protocolError(what: string, problem: string): SinkError {
    return new SinkError(`UconDB ${what} at ${this.displayUrl}: ${problem}; is server_url a UconDB base URL?`);
  }
}

/** 500s that a retry cannot change: missing folder/object/id, rejected argument values. */
function isDeterministicServerError(message: string): boolean {
  return /NoneType|Invalid argument value|Invalid path element|must be specified/.test(message);
}

/** `?a=1&tag=x&tag=y` with every value percent-encoded (`+` as `%2B`); undefined values left out. */
function query(params: Record<string, string | string[] | undefined>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) {
      parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(item)}`);
    }
  }
  return parts.length ? `?${parts.join("&")}` : "";
}

/** The server's message in an answer body: the `<h3>` of webpie's Application Error page, else the first line. */
function serverMessage(body: Uint8Array): string {
  const text = decoder.decode(body.subarray(0, 4096));
  const heading = /<h3>([\s\S]*?)<\/h3>/i.exec(text);
  const message = heading ? heading[1] : text.replace(/<[^>]+>/g, " ");
  return message.replace(/\s+/g, " ").trim().slice(0, 300);
}
