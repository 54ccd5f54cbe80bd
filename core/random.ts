/**
 * A small seeded pseudo-random generator (mulberry32) for what must replay from a seed: generated FHiCL, fuzzing,
 * fault plans, property tests. Not for anything secret.
 *
 * @module
 */

/**
 * Uniform numbers in [0, 1), the same sequence for the same seed.
 *
 * @example
 * ```ts
 * import { seededRandom } from "./random.ts";
 * const next = seededRandom(42);
 * const roll = Math.floor(next() * 6) + 1; // the same roll every time for seed 42
 * ```
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
