// /metrics, /ready and /stats against real Redis, real dispatchers (local and pull) and a real pull worker: the
// cluster figures move with tasks, are the same from a second API process, and /ready says why it is not ready.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createApp } from "../../src/api/app.ts";
import { serveApi, type ApiServer } from "../../src/api/serve-api.ts";
import { FaasClient } from "../../src/client/index.ts";
import { Dispatcher } from "../../src/dispatcher/dispatcher.ts";
import { LocalMode } from "../../src/dispatcher/modes/local-mode.ts";
import { PullMode } from "../../src/dispatcher/modes/pull-mode.ts";
import { silentLog } from "../../src/log.ts";
import { createRedisStore, type RedisStore } from "../../src/store/redis-store.ts";
import { startPullWorker } from "../../src/workers/pull-worker.ts";
import { eventually } from "../support/faas-binary.ts";
import { startRedis, type TestRedis } from "../support/redis-server.ts";

let redis: TestRedis;
let store: RedisStore;
let other: RedisStore;
let api: ApiServer;
let api2: ApiServer;
let client: FaasClient;

beforeAll(async () => {
  redis = await startRedis();
  store = await createRedisStore({ url: redis.url, ttlSeconds: 60 });
  other = await createRedisStore({ url: redis.url, ttlSeconds: 60 });
  api = serveApi({ app: createApp({ store, log: silentLog }), port: 0 });
  api2 = serveApi({ app: createApp({ store: other, log: silentLog }), port: 0 });
  client = new FaasClient({ baseUrl: api.url });
});

afterAll(async () => {
  await api.stop();
  await api2.stop();
  await store.close();
  await other.close();
  await redis.stop();
});

/** The samples of a Prometheus text exposition: `name{labels}` → value. */
async function scrape(base = api.url): Promise<Map<string, number>> {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  const out = new Map<string, number>();
  for (const line of (await res.text()).split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

const sample = (m: Map<string, number>, key: string) => m.get(key) ?? 0;

async function ready(base = api.url): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/ready`);
  return { status: res.status, body: await res.json() };
}

function localDispatcher(threads = 2): Dispatcher {
  return new Dispatcher({ queue: store.queue, mode: new LocalMode({ threads, taskTimeoutMs: 10_000, log: silentLog }), log: silentLog, heartbeatMs: 200 });
}

describe("/ready", () => {
  test("503 NOT_READY with no dispatcher; 200 once a local one runs; 503 again once it stopped", async () => {
    const before = await ready();
    expect(before.status).toBe(503);
    expect(before.body.error.code).toBe("NOT_READY");
    expect(before.body.error.message).toContain("no live dispatcher");
    const d = localDispatcher();
    await d.start();
    try {
      const up = await ready();
      expect(up).toEqual({ status: 200, body: { status: "ready", dispatchers: 1, workers: 1 } });
    } finally {
      await d.stop();
    }
    const after = await ready();
    expect(after.status).toBe(503);
    expect(after.body.error.message).toContain("no live dispatcher");
  });

  test("in pull mode: 503 until a worker connects, 200 while it is, 503 after it left", async () => {
    const mode = new PullMode({ port: 0, log: silentLog, heartbeatMs: 250, deadlineGraceMs: 1000, prefetch: 1 });
    const { endpoint } = await mode.start();
    const d = new Dispatcher({ queue: store.queue, mode, log: silentLog, heartbeatMs: 100, blockMs: 500 });
    await d.start();
    try {
      const none = await ready();
      expect(none.status).toBe(503);
      expect(none.body.error.message).toContain("no worker connected");
      const w = await startPullWorker({ endpoint, threads: 2, id: "metrics-pw", log: silentLog, heartbeatMs: 250 });
      try {
        const up = await eventually(async () => { const r = await ready(); return r.status === 200 && r; }, 10_000, "ready with a worker");
        expect(up.body).toEqual({ status: "ready", dispatchers: 1, workers: 1 });
        const stats = await (await fetch(`${api.url}/stats`)).json() as any;
        expect(stats.dispatchers).toEqual([expect.objectContaining({ mode: "pull", workers: [{ id: "metrics-pw", slots: expect.any(Number), busy: 0, runtimes: ["js"] }] })]);
        const m = await scrape();
        expect(sample(m, 'faas_workers_connected{mode="pull"}')).toBe(1);
      } finally {
        await w.stop();
      }
      await eventually(async () => (await ready()).status === 503, 10_000, "not ready once the worker left");
    } finally {
      await d.stop(0);
    }
  });
});

describe("/metrics", () => {
  test("counters, gauges and histograms move with tasks, the same in every API process", async () => {
    const m0 = await scrape();
    const ok = await client.register(async (ms: number) => { await Bun.sleep(ms); return ms; });
    const bad = await client.register(() => { throw new Error("no"); });
    const slow = await client.register(async () => { await Bun.sleep(60_000); });

    // No dispatcher: created tasks wait in the queue.
    const queued = await Promise.all([client.execute(ok, [30]), client.execute(ok, [30]), client.execute(ok, [30]), client.execute(bad, [])]);
    const m1 = await scrape();
    expect(sample(m1, "faas_tasks_created_total") - sample(m0, "faas_tasks_created_total")).toBe(4);
    expect(sample(m1, "faas_queue_depth")).toBe(4);
    expect(sample(m1, "faas_tasks_running")).toBe(0);

    const d = localDispatcher(2);
    await d.start();
    try {
      for (const id of queued) await client.result(id, { wait: 20 });
      const m2 = await scrape();
      expect(sample(m2, 'faas_tasks_finished_total{status="COMPLETED"}') - sample(m0, 'faas_tasks_finished_total{status="COMPLETED"}')).toBe(3);
      expect(sample(m2, 'faas_tasks_finished_total{status="FAILED"}') - sample(m0, 'faas_tasks_finished_total{status="FAILED"}')).toBe(1);
      expect(sample(m2, "faas_queue_depth")).toBe(0);
      expect(sample(m2, 'faas_workers_connected{mode="local"}')).toBe(1);
      // Run times: the three 30 ms sleeps land above 25 ms; every run and every wait is counted once.
      expect(sample(m2, "faas_task_run_seconds_count") - sample(m0, "faas_task_run_seconds_count")).toBe(4);
      expect(sample(m2, 'faas_task_run_seconds_bucket{le="+Inf"}')).toBe(sample(m2, "faas_task_run_seconds_count"));
      expect(sample(m2, 'faas_task_run_seconds_bucket{le="0.025"}') - sample(m0, 'faas_task_run_seconds_bucket{le="0.025"}')).toBeLessThanOrEqual(1);
      expect(sample(m2, "faas_task_run_seconds_sum") - sample(m0, "faas_task_run_seconds_sum")).toBeGreaterThanOrEqual(0.09);
      expect(sample(m2, "faas_task_wait_seconds_count") - sample(m0, "faas_task_wait_seconds_count")).toBe(4);

      // A running task shows in faas_tasks_running, and its cancel in the CANCELLED total.
      const long = await client.execute(slow, []);
      await eventually(async () => sample(await scrape(), "faas_tasks_running") === 1, 10_000, "one task running");
      const res = await fetch(`${api.url}/tasks/${long}/cancel`, { method: "POST" });
      expect(res.status).toBe(200);
      const m3 = await scrape();
      expect(sample(m3, 'faas_tasks_finished_total{status="CANCELLED"}') - sample(m0, 'faas_tasks_finished_total{status="CANCELLED"}')).toBe(1);
      await eventually(async () => sample(await scrape(), "faas_tasks_running") === 0, 10_000, "nothing running");

      // Another API process on the same Redis reports the same cluster figures.
      const [a, b] = [await scrape(), await scrape(api2.url)];
      for (const key of ["faas_tasks_created_total", 'faas_tasks_finished_total{status="COMPLETED"}', "faas_task_run_seconds_count", "faas_queue_depth"]) {
        expect(sample(b, key)).toBe(sample(a, key));
      }
    } finally {
      await d.stop(0);
    }
  });

  test("tasks a stopping dispatcher hands back count in faas_tasks_requeued_total", async () => {
    const m0 = await scrape();
    const slow = await client.register(async () => { await Bun.sleep(400); });
    const d = localDispatcher(1);
    await d.start();
    const ids = await Promise.all(Array.from({ length: 4 }, () => client.execute(slow, [])));
    // The first runs, the other three wait behind it in this dispatcher; a stop hands the waiting ones back.
    await eventually(async () => (await store.getTaskStatus(ids[0]!)) === "RUNNING", 10_000, "the first task running");
    await eventually(async () => d.inFlight === 4, 10_000, "all four held");
    await d.stop(0);
    const m1 = await scrape();
    expect(sample(m1, "faas_tasks_requeued_total") - sample(m0, "faas_tasks_requeued_total")).toBeGreaterThanOrEqual(3);
    expect(sample(m1, "faas_queue_depth")).toBeGreaterThanOrEqual(3);
    const again = localDispatcher(2);
    await again.start();
    try {
      for (const id of ids) expect((await client.result(id, { wait: 20 })).status).toBe("COMPLETED");
    } finally {
      await again.stop(0);
    }
  });

  test("request durations are labelled by route pattern and status, not by raw path", async () => {
    const id = crypto.randomUUID();
    expect((await fetch(`${api.url}/status/${id}`)).status).toBe(404);
    expect((await fetch(`${api.url}/no/such/path/${id}`)).status).toBe(404);
    const m = await scrape();
    expect(sample(m, 'faas_http_request_duration_seconds_count{route="/status/:task_id",status="404"}')).toBeGreaterThanOrEqual(1);
    expect(sample(m, 'faas_http_request_duration_seconds_count{route="unmatched",status="404"}')).toBeGreaterThanOrEqual(1);
    expect([...m.keys()].some((k) => k.includes(id))).toBe(false);
  });

  test("/metrics and /stats answer 503 STORE_UNAVAILABLE when Redis is gone; /ready says NOT_READY", async () => {
    const r2 = await startRedis();
    const s2 = await createRedisStore({ url: r2.url, ttlSeconds: 60 });
    const a2 = serveApi({ app: createApp({ store: s2, log: silentLog }), port: 0 });
    try {
      await r2.stop();
      const res = await fetch(`${a2.url}/metrics`);
      expect(res.status).toBe(503);
      expect(((await res.json()) as any).error.code).toBe("STORE_UNAVAILABLE");
      const r = await ready(a2.url);
      expect(r.status).toBe(503);
      expect(r.body.error).toEqual({ code: "NOT_READY", message: "the task store (Redis) is unavailable" });
    } finally {
      await a2.stop();
      await s2.close().catch(() => {});
    }
  });
});
