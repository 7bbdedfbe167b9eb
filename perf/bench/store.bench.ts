/** mitata benches of one task's store round trips against a private redis-server. */
import { bench, group } from "mitata";
import { createRedisStore } from "../../src/store/redis-store.ts";
import { startRedis } from "../../test/support/redis-server.ts";

const redis = await startRedis();
const store = await createRedisStore({ url: redis.url, ttlSeconds: 60 });
const fn = await store.registerFunction({ name: "noop", source: "() => null", code: "() => null" });
const reader = store.queue.reader();
const OPTS = { maxAttempts: 3, lostError: "{}" };
const start = (e: { taskId: string }) => ({ kind: "start" as const, taskId: e.taskId, attempts: 1, executor: "bench", at: Date.now() });

group("store", () => {
  // API side: create a task (one Lua call: check function, write hash, append to the stream).
  bench("createTask", async () => {
    await store.createTask({ functionId: fn, args: "[]" });
  });
  // A task's whole life in the store: create, read from the stream, start, finish (4 round trips, batch of 1).
  bench("task life: create → read → start → finish", async () => {
    const id = await store.createTask({ functionId: fn, args: "[]" });
    const entries = await reader.read("bench", 1, 100);
    await store.queue.loadTasks(entries, OPTS);
    await store.queue.settle(entries.map(start));
    await store.queue.finishTasks(entries.map((e) => ({ ...e, status: "COMPLETED" as const, result: "null", executor: "bench" })));
    void id;
  });
  // The same with 64 tasks per batch: cost per batch (divide by 64 for per task).
  bench("task life, batch of 64", async () => {
    await Promise.all(Array.from({ length: 64 }, () => store.createTask({ functionId: fn, args: "[]" })));
    const entries = await reader.read("bench", 64, 100);
    await store.queue.loadTasks(entries, OPTS);
    await store.queue.settle(entries.map(start));
    await store.queue.finishTasks(entries.map((e) => ({ ...e, status: "COMPLETED" as const, result: "null", executor: "bench" })));
  });
});

/** Close the store and stop its Redis. */
export async function cleanup(): Promise<void> {
  await store.close();
  await redis.stop();
}
