import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createRedisStore, type RedisStore } from "../../src/store/redis-store.ts";
import { startRedis, type TestRedis } from "../support/redis-server.ts";

let redis: TestRedis;
let store: RedisStore;

beforeAll(async () => {
  redis = await startRedis();
  store = await createRedisStore({ url: redis.url, ttlSeconds: 60 });
});
afterAll(async () => {
  await store.close();
  await redis.stop();
});

const OPTS = { maxAttempts: 3, lostError: '{"$type":"error","name":"TaskLostError","message":"lost"}' };

describe("redis store", () => {
  test("functions are stored and found by id", async () => {
    const id = await store.registerFunction({ name: "double", source: "(x: number) => x * 2", code: "(x) => x * 2" });
    expect(await store.hasFunction(id)).toBe(true);
    expect(await store.getFunction(id)).toMatchObject({ id, name: "double", code: "(x) => x * 2" });
    expect(await store.hasFunction(crypto.randomUUID())).toBe(false);
    expect(await store.getFunction(crypto.randomUUID())).toBeNull();
  });

  test("a task for an unknown function is refused and nothing is queued", async () => {
    const before = await store.redis.xlen(store.keys.queue);
    await expect(store.createTask({ functionId: crypto.randomUUID(), args: "[]" })).rejects.toMatchObject({ code: "FUNCTION_NOT_FOUND" });
    expect(await store.redis.xlen(store.keys.queue)).toBe(before);
  });

  test("task life: QUEUED → RUNNING → COMPLETED, written once, with TTL and timestamps", async () => {
    const fn = await store.registerFunction({ name: "f", source: "() => 1", code: "() => 1" });
    const id = await store.createTask({ functionId: fn, args: "[1]", timeoutMs: 5000 });
    expect(await store.getTask(id)).toMatchObject({ status: "QUEUED", attempts: 0, result: null, timeoutMs: 5000 });
    const entries = await store.queue.reader().read("c1", 10, 100);
    const mine = entries.filter((e) => e.taskId === id);
    expect(mine).toHaveLength(1);
    const loaded = await store.queue.loadTasks(mine, OPTS);
    expect(loaded[0]).toMatchObject({ taskId: id, functionId: fn, args: "[1]", timeoutMs: 5000, attempts: 0 });
    await store.queue.settle([{ kind: "start", taskId: id, attempts: 1, executor: "test", at: Date.now() }]);
    expect(await store.getTask(id)).toMatchObject({ status: "RUNNING", attempts: 1, executor: "test" });
    const e = mine[0]!;
    expect(await store.queue.finishTasks([{ ...e, status: "COMPLETED", result: "1", executor: "t1" }])).toBe(1);
    // A second, stale outcome never flips the result.
    expect(await store.queue.finishTasks([{ ...e, status: "FAILED", result: "\"x\"", executor: "t2" }])).toBe(0);
    const t = await store.getTask(id);
    expect(t).toMatchObject({ status: "COMPLETED", result: "1", executor: "t1" });
    expect(t!.finishedAt).toBeGreaterThanOrEqual(t!.startedAt!);
    const ttl = await store.redis.pttl(store.keys.task(id));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(await store.redis.xlen(store.keys.queue)).toBe(0);
  });

  test("waitForTask returns as soon as the task finishes, and on timeout with the current state", async () => {
    const fn = await store.registerFunction({ name: "f", source: "() => 1", code: "() => 1" });
    const id = await store.createTask({ functionId: fn, args: "[]" });
    const timedOut = await store.waitForTask(id, 50);
    expect(timedOut?.status).toBe("QUEUED");
    const t0 = Date.now();
    const waiting = store.waitForTask(id, 20_000);
    const [entry] = (await store.queue.reader().read("c1", 10, 100)).filter((e) => e.taskId === id);
    await store.queue.finishTasks([{ ...entry!, status: "COMPLETED", result: "7", executor: "x" }]);
    const done = await waiting;
    expect(done?.status).toBe("COMPLETED");
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(await store.waitForTask(crypto.randomUUID(), 10)).toBeNull();
  });

});
