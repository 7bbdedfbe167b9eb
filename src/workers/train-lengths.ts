/** How many jobs of one function an executor process is posted at once (a train): about 10 ms of that function's measured work. */
import { LruCache } from "./lru-cache.ts";

/**
 * Work a train holds, in ms of its function's mean run time: a burst of short jobs costs an executor one wake-up
 * per train, not one per job, while a job never waits long behind others on a busy executor when another one may
 * free up first (jobs posted to an executor cannot move). No-op jobs: the longest train; 1 ms jobs: 10; 10 ms and
 * longer: 1 (posted one at a time).
 */
export const TRAIN_MS = 10;
/** Jobs of a function whose run time is not known yet (none of its jobs ended here): a train as long as this, at most. */
export const FIRST_TRAIN = 8;
/** Functions whose mean run time is kept (least recently used forgotten). */
const FUNCTIONS_KEPT = 1000;
/** Weight of the newest run time in a function's mean (an exponentially weighted moving average). */
const AVERAGE_WEIGHT = 0.1;

/** Train lengths by function: from each function's mean run time, between 1 and `max`. */
export class TrainLengths {
  readonly #means = new LruCache<number>(FUNCTIONS_KEPT);

  /**
   * @param max - longest train (the pool's `trainLength`); a positive integer.
   * @param trainMs - work a train holds, in ms of measured run time. Default: {@link TRAIN_MS}.
   */
  constructor(readonly max: number, readonly trainMs: number = TRAIN_MS) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`trainLength must be a positive integer: ${max}`);
    if (!(trainMs > 0)) throw new RangeError(`trainMs must be a positive number: ${trainMs}`);
  }

  /** Most jobs of `functionId` an executor may hold at once, the running one included. */
  of(functionId: string): number {
    const mean = this.#means.get(functionId);
    if (mean === undefined) return Math.min(FIRST_TRAIN, this.max);
    return Math.max(1, Math.min(this.max, Math.ceil(this.trainMs / Math.max(mean, 0.01))));
  }

  /** A job of `functionId` ran for `ms` (from its start to its outcome). */
  observe(functionId: string, ms: number): void {
    const mean = this.#means.get(functionId);
    this.#means.set(functionId, mean === undefined ? ms : mean + AVERAGE_WEIGHT * (ms - mean));
  }

  /** The mean run time of `functionId`'s jobs in ms, or undefined before one ended. */
  meanMs(functionId: string): number | undefined {
    return this.#means.get(functionId);
  }
}
