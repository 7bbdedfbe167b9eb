/** mitata bench of the dispatch step: a real Dispatcher with LocalMode (2 threads) over a private redis-server. */
import { bench, group } from "mitata";
import { Dispatcher } from "../../src/dispatcher/dispatcher.ts";
import { LocalMode } from "../../src/dispatcher/modes/local-mode.ts";
import { silentLog } from "../../src/log.ts";
import { createRedisStore } from "../../src/store/redis-store.ts";
import { startRedis } from "../../test/support/redis-server.ts";

const redis = await startRedis();
const store = await createRedisStore({ url: redis.url, ttlSeconds: 60 });
const dispatcher = new Dispatcher({ queue: store.queue, mode: new LocalMode({ threads: 2, log: silentLog }), log: silentLog });
await dispatcher.start();
const fn = await store.registerFunction({ name: "noop", source: "() => null", code: "() => null" });

async function batch(n: number): Promise<void> {
  const ids = await Promise.all(Array.from({ length: n }, () => store.createTask({ functionId: fn, args: "[]" })));
  await Promise.all(ids.map((id) => store.waitForTask(id, 10_000)));
}
await batch(64); // threads compile the function, connections open

group("dispatch", () => {
  // One no-op task: create (Lua) → XREADGROUP → start (Lua) → worker thread → finish (Lua) → pub/sub wake-up.
  bench("dispatch 1 no-op task, queue → finished", async () => {
    await batch(1);
  });
  // 64 no-op tasks created at once, until all are finished: the dispatcher's batched path (divide by 64 per task).
  bench("dispatch 64 no-op tasks, queue → finished", async () => {
    await batch(64);
  });
});

/** Stop the dispatcher, close the store, stop its Redis. */
export async function cleanup(): Promise<void> {
  await dispatcher.stop();
  await store.close();
  await redis.stop();
}
