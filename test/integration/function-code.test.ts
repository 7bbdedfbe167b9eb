// The dispatcher's function lookup: "no such function" only when Redis says so, never because Redis is gone.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createRedisStore, type RedisStore } from "../../src/store/redis-store.ts";
import { startRedis, type TestRedis } from "../support/redis-server.ts";

let redis: TestRedis;
let store: RedisStore;
beforeAll(async () => {
  redis = await startRedis();
  store = await createRedisStore({ url: redis.url, ttlSeconds: 60, keyPrefix: "fc" });
});
afterAll(async () => {
  await store.close();
  await redis.stop();
});

test("functionCode: the code of a function, null for an unknown id and for a key that is not a function hash", async () => {
  const function_id = await store.registerFunction({ name: "f", source: "(x) => x", code: "(x) => x", runtime: "js" });
  await store.redis.set(store.keys.fn("not-a-hash"), "x");
  expect(await store.queue.functionCode([function_id, "no-such-id", "not-a-hash"])).toEqual(["(x) => x", null, null]);
});

test("functionCode rejects while Redis is gone (so the dispatcher retries rather than failing tasks as deleted)", async () => {
  const function_id = await store.registerFunction({ name: "g", source: "() => 1", code: "() => 1", runtime: "js" });
  await redis.stop();
  await expect(store.queue.functionCode([function_id])).rejects.toThrow();
}, 30_000);
