/** Test support for ThreadPool tests: pools closed after each test, numbered jobs, and outcome readers. */
import { afterEach, expect } from "bun:test";
import { decode } from "../../src/codec/index.ts";
import type { PoolJob, PoolOutcome } from "../../src/workers/outcome.ts";
import { ThreadPool, type ThreadPoolOptions } from "../../src/workers/thread-pool.ts";

/** Returns a `makePool(options)` whose pools (`threads` threads, 5 s timeout unless given) close after each test. */
export function poolsClosedAfterEach(threads: number): (options?: ThreadPoolOptions) => ThreadPool {
  const pools: ThreadPool[] = [];
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.close()));
  });
  return (options = {}) => {
    const pool = new ThreadPool({ threads, taskTimeoutMs: 5000, ...options });
    pools.push(pool);
    return pool;
  };
}

let nextTask = 0;
/** A job with a fresh task id. */
export function job(functionId: string, code: string, args = "[]", extra: Partial<PoolJob> = {}): PoolJob {
  return { taskId: `task-${++nextTask}`, functionId, code, args, ...extra };
}

/** The decoded value of an outcome that must be COMPLETED. */
export function value(outcome: PoolOutcome): unknown {
  expect(outcome.status).toBe("COMPLETED");
  return decode(outcome.result);
}

/** The decoded error of an outcome that must be FAILED. */
export function failure(outcome: PoolOutcome): Error {
  expect(outcome.status).toBe("FAILED");
  const err = decode(outcome.result);
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}
