import { afterAll, beforeAll } from "bun:test";
import { createRedisStore, type RedisStore } from "../../src/store/redis-store.ts";
import { queueCases } from "../cases/queue.case.ts";
import { startRedis, type TestRedis } from "../support/redis-server.ts";

let redis: TestRedis;
const stores: RedisStore[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const s of stores) await s.close();
  await redis.stop();
});

queueCases("redis", async () => {
  // A key prefix per test keeps the cases apart on one server.
  const store = await createRedisStore({ url: redis.url, ttlSeconds: 60, keyPrefix: `q${stores.length}` });
  stores.push(store);
  return {
    queue: store.queue,
    addFunction: (code, python) => store.registerFunction({ name: "f", source: code, code, runtime: python ? "python" : "js" }),
    addTask: (functionId, args = "[]", timeoutMs) => store.createTask({ functionId, args, timeoutMs }),
    state: (id) => store.getTask(id),
    kill: async (consumer) => void (await store.redis.del(store.keys.alive(consumer))),
    cancel: async (id, result) => (await store.cancelTask(id, result))?.cancelled === true,
    deleteFunction: async (id) => void (await store.deleteFunction(id)),
  };
});
