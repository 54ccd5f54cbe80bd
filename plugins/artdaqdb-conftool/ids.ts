/**
 * Document ids (`_id.$oid`, artdaq-database.md §4.3): 24 lower-case hex digits, valid as a MongoDB ObjectId and
 * used as the file name `<oid>.json` by the filesystem provider.
 *
 * artdaq_database draws them at random. We derive the id of a document we write from its identity (collection,
 * configuration, version, entity) instead, so that a retry after a crash rewrites the same file or the same
 * MongoDB document rather than adding a duplicate: the retry-safety artdaq_database lacks (original-archiver.md
 * §16.1-3). The ids stay 24-hex values that every artdaq_database reader accepts.
 *
 * @module
 */

import { createHash } from "node:crypto";

/** What makes a stored document unique for us. */
export interface DocumentIdentity {
  collection: string;
  configuration: string;
  version: string;
  entity: string;
}

/**
 * The id of the document with this identity: the first 24 hex digits of a SHA-256 over its parts.
 *
 * @example
 * ```ts
 * documentId({ collection: "RunHistory", configuration: "12345/std", version: "12345/std", entity: "boot" });
 * // a stable 24-hex string
 * ```
 */
export function documentId(identity: DocumentIdentity): string {
  return createHash("sha256")
    .update(`${identity.collection}\0${identity.configuration}\0${identity.version}\0${identity.entity}`)
    .digest()
    .toString("hex", 0, 12); // a string of its own: a slice of the 64-digit text would keep all of it alive
}

/**
 * A random id made as artdaq_database makes one (`generate_oid`: a UUID without dashes, first 24 characters).
 *
 * @example
 * ```ts
 * randomOid().length; // 24
 * ```
 */
export function randomOid(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 24);
}
