/**
 * A thread of core/offload/mod.ts: runs each posted call and posts its result (its byte buffers transferred, not
 * copied) or its error. Calls run one after another: each is CPU work. The byte buffers of a call's arguments are
 * this thread's copies: they are freed when the call ends, not when this thread next collects its heap.
 *
 * @module
 */
import { getHeapSpaceStatistics } from "node:v8";
import { releaseBytes } from "../blob/bytes.ts";
import { type Call, type Reply, runCall, serializeError, transferables } from "./mod.ts";

const scope = self as unknown as {
  onmessage: (event: MessageEvent<Call>) => void;
  postMessage(reply: Reply, transfer?: Transferable[]): void;
};

scope.onmessage = async (event) => {
  const call = event.data;
  let reply: Reply;
  let transfer: ArrayBuffer[] = [];
  try {
    const value = await runCall(call.module, call.name, call.args);
    transfer = transferables(value);
    reply = { id: call.id, ok: true, value };
  } catch (error) {
    reply = { id: call.id, ok: false, error: serializeError(error) };
  }
  const returned = new Set(transfer);
  for (const buffer of transferables(call.args)) {
    if (!returned.has(buffer)) releaseBytes(new Uint8Array(buffer));
  }
  scope.postMessage(reply, transfer);
  collectLargeObjects();
};

/**
 * Bytes of large objects (over ~128 kB: a stored document decoded for the export, ~300 kB) past which this thread
 * runs a full collection after a call.
 */
const LARGE_OBJECT_BYTES = 8 << 20;

/**
 * A large object that outlives one young-generation collection (a document text being parsed when one comes) is
 * freed only by a full collection, which V8 makes when the old generation has grown far, and these threads' old
 * generation barely grows: their large-object space grew by ~1 MB a second through a whole migration, each object
 * a mapping of its own (BENCHMARKS.md round 10). One full collection of a thread's small heap takes a few ms.
 */
function collectLargeObjects(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== "function") return;
  const space = getHeapSpaceStatistics().find((space) => space.space_name === "large_object_space");
  if (space && space.space_size > LARGE_OBJECT_BYTES) gc();
}
