// The whole local stack in one process: API + Redis store + dispatcher on real worker threads, driven by the client.
// What every mode does alike (errors, timeouts, exits, concurrency, records, RUNNING, graceful stop) is in
// test/cases/modes.case.ts; this file keeps what goes through the API and what only local mode shows.
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
    mode: new LocalMode({ threads, taskTimeoutMs: 3000, log: silentLog, prefetch: 32, holdMs: 1e9 }),
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

  test("with a backlog, the dispatcher refills in batches (a quarter of its capacity), not one read per task", async () => {
    const reads = async () => Number(/cmdstat_xreadgroup:calls=(\d+)/.exec(await store.redis.info("commandstats"))?.[1] ?? 0);
    const fid = await client.register(async (i: number) => { await Bun.sleep(4); return i; });
    const ids = await Promise.all(Array.from({ length: 300 }, (_, i) => store.createTask({ functionId: fid, args: `[${i}]` })));
    const before = await reads();
    const results = await Promise.all(ids.map((id) => client.result(id, { wait: 30 })));
    results.forEach((r, i) => expect(r).toMatchObject({ status: "COMPLETED", result: String(i) }));
    // Capacity is 2 threads × 32 = 64 here (holdMs is so large that the hold is prefetch: 32): after the first read,
    // each read waits for 16 free slots (one read per task would be ~240 reads here).
    expect((await reads()) - before).toBeLessThan(40);
  });
});
