/**
 * Task functions for the offload pool tests (tests/offload/pool.test.ts), run on pool threads.
 *
 * @module
 */
import { getHeapSpaceStatistics } from "node:v8";
import { RunInputError } from "../../core/errors.ts";
import { parse } from "../../core/fhicl/mod.ts";

/** When this module was loaded on its thread (`performance.now()` of the thread). */
const LOADED_AT = performance.now();

/** {@link LOADED_AT}, and the thread's clock now. */
export function loadedAt(): [number, number] {
  return [LOADED_AT, performance.now()];
}

/** Sum of numbers. */
export function add(a: number, b: number): number {
  return a + b;
}

/** `count` bytes of `value`, in two views of one buffer and one of its own, plus how many bytes it was given. */
export function bytes(count: number, value: number, given?: Uint8Array): {
  halves: Uint8Array[];
  own: Uint8Array;
  given: number;
} {
  const whole = new Uint8Array(count).fill(value);
  return {
    halves: [whole.subarray(0, count / 2), whole.subarray(count / 2)],
    own: new Uint8Array([value]),
    given: given?.length ?? -1,
  };
}

/** Throws a RunInputError for `run`. */
export function failRun(run: number): never {
  throw new RunInputError(`run ${run}: broken on purpose`, { run });
}

/** Parses FHiCL (throws FhiclSyntaxError for bad text). */
export function parseFhicl(text: string): number {
  return parse(text, { filename: "bad.fcl" }).entries.length;
}

/** Async work, to check that a thread awaits a task's promise. */
export async function later(value: string): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 5));
  return value;
}

/** Which thread this is: a worker defines `WorkerGlobalScope`, the main thread does not. */
export function where(): string {
  return typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope === "function" ? "worker" : "main";
}

/** Holds its thread for `ms` (busy), then returns `value`. */
export function hold(ms: number, value: number): number {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* busy */ }
  return value;
}

const IDENTITY = crypto.randomUUID();

/** A token of this thread (the same for every call it runs). */
export function identity(): string {
  return IDENTITY;
}

/** The same token, as another task. */
export function identityAgain(): string {
  return IDENTITY;
}

let kept: Uint8Array | undefined;

/**
 * Keeps a reference to `bytes` past the call and returns their length; without `bytes`, the length of those kept
 * by the last call, now (one task, so that both calls go to the same thread).
 */
export function keep(bytes?: Uint8Array): number {
  if (bytes) kept = bytes;
  return kept?.length ?? -1;
}

/**
 * Makes `count` strings of ~300 kB (each a large object of its own) survive young-generation collections, so that
 * they end up in the old large-object space, drops them, and returns the bytes of this thread's large-object space
 * (needs `--expose-gc`).
 */
export function promoteLargeStrings(count: number): number {
  const gc = (globalThis as { gc?: (options: { type: string }) => void }).gc!;
  const held = Array.from({ length: count }, () => new TextDecoder().decode(new Uint8Array(300_000).fill(120)));
  gc({ type: "minor" });
  gc({ type: "minor" });
  held.length = 0;
  return getHeapSpaceStatistics().find((space) => space.space_name === "large_object_space")!.space_size;
}
