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

describe("tenant indexes in the task scripts", () => {
  const sets = (s: RedisStore) => ({
    open: s.keys.tenantOpenTasks("default"),
    queued: s.keys.tenantStatusTasks("default", "QUEUED"),
    running: s.keys.tenantStatusTasks("default", "RUNNING"),
    completed: s.keys.tenantStatusTasks("default", "COMPLETED"),
  });

  test("a task leaves its tenant's open set when it ends; a start and finish in one call go straight to the final index", async () => {
    const s = await createRedisStore({ url: redis.url, ttlSeconds: 60, keyPrefix: "idx1" });
    try {
      const k = sets(s);
      const fn = await s.registerFunction({ name: "f", source: "() => 1", code: "() => 1" });
      const [a, b, c] = [await s.createTask({ functionId: fn, args: "[]" }), await s.createTask({ functionId: fn, args: "[]" }), await s.createTask({ functionId: fn, args: "[]" })];
      expect((await s.redis.zrange(k.open, "0", "-1")).sort()).toEqual([a, b, c].sort());
      const entries = await s.queue.reader().read("c1", 10, 100);
      const e = (id: string) => entries.find((x) => x.taskId === id)!;
      const at = Date.now();
      const written = await s.queue.settle([
        { kind: "start", taskId: a, attempts: 1, executor: "x", at },
        { kind: "start", taskId: b, attempts: 1, executor: "x", at },
        { kind: "finish", ...e(a), status: "COMPLETED", result: "1", executor: "t" },
        { kind: "start", taskId: c, attempts: 1, executor: "x", at },
      ]);
      expect(written).toBe(1);
      expect(await s.redis.zrange(k.open, "0", "-1")).toEqual(expect.arrayContaining([b, c]));
      expect(await s.redis.zscore(k.open, a)).toBeNull();
      expect(await s.redis.zrange(k.queued, "0", "-1")).toEqual([]);
      expect((await s.redis.zrange(k.running, "0", "-1")).sort()).toEqual([b, c].sort());
      expect(await s.redis.zrange(k.completed, "0", "-1")).toEqual([a]);
      await s.queue.settle([{ kind: "finish", ...e(b), status: "COMPLETED", result: "1", executor: "t" }, { kind: "requeue", taskId: c, attempts: 1 }]);
      expect(await s.redis.zrange(k.open, "0", "-1")).toEqual([c]);
      expect(await s.redis.zrange(k.running, "0", "-1")).toEqual([]);
      expect(await s.redis.zrange(k.queued, "0", "-1")).toEqual([c]);
      expect((await s.redis.zrange(k.completed, "0", "-1")).sort()).toEqual([a, b].sort());
      expect((await s.getTask(a))?.status).toBe("COMPLETED");
    } finally {
      await s.close();
    }
  });

  test("a create with room checks no open member; a full open set drops members whose task is gone", async () => {
    const s = await createRedisStore({ url: redis.url, ttlSeconds: 60, keyPrefix: "idx2", maxQueuedPerTenant: 2 });
    try {
      const k = sets(s);
      const fn = await s.registerFunction({ name: "f", source: "() => 1", code: "() => 1" });
      const gone = crypto.randomUUID();
      await s.redis.zadd(k.open, "1", gone); // a task that went without being closed
      const first = await s.createTask({ functionId: fn, args: "[]" });
      expect(await s.redis.zscore(k.open, gone)).not.toBeNull();
      const second = await s.createTask({ functionId: fn, args: "[]" }); // full: the fallback trim makes room
      expect(await s.redis.zscore(k.open, gone)).toBeNull();
      expect((await s.redis.zrange(k.open, "0", "-1")).sort()).toEqual([first, second].sort());
      await expect(s.createTask({ functionId: fn, args: "[]" })).rejects.toMatchObject({ code: "QUOTA_EXCEEDED" });
      const [entry] = (await s.queue.reader().read("c1", 10, 100)).filter((x) => x.taskId === first);
      await s.queue.finishTasks([{ ...entry!, status: "COMPLETED", result: "1", executor: "t" }]);
      expect(await s.createTask({ functionId: fn, args: "[]" })).toBeString(); // the finish freed its place at once
    } finally {
      await s.close();
    }
  });

  test("a dispatcher's first finish trims the tenant's indexes of members older than the TTL", async () => {
    const s = await createRedisStore({ url: redis.url, ttlSeconds: 60, keyPrefix: "idx3" });
    try {
      const fn = await s.registerFunction({ name: "f", source: "() => 1", code: "() => 1" });
      const stale = crypto.randomUUID();
      const all = s.keys.tenantTasks("default");
      await s.redis.zadd(all, String(Date.now() - 120_000), stale);
      const id = await s.createTask({ functionId: fn, args: "[]" });
      expect(await s.redis.zscore(all, stale)).not.toBeNull();
      const [entry] = (await s.queue.reader().read("c1", 10, 100)).filter((x) => x.taskId === id);
      await s.queue.finishTasks([{ ...entry!, status: "COMPLETED", result: "1", executor: "t" }]);
      expect(await s.redis.zscore(all, stale)).toBeNull();
      expect(await s.redis.zscore(all, id)).not.toBeNull();
    } finally {
      await s.close();
    }
  });
});
