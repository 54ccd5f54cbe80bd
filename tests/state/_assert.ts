/**
 * Assertions for the state, lock and pipeline tests (node:assert/strict underneath; JSR is unreachable).
 *
 * @module
 */
import assert from "node:assert/strict";

/** Deep strict equality. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  assert.deepStrictEqual(actual, expected, message);
}

/** Awaits `fn`, asserts it rejects with an instance of `type`, returns the error. */
export async function assertRejects<E extends Error>(
  fn: () => Promise<unknown>,
  type: new (...args: never[]) => E,
): Promise<E> {
  try {
    await fn();
  } catch (error) {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    return error as E;
  }
  throw new assert.AssertionError({ message: `expected ${type.name} to be thrown` });
}
