/** Per-key request rate limits: one token bucket per key id, refilled continuously, in this process's memory. */

/** Token buckets of `ratePerSecond` tokens a second, each holding at most `burst` (default: one second's worth). */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly burst: number;

  constructor(
    private readonly ratePerSecond: number,
    burst?: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    this.burst = burst ?? Math.max(1, ratePerSecond);
  }

  /** Take one token for `id`: 0 when granted, else the seconds until one is available (nothing is taken). */
  take(id: string): number {
    const t = this.now();
    let b = this.buckets.get(id);
    if (!b) {
      b = { tokens: this.burst, at: t };
      this.buckets.set(id, b);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.ratePerSecond);
      b.at = t;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return (1 - b.tokens) / this.ratePerSecond;
  }

  /** Forget `id`'s bucket (its key was found revoked). */
  forget(id: string): void {
    this.buckets.delete(id);
  }
}
