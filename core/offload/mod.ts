/**
 * CPU work on the machine's other cores: a small pool of persistent worker threads (Deno `Worker`s) that call
 * exported functions of task modules. The archiver's JavaScript runs on one thread; converting a 12 MB run
 * (FHiCL → stored documents, stored documents → the exported FHiCL) keeps that thread busy for most of a second,
 * while the other cores idle. A task that takes text or bytes and returns bytes can run on a pool thread instead:
 * text is copied into the thread (a memory copy, ~10 ms for 12 MB), byte buffers are copied or, when the caller
 * names them in `transfer`, moved, and the result's byte buffers are *transferred* back (no copy). The thread frees
 * its copies of a call's byte buffers when the call ends (core/offload/worker.ts).
 *
 * - A task is `(module, name, args)`: the thread imports `module` (a URL; once per thread) and calls
 *   `module[name](...args)`. Arguments cross by structured clone; every `Uint8Array` of the result (top level,
 *   in arrays, or one object level down) is transferred.
 * - Calls go to the thread with the fewest calls in work. Threads start on first use and stay (their compiled
 *   code stays warm) until the pool is closed or has been idle for {@link IDLE_MS}, so a process that forgets to
 *   close its pool still exits.
 * - A thread serves every task (the import's conversion, then the migration's rendering): round 7 replaced a thread
 *   whose next task differed, when its heap still held ~50–100 MB of the last kind of work; since the runs' bytes move
 *   to the threads and their young generations are 16 MB, keeping it costs no memory and saves starting two threads
 *   (BENCHMARKS.md round 10: 10 runs of 12 MB, CPU −0.5 s in 5 of 6 pairs, the same peak RSS).
 * - At most {@link MAX_QUEUED} calls wait at each thread; later calls wait here, their arguments not yet copied:
 *   a posted call's arguments are serialized at once into a buffer of their size, so posting every stretch of two
 *   12 MB runs would hold a copy of both runs until the threads got to them.
 * - A thrown error comes back as the nearest class this thread knows (`RunInputError`, `StoreError`, …, a
 *   `FhiclSyntaxError` as a `RunInputError` named `FhiclSyntaxError`) with its message, `run` and `stage`:
 *   callers handle an offloaded call exactly like a local one.
 * - A pool of size 0 runs every call on the calling thread (same results; for small inputs, tests and
 *   debugging).
 *
 * Measured (BENCHMARKS.md round 4): copying 12 MB of text in and 30 MB of bytes out costs ~25 ms a run, against
 * ~700 ms of conversion moved off the main thread.
 *
 * @example
 * ```ts
 * import { OffloadPool } from "./core/offload/mod.ts";
 * const pool = new OffloadPool(2);
 * const sum = await pool.call<number>(new URL("./my_tasks.ts", import.meta.url), "add", [1, 2]);
 * await pool.close();
 * ```
 *
 * @module
 */
import * as errors from "../errors.ts";

/** An error as it crosses the thread boundary. */
export interface SerializedError {
  name: string;
  /** Constructor names from the error's class up to `Error` (`FhiclSyntaxError`, `RunInputError`, ...). */
  chain: string[];
  message: string;
  run?: number;
  stage?: string;
}

/** A call's result as the thread posts it. */
export type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: SerializedError };

/** What the pool posts to a thread. */
export interface Call {
  id: number;
  module: string;
  name: string;
  args: unknown[];
}

/**
 * How long an idle thread is kept. A Deno worker keeps the process alive while it exists and cannot be
 * unreferenced, so a pool nobody closes stops its idle threads after this; a pipeline calls far more often.
 */
const IDLE_MS = 1000;

/** Calls posted to one thread at a time (the one it works on and the next, so it never waits for the caller). */
export const MAX_QUEUED = 2;

/** Turns any thrown value into plain data that keeps its class chain, message, run and stage. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const archiver = error instanceof errors.ArchiverError ? error : undefined;
    const chain: string[] = [];
    for (
      let proto = Object.getPrototypeOf(error);
      proto && proto !== Object.prototype;
      proto = Object.getPrototypeOf(proto)
    ) {
      chain.push(proto.constructor.name);
    }
    return { name: error.name, chain, message: error.message, run: archiver?.run, stage: archiver?.stage };
  }
  return { name: "Error", chain: ["Error"], message: String(error) };
}

const ARCHIVER_ERRORS: Record<string, typeof errors.ArchiverError> = {
  ArchiverError: errors.ArchiverError,
  ConfigurationError: errors.ConfigurationError,
  UsageError: errors.UsageError,
  RunInputError: errors.RunInputError,
  NotFoundError: errors.NotFoundError,
  ConflictError: errors.ConflictError,
  VerificationError: errors.VerificationError,
  StoreError: errors.StoreError,
  SinkError: errors.SinkError,
  LockHeldError: errors.LockHeldError,
  StateError: errors.StateError,
  FuzzSkipError: errors.FuzzSkipError,
  TransientError: errors.TransientError,
};

const DENO_ERRORS = Deno.errors as Record<string, (new (message: string) => Error) | undefined>;
const BUILTIN_ERRORS: Record<string, new (message: string) => Error> = { TypeError, RangeError, SyntaxError, Error };

/** The error thrown on the other thread, as the nearest class of its chain this thread knows. */
export function reviveError(data: SerializedError): Error {
  let error: Error | undefined;
  for (const name of data.chain) {
    const Archiver = ARCHIVER_ERRORS[name];
    if (Archiver) error = new Archiver(data.message, { run: data.run, stage: data.stage });
    else if (DENO_ERRORS[name]) error = new DENO_ERRORS[name]!(data.message);
    else if (BUILTIN_ERRORS[name]) error = new BUILTIN_ERRORS[name](data.message);
    if (error) break;
  }
  error ??= new Error(data.message);
  if (error.name !== data.name) error.name = data.name;
  return error;
}

/**
 * The buffers of every `Uint8Array` in `value` (itself, an array's elements, an object's values, and one level
 * further down), each once: what a reply transfers instead of copying.
 */
export function transferables(value: unknown, depth = 3, found = new Set<ArrayBuffer>()): ArrayBuffer[] {
  if (value instanceof Uint8Array) {
    if (value.buffer instanceof ArrayBuffer) found.add(value.buffer);
  } else if (depth > 0 && value !== null && typeof value === "object") {
    for (const item of Array.isArray(value) ? value : Object.values(value)) transferables(item, depth - 1, found);
  }
  return [...found];
}

interface Thread {
  worker: Worker;
  pending: Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>;
  idleTimer?: ReturnType<typeof setTimeout>;
}

/** A pool of worker threads running task functions (see the module doc). */
export class OffloadPool {
  readonly size: number;
  #threads: Thread[] = [];
  /** Calls not yet posted (every thread had {@link MAX_QUEUED}), oldest first. */
  #waiting: Array<{
    call: Call;
    transfer: Transferable[];
    resolve: (value: unknown) => void;
    reject: (error: Error) => void;
  }> = [];
  #nextId = 0;
  #closed = false;

  /** `size` 0 runs every call on the calling thread. */
  constructor(size: number) {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`offload pool size must be >= 0, not ${size}`);
    this.size = size;
  }

  /**
   * Calls `module[name](...args)` on a pool thread; resolves or rejects as the function does. Buffers in
   * `transfer` move to the thread instead of being copied (they are unusable here afterwards; on a pool of size
   * 0 they are left as they are).
   */
  async call<T>(module: string | URL, name: string, args: unknown[], transfer: Transferable[] = []): Promise<T> {
    const specifier = String(module);
    if (this.size === 0) return await runCall<T>(specifier, name, args);
    if (this.#closed) throw new Error("the offload pool is closed");
    return await new Promise<unknown>((resolve, reject) => {
      this.#waiting.push({ call: { id: ++this.#nextId, module: specifier, name, args }, transfer, resolve, reject });
      this.#dispatch();
    }) as T;
  }

  /**
   * Starts every thread not yet running and has each load `module`, without waiting: calls coming soon then find
   * their threads ready (a thread takes ~0.1 s to start and load a task module). A failure is left to the calls
   * that follow to report; a thread that gets no call stops after {@link IDLE_MS} as any idle thread.
   *
   * @example
   * ```ts
   * pool.warm(new URL("./my_tasks.ts", import.meta.url)); // while this thread reads the first input
   * ```
   */
  warm(module: string | URL): void {
    if (this.#closed) return;
    for (let i = this.#threads.length; i < this.size; i++) this.call(module, "", []).catch(() => {});
  }

  /** Threads running (started, not stopped). */
  get running(): number {
    return this.#threads.length;
  }

  /** Calls not yet posted to a thread (every thread had `MAX_QUEUED`). */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Stops the threads; calls in work or waiting are rejected. The pool cannot be used afterwards. */
  close(): Promise<void> {
    this.#closed = true;
    const error = new Error("the offload pool was closed");
    for (const thread of [...this.#threads]) this.#stop(thread, error);
    for (const waiting of this.#waiting.splice(0)) waiting.reject(error);
    return Promise.resolve();
  }

  /** Posts waiting calls, in order, while some thread has room (see {@link MAX_QUEUED}). */
  #dispatch(): void {
    while (this.#waiting.length > 0) {
      const thread = this.#pick();
      if (!thread) return;
      const { call, transfer, resolve, reject } = this.#waiting.shift()!;
      thread.pending.set(call.id, { resolve, reject });
      clearTimeout(thread.idleTimer);
      thread.worker.postMessage(call, transfer);
    }
  }

  /** The thread a call goes to: an idle one (started if need be), else the least busy with room, else none. */
  #pick(): Thread | undefined {
    if (this.#threads.length < this.size) {
      return this.#threads.find((thread) => thread.pending.size === 0) ?? this.#start();
    }
    const best = this.#threads.reduce((best, thread) => thread.pending.size < best.pending.size ? thread : best);
    return best.pending.size < MAX_QUEUED ? best : undefined;
  }

  #start(): Thread {
    const worker = new Worker(new URL("./worker.ts", import.meta.url).href, { type: "module" });
    const thread: Thread = { worker, pending: new Map() };
    worker.onmessage = (event: MessageEvent<Reply>) => {
      const reply = event.data;
      const waiting = thread.pending.get(reply.id);
      if (!waiting) return;
      thread.pending.delete(reply.id);
      if (thread.pending.size === 0) {
        const timer = setTimeout(() => this.#stop(thread), IDLE_MS);
        Deno.unrefTimer(timer);
        thread.idleTimer = timer;
      }
      if (reply.ok) waiting.resolve(reply.value);
      else waiting.reject(reviveError(reply.error));
      this.#dispatch();
    };
    // A thread that dies (a bug in a task module, an uncloneable result) fails its calls, never the process; the
    // next call starts a new thread.
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#stop(thread, new Error(`an offload thread stopped: ${event.message}`));
    };
    worker.onmessageerror = () => this.#stop(thread, new Error("an offload thread sent an unreadable reply"));
    this.#threads.push(thread);
    return thread;
  }

  #stop(thread: Thread, error?: Error) {
    clearTimeout(thread.idleTimer);
    this.#threads = this.#threads.filter((other) => other !== thread);
    thread.worker.terminate();
    for (const waiting of thread.pending.values()) waiting.reject(error ?? new Error("offload thread stopped"));
    thread.pending.clear();
    if (!this.#closed) this.#dispatch(); // calls waiting for room go to the other threads or a new one
  }
}

/** Runs one call on this thread (the thread's loop, and pools of size 0); name "" only loads the module. */
export async function runCall<T>(module: string, name: string, args: unknown[]): Promise<T> {
  const loaded = await import(module);
  if (name === "") return undefined as T;
  const fn = loaded[name];
  if (typeof fn !== "function") throw new TypeError(`offload task ${name} is not a function of ${module}`);
  return await fn(...args) as T;
}
