/** A bounded least-recently-used map: compiled functions in threads, function code in remote workers. */

/** LRU map of string key → value; the least recently used entry goes first when full. */
export class LruCache<V> {
  readonly #map = new Map<string, V>();

  /** @param capacity - most entries kept; a positive integer. */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`cache capacity must be a positive integer, got ${capacity}`);
  }

  /** Number of entries. */
  get size(): number {
    return this.#map.size;
  }

  /** True when `key` is cached (does not refresh its recency). */
  has(key: string): boolean {
    return this.#map.has(key);
  }

  /** The value of `key` without refreshing its recency; undefined when absent. */
  peek(key: string): V | undefined {
    return this.#map.get(key);
  }

  /** The value of `key`, marked most recently used; undefined when absent. */
  get(key: string): V | undefined {
    const v = this.#map.get(key);
    if (v !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }

  /** Keep `value` under `key`, evicting the least recently used entry when full. */
  set(key: string, value: V): void {
    this.#map.delete(key);
    if (this.#map.size >= this.capacity) {
      const oldest = this.#map.keys().next();
      if (!oldest.done) this.#map.delete(oldest.value);
    }
    this.#map.set(key, value);
  }
}
