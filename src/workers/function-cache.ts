/** A bounded least-recently-used cache of compiled functions, keyed by function id. */

/** A compiled user function. */
export type UserFunction = (...args: unknown[]) => unknown;

/** LRU map of function id → compiled function; the least recently used entry goes first when full. */
export class FunctionCache {
  readonly #map = new Map<string, UserFunction>();

  /** @param capacity - most entries kept; at least 1. */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`cache capacity must be a positive integer, got ${capacity}`);
  }

  /** Number of cached functions. */
  get size(): number {
    return this.#map.size;
  }

  /** True when `id` is cached (does not refresh its recency). */
  has(id: string): boolean {
    return this.#map.has(id);
  }

  /** The cached function, marked most recently used; undefined when absent. */
  get(id: string): UserFunction | undefined {
    const fn = this.#map.get(id);
    if (fn !== undefined) {
      this.#map.delete(id);
      this.#map.set(id, fn);
    }
    return fn;
  }

  /** Cache `fn` under `id`, evicting the least recently used entry when full. */
  set(id: string, fn: UserFunction): void {
    this.#map.delete(id);
    if (this.#map.size >= this.capacity) {
      const oldest = this.#map.keys().next();
      if (!oldest.done) this.#map.delete(oldest.value);
    }
    this.#map.set(id, fn);
  }
}
