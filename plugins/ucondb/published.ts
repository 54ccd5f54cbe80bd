/**
 * `<dir>/server.json`: where the process holding an embedded UconDB directory listens. The holder writes it
 * atomically (temporary file + rename) once it listens and removes it when it closes, both while it holds the
 * directory's lock, so only a crashed holder leaves a stale file behind; readers recognise that by its dead PID or a
 * server that does not answer, and the next process to take the lock overwrites it.
 *
 * ```json
 * {"url": "http://127.0.0.1:40123", "pid": 4242, "startedAt": "2026-11-29T15:00:00.000Z"}
 * ```
 *
 * @example
 * ```ts
 * import { readPublished } from "./published.ts";
 * const holder = await readPublished("/var/lib/archiver/ucondb"); // { url, pid, startedAt } | null
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../../core/state/atomic.ts";

/** The published address of a directory's holder. */
export interface PublishedServer {
  /** Base URL of its UconDB-compatible server (`http://127.0.0.1:<port>`). */
  url: string;
  /** Process id of the holder. */
  pid: number;
  /** When it started listening (ISO time). */
  startedAt: string;
}

/** File name of the published address inside the server directory. */
const PUBLISHED_FILE = "server.json";

/** Write `server` as `<dir>/server.json`, atomically: a reader sees the old file, no file, or the whole new one. */
export async function publishServer(dir: string, server: PublishedServer): Promise<void> {
  await writeFileAtomic(join(dir, PUBLISHED_FILE), JSON.stringify(server) + "\n");
}

/** Remove `<dir>/server.json` (absent is fine). Only the lock holder calls this. */
export async function unpublishServer(dir: string): Promise<void> {
  await Deno.remove(join(dir, PUBLISHED_FILE)).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
}

/**
 * The published holder of `dir`, or null when there is no file or it is not a well-formed `http://` address with
 * a PID (a half-written file cannot be seen: it is renamed into place).
 */
export async function readPublished(dir: string): Promise<PublishedServer | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(join(dir, PUBLISHED_FILE));
  } catch {
    return null;
  }
  try {
    const value = JSON.parse(text);
    if (typeof value?.url !== "string" || !Number.isInteger(value?.pid) || value.pid <= 0) return null;
    if (new URL(value.url).protocol !== "http:") return null;
    return { url: value.url, pid: value.pid, startedAt: String(value.startedAt ?? "") };
  } catch {
    return null;
  }
}
