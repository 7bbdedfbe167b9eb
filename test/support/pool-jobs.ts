/** Test support for ThreadPool tests: pools closed after each test, and numbered jobs. */
import { afterEach } from "bun:test";
import type { PoolJob } from "../../src/workers/outcome.ts";
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
