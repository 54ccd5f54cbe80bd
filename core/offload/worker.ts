/**
 * A thread of core/offload/mod.ts: runs each posted call and posts its result (its byte buffers transferred, not
 * copied) or its error. Calls run one after another: each is CPU work.
 *
 * @module
 */
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
  scope.postMessage(reply, transfer);
};
