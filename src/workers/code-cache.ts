/** A remote worker's bounded cache of function code by id, so the dispatcher sends each function's code once. */

/** LRU map of function id → JavaScript code; the least recently used entry goes first when full. */
export class CodeCache {
  readonly #map = new Map<string, string>();

  /** @param capacity - most entries kept. Default: 1000. */
  constructor(readonly capacity = 1000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`cache capacity must be a positive integer, got ${capacity}`);
  }

  /** The code of `id`, marked most recently used; undefined when absent. */
  get(id: string): string | undefined {
    const code = this.#map.get(id);
    if (code !== undefined) {
      this.#map.delete(id);
      this.#map.set(id, code);
    }
    return code;
  }

  /** Keep `code` under `id`, evicting the least recently used entry when full. */
  set(id: string, code: string): void {
    this.#map.delete(id);
    if (this.#map.size >= this.capacity) {
      const oldest = this.#map.keys().next();
      if (!oldest.done) this.#map.delete(oldest.value);
    }
    this.#map.set(id, code);
  }
}
