/**
 * Small assertion helpers over node:assert/strict for the JSON and FHiCL tests (JSR's std/assert is unreachable).
 *
 * @module
 */
import assert from "node:assert/strict";

/** Deep strict equality. */
export function assertEquals<T>(actual: unknown, expected: T, message?: string): void {
  assert.deepStrictEqual(actual, expected, message);
}

/** Truthiness. */
export function assertOk(value: unknown, message?: string): asserts value {
  assert.ok(value, message);
}

/** Runs `fn`, requires it to throw an instance of `type` whose message includes `includes`; returns the error. */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  type: abstract new (...args: never[]) => E,
  includes?: string,
  message?: string,
): E {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof type, `${message ?? ""} expected ${type.name}, got ${String(error)}`);
    if (includes !== undefined) {
      assert.ok((error as E).message.includes(includes), `"${(error as E).message}" lacks "${includes}"`);
    }
    return error as E;
  }
  throw new assert.AssertionError({ message: `${message ?? ""} expected ${type.name} to be thrown` });
}
