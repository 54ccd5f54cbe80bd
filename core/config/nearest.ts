/**
 * "Did you mean" for unknown configuration keys.
 *
 * @module
 */

/**
 * The candidate closest to `word` by edit distance, or undefined when nothing is reasonably close (more than a
 * third of the word would have to change).
 *
 * @example
 * ```ts
 * nearest("parallel_worker", ["batch_size", "parallel_workers"]); // "parallel_workers"
 * ```
 */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.ceil(word.length / 3)) ? best : undefined;
}

/** Levenshtein distance (insert, delete, substitute all cost 1). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
