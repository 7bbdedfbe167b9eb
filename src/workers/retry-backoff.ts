/** Exponential retry backoff per key: counts consecutive failures and owns the retry timers. */

/** Schedules retries after failures, doubling the delay per consecutive failure of the same key. */
export class RetryBackoff<K> {
  readonly #failures = new Map<K, number>();
  readonly #timers = new Set<Timer>();

  /**
   * @param baseMs - delay after the first failure. Default: 100.
   * @param maxMs - longest delay. Default: 5000.
   */
  constructor(
    readonly baseMs = 100,
    readonly maxMs = 5000,
  ) {}

  /** Number of keys whose last attempt failed. */
  get failing(): number {
    return this.#failures.size;
  }

  /** Record a failure of `key` and run `retry` after the backoff delay; returns the consecutive failure count. */
  fail(key: K, retry: () => void): number {
    const failures = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, failures);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      retry();
    }, Math.min(this.maxMs, this.baseMs * 2 ** (failures - 1)));
    this.#timers.add(timer);
    return failures;
  }

  /** `key` succeeded: its next failure starts from the base delay again. */
  succeed(key: K): void {
    this.#failures.delete(key);
  }

  /** Cancel every scheduled retry. */
  cancel(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
