/**
 * A small least-recently-used map, bounded by entry count and by total weight (bytes, say); the newest entry always
 * stays. Used by the status service's caches, the export's renderings and the memos of digests and checks.
 *
 * @example
 * ```ts
 * const lru = new Lru<string, Uint8Array>(Infinity, 8 << 20);
 * lru.set("a", bytes, bytes.length); // dropped first once 8 MiB are held
 * lru.get("a"); // bytes, now the most recently used
 * ```
 *
 * @module
 */

/** See the module doc. */
export class Lru<K, V> {
  readonly #map = new Map<K, { value: V; weight: number }>();
  #total = 0;

  constructor(readonly capacity: number, readonly maxWeight = Infinity) {}

  /** Total weight of the entries held. */
  get weight(): number {
    return this.#total;
  }

  /** The value under `key` (now the most recently used), if held. */
  get(key: K): V | undefined {
    const entry = this.#map.get(key);
    if (entry === undefined) return undefined;
    this.#map.delete(key);
    this.#map.set(key, entry);
    return entry.value;
  }

  /** Whether `key` is held (its place is left as it is). */
  has(key: K): boolean {
    return this.#map.has(key);
  }

  /** Holds `value` under `key` as the most recently used, with its weight (or 0 until {@link weigh}). */
  set(key: K, value: V, weight = 0): void {
    this.delete(key);
    this.#map.set(key, { value, weight });
    this.#total += weight;
    this.#evict();
  }

  /** Records an entry's weight once known (a blob's size after its download). */
  weigh(key: K, value: V, weight: number): void {
    const entry = this.#map.get(key);
    if (!entry || entry.value !== value) return;
    this.#total += weight - entry.weight;
    entry.weight = weight;
    this.#evict();
  }

  delete(key: K): void {
    const entry = this.#map.get(key);
    if (!entry) return;
    this.#total -= entry.weight;
    this.#map.delete(key);
  }

  #evict(): void {
    while (this.#map.size > 1 && (this.#map.size > this.capacity || this.#total > this.maxWeight)) {
      this.delete(this.#map.keys().next().value as K);
    }
  }
}
