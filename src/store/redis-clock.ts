/** RedisClock: an estimate of Redis's own clock (TIME), so deadlines are stated in the time the scripts check. */
import type Redis from "ioredis";

/** A sample whose round trip took longer than this (ms) only replaces a worse one: its error is up to half of it. */
export const MAX_GOOD_SAMPLE_RTT_MS = 200;
/** Age (ms) after which {@link RedisClock.stale} asks for a fresh sample. */
export const CLOCK_SAMPLE_MAX_AGE_MS = 60_000;

/**
 * The offset between this process's clock and Redis's, from `TIME` round trips (midpoint estimate, error at most
 * half the round trip). The API states the create script's deadline in Redis time, so a skew between the API host
 * and the Redis host does not move it; only the estimate's error (≤ 100 ms for a good sample) does.
 */
export class RedisClock {
  private offsetMs = 0;
  private rttMs = Number.POSITIVE_INFINITY;
  private sampledAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly redis: Redis) {}

  /** One `TIME` round trip; keeps the sample unless it is slow and the one it would replace is better and fresh. */
  async sample(): Promise<void> {
    const wall = Date.now();
    const t0 = performance.now();
    const [sec, usec] = await this.redis.time();
    const rtt = performance.now() - t0;
    const redisMs = Number(sec) * 1000 + Number(usec) / 1000;
    if (rtt <= MAX_GOOD_SAMPLE_RTT_MS || rtt <= this.rttMs || this.stale()) {
      this.offsetMs = redisMs - (wall + rtt / 2);
      this.rttMs = rtt;
      this.sampledAt = performance.now();
    }
  }

  /** Redis's clock now, in epoch milliseconds, as estimated. */
  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** True when there is no sample yet, or the last one is older than {@link CLOCK_SAMPLE_MAX_AGE_MS}. */
  stale(): boolean {
    return performance.now() - this.sampledAt > CLOCK_SAMPLE_MAX_AGE_MS;
  }
}
