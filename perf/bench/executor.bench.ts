/** mitata benches of the executor: in-thread execution and no-op jobs through thread pools. */
import { bench, group } from "mitata";
import { createExecutor } from "../../src/workers/execute.ts";
import { ThreadPool } from "../../src/workers/thread-pool.ts";

const NOOP = { taskId: "bench", functionId: "noop", code: "() => null", args: "[]" };
const executor = createExecutor();
const one = new ThreadPool({ threads: 1, name: "bench1" });
const two = new ThreadPool({ threads: 2, name: "bench2" });
await Promise.all([one.ready(), two.ready()]);

group("executor", () => {
  // Cached no-op run in the current thread: decode args, call, encode result (no messaging).
  bench("execute no-op in-thread", async () => {
    await executor.run(NOOP);
  });
  // One no-op job's round trip to a worker thread and back (pool → thread → pool), pool of 1.
  bench("pool(1) no-op round trip", async () => {
    await one.run(NOOP);
  });
  // Same through a pool of 2, one job at a time: round-trip latency only.
  bench("pool(2) no-op round trip", async () => {
    await two.run(NOOP);
  });
  // 64 no-op jobs at once through a pool of 2: throughput (divide by 64 for per job).
  bench("pool(2) 64 no-op jobs in flight", async () => {
    await Promise.all(Array.from({ length: 64 }, () => two.run(NOOP)));
  });
});

/** Terminate the pools' threads. */
export async function cleanup(): Promise<void> {
  await Promise.all([one.close(), two.close()]);
}
