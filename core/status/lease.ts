/**
 * A sink opened only while it is used. The embedded UconDB-compatible server (`ucon_db.server_url: embedded:<dir>`)
 * allows one process per directory; a status server that kept it open would stop every archiver run. Through a
 * lease the status server opens it for a listing or a blob download and closes it right after, so the archiver can
 * take it in between. Calls made while it is open share the one instance.
 *
 * @example
 * ```ts
 * import { leasedSink } from "./lease.ts";
 * const sink = leasedSink("embedded UconDB", () => createSink());
 * await sink.listRuns(); // opens, lists, closes
 * ```
 *
 * @module
 */
import type { Sink } from "../roles.ts";
import { describeError, SinkError } from "../errors.ts";

/** A Sink whose every call opens the real one (shared by concurrent calls) and closes it when the last call ends. */
export function leasedSink(what: string, open: () => Promise<Sink>): Sink {
  let current: Promise<Sink> | null = null;
  // The previous instance must have released the directory before the next one can take it.
  let closed: Promise<void> = Promise.resolve();
  let users = 0;
  const use = async <T>(work: (sink: Sink) => Promise<T>): Promise<T> => {
    users++;
    current ??= closed.then(open).catch((error) => {
      current = null;
      throw new SinkError(`cannot open ${what} (an archiver may be using it right now): ${describeError(error)}`);
    });
    try {
      return await work(await current);
    } finally {
      if (--users === 0 && current) {
        const closing = current;
        current = null;
        closed = closing.then((sink) => sink.close(), () => {}).catch(() => {});
        await closed;
      }
    }
  };
  return {
    kind: "leased",
    listRuns: () => use((sink) => sink.listRuns()),
    put: (run, blob) => use((sink) => sink.put(run, blob)),
    stat: (run) => use((sink) => sink.stat(run)),
    get: (run) => use((sink) => sink.get(run)),
    describe: () => what,
    close: () => Promise.resolve(),
  };
}
