/**
 * Grouping of items by a key, in first-seen order: the store groups documents by collection and by update
 * number, the filesystem index groups configuration names by run.
 *
 * @module
 */

/**
 * The items of each key, in input order; items whose key is `null` are left out.
 *
 * @example
 * ```ts
 * groupBy(["1/a", "x", "1/b"], (name) => name.includes("/") ? name.split("/")[0] : null);
 * // Map { "1" => ["1/a", "1/b"] }
 * ```
 */
export function groupBy<T, K>(items: Iterable<T>, key: (item: T) => K | null): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === null) continue;
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
