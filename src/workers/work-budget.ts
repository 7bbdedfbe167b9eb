/** How many jobs fit a budget of measured work: the budget over the mean run time of the jobs so far, per key, between a floor and a ceiling. */
import { LruCache } from "./lru-cache.ts";

/** Keys whose mean run time is kept (least recently used forgotten). */
const KEYS_KEPT = 1000;
/** Weight of the newest run time in a key's mean (an exponentially weighted moving average). */
const AVERAGE_WEIGHT = 0.1;

/** Options of {@link WorkBudget}. */
export interface WorkBudgetOptions {
  /** The work the jobs may add up to, in ms of their mean run time; a positive number. */
  budgetMs: number;
  /** Most jobs; a positive integer (raised to `min` when below it). */
  max: number;
  /** Fewest jobs. Default: 1. */
  min?: number;
  /** Jobs for a key whose run time is not known yet (none of its jobs ended), within min and max. Default: 8. */
  first?: number;
}

/**
 * Jobs that fit `budgetMs` of measured work: `ceil(budgetMs / mean)` for the key's mean run time, between `min` and
 * `max`. The pool's trains use one key per function (train length); local mode one key for all its jobs (its hold).
 */
export class WorkBudget {
  readonly #means = new LruCache<number>(KEYS_KEPT);
  readonly #budgetMs: number;
  readonly #min: number;
  readonly #max: number;
  readonly #first: number;

  constructor(opts: WorkBudgetOptions) {
    if (!Number.isInteger(opts.max) || opts.max < 1) throw new RangeError(`most jobs must be a positive integer: ${opts.max}`);
    if (!(opts.budgetMs > 0)) throw new RangeError(`the budget must be a positive number of ms: ${opts.budgetMs}`);
    this.#budgetMs = opts.budgetMs;
    this.#min = opts.min ?? 1;
    this.#max = Math.max(this.#min, opts.max);
    this.#first = Math.max(this.#min, Math.min(opts.first ?? 8, this.#max));
  }

  /** How many jobs of `key` fit the budget now (a read on every hand-off: it leaves recency to `observe`). */
  jobs(key = ""): number {
    const mean = this.#means.peek(key);
    if (mean === undefined) return this.#first;
    return Math.max(this.#min, Math.min(this.#max, Math.ceil(this.#budgetMs / Math.max(mean, 0.01))));
  }

  /** A job of `key` ran for `ms` (from its start to its outcome). */
  observe(ms: number, key = ""): void {
    const mean = this.#means.get(key);
    this.#means.set(key, mean === undefined ? ms : mean + AVERAGE_WEIGHT * (ms - mean));
  }

  /** The mean run time of `key`'s jobs in ms, or undefined before one ended. */
  meanMs(key = ""): number | undefined {
    return this.#means.peek(key);
  }
}
