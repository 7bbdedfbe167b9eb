// The whole local stack in one process: API + Redis store + dispatcher on real worker threads, driven by the client.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createApp } from "../../src/api/app.ts";
import { serveApi, type ApiServer } from "../../src/api/serve-api.ts";
import { FaasClient } from "../../src/client/index.ts";
import { Dispatcher } from "../../src/dispatcher/dispatcher.ts";
import { LocalMode } from "../../src/dispatcher/modes/local-mode.ts";
import { silentLog } from "../../src/log.ts";
import { createRedisStore, type RedisStore } from "../../src/store/redis-store.ts";
import { startRedis, type TestRedis } from "../support/redis-server.ts";

let redis: TestRedis;
let store: RedisStore;
let server: ApiServer;
let client: FaasClient;
let dispatcher: Dispatcher;

async function startDispatcher(threads = 2): Promise<Dispatcher> {
  const d = new Dispatcher({
    queue: store.queue,
    mode: new LocalMode({ threads, taskTimeoutMs: 3000, log: silentLog }),
    log: silentLog,
  });
  await d.start();
  return d;
}

beforeAll(async () => {
  redis = await startRedis();
  store = await createRedisStore({ url: redis.url, ttlSeconds: 60 });
  server = serveApi({ app: createApp({ store, log: silentLog }), port: 0 });
  client = new FaasClient({ baseUrl: server.url });
  dispatcher = await startDispatcher();
});

afterAll(async () => {
  await dispatcher.stop();
  await server.stop();
  await store.close();
  await redis.stop();
});

describe("local dispatch", () => {
  test("sync, async, TypeScript and tagged values", async () => {
    expect(await client.run((x: number) => x * 2, 21)).toBe(42);
    expect(await client.run(async (n: number) => { await Bun.sleep(1); return n + 1; }, 1)).toBe(2);
    expect(await client.run("(a: bigint, b: bigint): bigint => a * b", 6n, 7n)).toBe(42n);
    const m = (await client.run((d: Date) => new Map([["year", d.getUTCFullYear()]]), new Date("2020-05-01T00:00:00Z"))) as Map<string, number>;
    expect(m.get("year")).toBe(2020);
    expect(await client.run(() => undefined)).toBeUndefined();
  });

  test("throwing and rejecting functions end FAILED with the error, not retried", async () => {
    await expect(client.run(() => { throw new TypeError("bad input"); })).rejects.toMatchObject({ name: "TypeError", message: "bad input" });
    await expect(client.run(async () => Promise.reject(new Error("later")))).rejects.toMatchObject({ message: "later" });
    const fid = await client.register(() => { throw new Error("x"); });
    const tid = await client.execute(fid, []);
    const r = await client.result(tid, { wait: 20 });
    expect(r.status).toBe("FAILED");
    expect((await store.getTask(tid))?.attempts).toBe(1);
  });

  test("an infinite loop times out (per-call override) and the pool keeps serving", async () => {
    const spin = await client.register(() => { while (true) {} });
    const tid = await client.execute(spin, [], { timeoutSeconds: 0.3 });
    const r = await client.result(tid, { wait: 20 });
    expect(r.status).toBe("FAILED");
    expect(JSON.parse(r.result!).value).toMatchObject({ name: "TimeoutError" });
    expect(await client.run((x: number) => x + 1, 1)).toBe(2);
  });

  test("process.exit in user code fails that task only", async () => {
    const die = await client.register(() => process.exit(3));
    const ok = await client.register((x: number) => x);
    const dead = await client.execute(die, []);
    const others = await Promise.all(Array.from({ length: 20 }, (_, i) => client.execute(ok, [i])));
    const r = await client.result(dead, { wait: 20 });
    expect(r.status).toBe("FAILED");
    expect(r.result).toContain("code 3");
    for (const [i, id] of others.entries()) expect(await client.result(id, { wait: 20 })).toMatchObject({ status: "COMPLETED", result: String(i) });
  });

  test("500 concurrent executions all return their own correct result", async () => {
    const fid = await client.register((a: number, b: number) => a * b + 1);
    const ids = await Promise.all(Array.from({ length: 500 }, (_, i) => client.execute(fid, [i, 3])));
    const results = await Promise.all(ids.map((id) => client.result(id, { wait: 30 })));
    results.forEach((r, i) => expect(r).toMatchObject({ status: "COMPLETED", result: String(i * 3 + 1) }));
  });

  test("with a backlog, the dispatcher refills in batches (a quarter of its capacity), not one read per task", async () => {
    const reads = async () => Number(/cmdstat_xreadgroup:calls=(\d+)/.exec(await store.redis.info("commandstats"))?.[1] ?? 0);
    const fid = await client.register(async (i: number) => { await Bun.sleep(4); return i; });
    const ids = await Promise.all(Array.from({ length: 300 }, (_, i) => store.createTask({ functionId: fid, args: `[${i}]` })));
    const before = await reads();
    const results = await Promise.all(ids.map((id) => client.result(id, { wait: 30 })));
    results.forEach((r, i) => expect(r).toMatchObject({ status: "COMPLETED", result: String(i) }));
    // Capacity is 2 threads × 32 = 64: after the first read, each read waits for 16 free slots (one read per task
    // would be ~240 reads here).
    expect((await reads()) - before).toBeLessThan(40);
  });

  test("records say who ran a task and when", async () => {
    const fid = await client.register(() => 1);
    const tid = await client.execute(fid, []);
    await client.result(tid, { wait: 20 });
    const t = (await store.getTask(tid))!;
    expect(t.executor).toMatch(/^local\/thread-\d+$/);
    expect(t.createdAt).toBeLessThanOrEqual(t.startedAt!);
    expect(t.startedAt!).toBeLessThanOrEqual(t.finishedAt!);
  });
});
