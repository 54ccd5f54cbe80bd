/**
 * The `hashes` entity the SBN archiver adds to every initial archive (artdaq-database.md §6.2,
 * original-archiver.md §6.4 step 4): one line per stored entity except `schema`, sorted by entity name, giving the
 * MD5 of its UTF-8 content, then a `configuration` line with the MD5 of the entity lines `<entity>:<md5>` joined by
 * `","`. It is stored in `RunHistory`.
 *
 * One deliberate difference: the MD5 values are double-quoted (`boot:"5d41…"`). The Python archiver wrote them bare
 * (`boot:5d41…`), which is not FHiCL whenever the digest starts with a digit (10 times in 16): artdaq_database's
 * parser rejects such a document, so the store failed. The digests and the `configuration` digest (computed over
 * the unquoted `<entity>:<md5>` lines, as in Python) are unchanged. An entity name that is not a FHiCL key (e.g.
 * `my-file`) is written with `_` for each character a key cannot hold.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { Lru } from "../../core/lru.ts";

/** Entity name of the hashes document. */
export const HASHES_ENTITY = "hashes";

/**
 * One entity of the hashes document: its name and stored FHiCL text, or the text's UTF-8 bytes (hashed as they are,
 * the text is not decoded); with `sha256`, the bytes' SHA-256 (the source's), by which their MD5 is remembered.
 */
export interface HashedContent {
  entity: string;
  readonly text: string;
  bytes?: Uint8Array;
  sha256?: string;
}

/**
 * MD5s by the SHA-256 of the same bytes: consecutive runs of one configuration hash the same files (12 MB a run, ~35 ms
 * of the main thread's CPU). The least recently used go first.
 */
const MD5_BY_SHA256 = new Lru<string, string>(4096);

function md5Of(item: HashedContent): string {
  if (item.sha256 === undefined) return md5(item.bytes ?? item.text);
  let digest = MD5_BY_SHA256.get(item.sha256);
  if (digest === undefined) {
    digest = md5(item.bytes ?? item.text);
    MD5_BY_SHA256.set(item.sha256, digest);
  }
  return digest;
}

/**
 * The FHiCL text of the hashes document for the given entities (see {@link HashedContent}).
 *
 * @example
 * ```ts
 * hashesText([{ entity: "boot", text: "a: 1" }]);
 * // 'boot:"<md5 of a: 1>"\nconfiguration:"<md5 of boot:<md5>>"'
 * ```
 */
export function hashesText(entities: ReadonlyArray<HashedContent>): string {
  const digests = entities
    .filter((item) => item.entity !== "schema")
    .map((item) => ({ entity: item.entity, md5: md5Of(item) }))
    .sort((a, b) => a.entity < b.entity ? -1 : a.entity > b.entity ? 1 : 0);
  const configuration = md5(digests.map((item) => `${item.entity}:${item.md5}`).join(","));
  return [...digests.map((item) => `${fhiclKey(item.entity)}:"${item.md5}"`), `configuration:"${configuration}"`]
    .join("\n");
}

/** `name` as a top-level FHiCL key: letters, digits, `_` and `.` separators, never starting with a digit. */
function fhiclKey(name: string): string {
  const key = name.split(".").map((part) => {
    const cleaned = part.replace(/[^A-Za-z0-9_]/g, "_");
    return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
  }).join(".");
  return key;
}

function md5(content: string | Uint8Array): string {
  const hash = createHash("md5");
  return (typeof content === "string" ? hash.update(content, "utf8") : hash.update(content)).digest("hex");
}
