// The batch and stream routes over real Redis and a local dispatcher: /execute_batch (order, all or nothing, one
// script call, quota, idempotency), /results (order, wait, deadline), the SSE streams (order, done, Last-Event-ID).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createApp } from "../../src/api/app.ts";
import { serveApi, type ApiServer } from "../../src/api/serve-api.ts";
import { FaasClient, readSse, type SseEvent } from "../../src/client/index.ts";
import { encode } from "../../src/codec/index.ts";
import { Dispatcher } from "../../src/dispatcher/dispatcher.ts";
import { LocalMode } from "../../src/dispatcher/modes/local-mode.ts";
import { silentLog } from "../../src/log.ts";
import { createRedisStore, type RedisStore } from "../../src/store/redis-store.ts";
import { startRedis, type TestRedis } from "../support/redis-server.ts";
import { timedFetch } from "../support/timed-fetch.ts";

let redis: TestRedis;
let store: RedisStore;
let server: ApiServer;
let dispatcher: Dispatcher;
let double: string;
let sleepy: string;

const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => timedFetch(server.url, method, path, body, headers);

async function register(source: string): Promise<string> {
  const r = await call("POST", "/register_function", { name: "f", payload: source });
  expect(r.status).toBe(201);
  return r.body.function_id;
}

async function taskCount(): Promise<number> {
  return (await store.redis.keys("faas:task:*")).length;
}

/** Read events from a stream until `stop` says so or it ends; returns them and whether the stream ended. */
async function readEvents(res: Response, stop: (events: SseEvent[]) => boolean = () => false): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const ev of readSse(res.body!)) {
    events.push(ev);
    if (stop(events)) break;
  }
  return events;
}

function events(path: string, lastEventId?: string): Promise<Response> {
  const headers: Record<string, string> = { accept: "text/event-stream" };
  if (lastEventId !== undefined) headers["last-event-id"] = lastEventId;
  return fetch(server.url + path, { headers, signal: AbortSignal.timeout(20_000) });
}

beforeAll(async () => {
  redis = await startRedis();
  store = await createRedisStore({ url: redis.url, ttlSeconds: 60 });
  server = serveApi({ app: createApp({ store, log: silentLog }), port: 0 });
  dispatcher = new Dispatcher({ queue: store.queue, mode: new LocalMode({ threads: 2, taskTimeoutMs: 10_000, log: silentLog }), log: silentLog });
  await dispatcher.start();
  double = await register("(x: number) => x * 2");
  sleepy = await register("async (ms: number, v: unknown) => { await new Promise((r) => setTimeout(r, ms)); if (v === 'fail') throw new RangeError('no'); return v; }");
});

afterAll(async () => {
  await dispatcher.stop();
  await server.stop();
  await store.close();
  await redis.stop();
});

describe("POST /execute_batch", () => {
  test("creates every task in one script call; /results answers in order", async () => {
    const tasks = Array.from({ length: 200 }, (_, i) => ({ function_id: double, payload: `[${i}]` }));
    const r = await call("POST", "/execute_batch", { tasks });
    expect(r.status).toBe(201);
    expect(r.body.task_ids).toHaveLength(200);
    expect(new Set(r.body.task_ids).size).toBe(200);
    const res = await call("POST", "/results", { task_ids: r.body.task_ids, wait: 20 });
    expect(res.status).toBe(200);
    expect(res.body.results.map((x: any) => x.task_id)).toEqual(r.body.task_ids);
    expect(res.body.results.every((x: any) => x.status === "COMPLETED")).toBe(true);
    expect(res.body.results.map((x: any) => x.result)).toEqual(tasks.map((_, i) => encode(i * 2)));
  });

  test("one Redis command per batch (no dispatcher reads this prefix)", async () => {
    const solo = await createRedisStore({ url: redis.url, keyPrefix: "solo" });
    const api = serveApi({ app: createApp({ store: solo, log: silentLog }), port: 0 });
    try {
      const reg = await timedFetch(api.url, "POST", "/register_function", { name: "f", payload: "() => 1" });
      const tasks = Array(500).fill({ function_id: reg.body.function_id, payload: "[]" });
      expect((await timedFetch(api.url, "POST", "/execute_batch", { tasks: tasks.slice(0, 1) })).status).toBe(201); // loads the script
      // Every command of the store's connection goes through sendCommand: record their names.
      const sent: string[] = [];
      const r = solo.redis as unknown as { sendCommand(cmd: { name: string }): unknown };
      const send = r.sendCommand.bind(r);
      r.sendCommand = (cmd) => (sent.push(cmd.name), send(cmd));
      expect((await timedFetch(api.url, "POST", "/execute_batch", { tasks })).status).toBe(201);
      r.sendCommand = send;
      expect(sent).toEqual(["evalsha"]);
      expect(await solo.redis.xlen("solo:queue")).toBe(501);
    } finally {
      await api.stop();
      await solo.close();
    }
  });

  test("a task made in a batch leaves the same records, queue entry, indexes and accounting as one made alone", async () => {
    const same = await createRedisStore({ url: redis.url, keyPrefix: "same" });
    try {
      const fnId = await same.registerFunction({ name: "f", source: "() => 1", code: "() => 1" });
      const alone = await same.createTask({ functionId: fnId, args: "[1]", timeoutMs: 5000 });
      const { taskIds: [batched] } = await same.createBatch([{ functionId: fnId, args: "[1]", timeoutMs: 5000 }], {});
      const r = same.redis;
      const where = async (id: string) => {
        const found: string[] = [];
        for (const key of (await r.keys("same:*")).sort()) {
          const type = await r.type(key);
          if (type === "zset" && (await r.zscore(key, id)) !== null) found.push(key);
          if (type === "set" && (await r.sismember(key, id)) === 1) found.push(key);
          if (type === "stream" && (await r.xrange(key, "-", "+")).some(([, f]) => f.includes(id))) found.push(key);
          if (type === "hash" && key.endsWith(id)) found.push(key.replace(id, "ID"));
        }
        return found;
      };
      expect(await where(batched!)).toEqual(await where(alone));
      const fields = async (id: string) => {
        const { created: _c, ...rest } = await r.hgetall(`same:task:${id}`);
        return rest;
      };
      expect(await fields(batched!)).toEqual(await fields(alone));
      expect(await r.smembers("same:tenants")).toEqual(["default"]);
    } finally {
      await same.close();
    }
  });

  test("all or nothing: an invalid task refuses the batch, naming its index, and creates none", async () => {
    const before = await taskCount();
    const ok = { function_id: double, payload: "[1]" };
    const badArgs = await call("POST", "/execute_batch", { tasks: [ok, ok, ok, { function_id: double, payload: "{" }] });
    expect(badArgs.status).toBe(400);
    expect(badArgs.body.error.code).toBe("INVALID_ARGUMENTS");
    expect(badArgs.body.error.message).toContain("tasks[3]");
    const unknown = await call("POST", "/execute_batch", { tasks: [ok, ok, { function_id: crypto.randomUUID(), payload: "[]" }, ok] });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("FUNCTION_NOT_FOUND");
    expect(unknown.body.error.message).toContain("tasks[2]");
    const shape = await call("POST", "/execute_batch", { tasks: [ok, { payload: "[]" }] });
    expect(shape.status).toBe(400);
    expect(shape.body.error.message).toContain("tasks.1.function_id");
    expect((await call("POST", "/execute_batch", { tasks: [] })).status).toBe(400);
    expect(await taskCount()).toBe(before);
  });

  test("the whole batch must fit under --max-queued; nothing is created when it does not", async () => {
    const small = await createRedisStore({ url: redis.url, keyPrefix: "quota", maxQueuedPerTenant: 5 });
    const api = serveApi({ app: createApp({ store: small, log: silentLog }), port: 0 });
    try {
      const reg = await timedFetch(api.url, "POST", "/register_function", { name: "f", payload: "() => 1" });
      const task = { function_id: reg.body.function_id, payload: "[]" };
      const over = await timedFetch(api.url, "POST", "/execute_batch", { tasks: Array(6).fill(task) });
      expect(over.status).toBe(429);
      expect(over.body.error.code).toBe("QUOTA_EXCEEDED");
      expect((await small.redis.keys("quota:task:*")).length).toBe(0);
      expect((await timedFetch(api.url, "POST", "/execute_batch", { tasks: Array(5).fill(task) })).status).toBe(201);
      expect((await timedFetch(api.url, "POST", "/execute_batch", { tasks: [task] })).status).toBe(429);
    } finally {
      await api.stop();
      await small.close();
    }
  });

  test("an Idempotency-Key answers the same batch again", async () => {
    const body = { tasks: [{ function_id: double, payload: "[1]" }, { function_id: double, payload: "[2]" }] };
    const key = `k-${crypto.randomUUID()}`;
    const a = await call("POST", "/execute_batch", body, { "idempotency-key": key });
    const b = await call("POST", "/execute_batch", body, { "idempotency-key": key });
    expect(a.status).toBe(201);
    expect(b.body).toEqual(a.body);
  });
});

describe("POST /results", () => {
  test("with wait, answers at the deadline with the states then; unknown ids are 404 naming the index", async () => {
    const r = await call("POST", "/execute_batch", { tasks: [
      { function_id: sleepy, payload: "[5000, 1]" }, { function_id: sleepy, payload: "[0, 2]" },
    ] });
    const [slow, quick] = r.body.task_ids;
    await call("POST", "/results", { task_ids: [quick], wait: 10 });
    const started = Date.now();
    const res = await call("POST", "/results", { task_ids: [slow, quick], wait: 0.5 });
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(450);
    expect(took).toBeLessThan(3000);
    expect(res.body.results[0]).toMatchObject({ task_id: slow, result: null });
    expect(["QUEUED", "RUNNING"]).toContain(res.body.results[0].status);
    expect(res.body.results[1]).toEqual({ task_id: quick, status: "COMPLETED", result: "2" });
    const missing = await call("POST", "/results", { task_ids: [quick, crypto.randomUUID()] });
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain("task_ids[1]");
    const malformed = await call("POST", "/results", { task_ids: ["nope"], wait: 1 });
    expect(malformed.status).toBe(404);
    expect(malformed.body.error.message).toContain("task_ids[0]");
  });
});

describe("reads saved", () => {
  test("/results right after /execute_batch on the same API reads none of the tasks it created: the announcements carry their states", async () => {
    await call("POST", "/results", { task_ids: [(await call("POST", "/execute_function", { function_id: double, payload: "[0]" })).body.task_id], wait: 10 }); // subscribed
    // Tasks that take 250 ms: none can finish (and be announced) before the /results below is watching.
    const r = await call("POST", "/execute_batch", { tasks: Array.from({ length: 16 }, (_, i) => ({ function_id: sleepy, payload: `[250, ${i * 2}]` })) });
    const sent: string[] = [];
    const conn = store.redis as unknown as { sendCommand(cmd: { name: string }): unknown };
    const send = conn.sendCommand.bind(conn);
    conn.sendCommand = (cmd) => (sent.push(cmd.name), send(cmd));
    try {
      const res = await call("POST", "/results", { task_ids: r.body.task_ids, wait: 20 });
      expect(res.body.results.map((x: any) => x.result)).toEqual(Array.from({ length: 16 }, (_, i) => String(i * 2)));
    } finally {
      conn.sendCommand = send;
    }
    expect(sent.filter((c) => c === "hmget")).toEqual([]);
    // Without wait the states are read (no watch): all COMPLETED by now.
    const again = await call("POST", "/results", { task_ids: r.body.task_ids });
    expect(again.body.results.every((x: any) => x.status === "COMPLETED")).toBe(true);
  });
});

describe("SSE streams", () => {
  test("a batch's events come once per task as they finish, then done; Last-Event-ID resumes", async () => {
    // Task i takes (8 - i) × 40 ms: they finish out of order. Task 5 fails.
    const tasks = Array.from({ length: 8 }, (_, i) => ({ function_id: sleepy, payload: JSON.stringify([(8 - i) * 40, i === 5 ? "fail" : i]) }));
    const r = await call("POST", "/execute_batch", { tasks });
    const batch = r.body.batch_id as string;
    const first = await readEvents(await events(`/batches/${batch}/events`), (evs) => evs.length === 3);
    expect(first).toHaveLength(3);
    const resumeAt = first.at(-1)!.id!;
    expect(resumeAt).toMatch(/^\d+$/);
    const rest = await readEvents(await events(`/batches/${batch}/events`, resumeAt));
    const done = rest.at(-1)!;
    expect(done.event).toBe("done");
    expect(JSON.parse(done.data)).toEqual({ batch_id: batch, total: 8, completed: 7, failed: 1 });
    expect(done.id).toBe("8");
    // Every index at least once across the two connections; those at or past the watermark came again.
    const seen = [...first, ...rest.slice(0, -1)].map((e) => JSON.parse(e.data));
    expect(new Set(seen.map((e) => e.index))).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7]));
    for (const e of rest.slice(0, -1).map((x) => JSON.parse(x.data))) expect(e.index).toBeGreaterThanOrEqual(Number(resumeAt));
    const five = seen.find((e) => e.index === 5);
    expect(five.status).toBe("FAILED");
    expect(five.task_id).toBe(r.body.task_ids[5]);
    // The whole batch final: a fresh stream sends all 8 in index order, then done.
    const all = await readEvents(await events(`/batches/${batch}/events`));
    expect(all.slice(0, -1).map((e) => JSON.parse(e.data).index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(all.slice(0, -1).map((e) => e.id)).toEqual(["1", "2", "3", "4", "5", "6", "7", "8"]);
    // Resuming at the end: only done.
    const end = await readEvents(await events(`/batches/${batch}/events`, "8"));
    expect(end.map((e) => e.event)).toEqual(["done"]);
  });

  test("a task's stream, and the errors of both streams", async () => {
    const r = await call("POST", "/execute_function", { function_id: sleepy, payload: "[100, \"v\"]" });
    const evs = await readEvents(await events(`/tasks/${r.body.task_id}/events`));
    expect(evs.map((e) => e.event)).toEqual(["message", "done"]);
    expect(JSON.parse(evs[0]!.data)).toEqual({ index: 0, task_id: r.body.task_id, status: "COMPLETED", result: '"v"' });
    expect((await events(`/tasks/${crypto.randomUUID()}/events`)).status).toBe(404);
    const nb = await events(`/batches/${crypto.randomUUID()}/events`);
    expect(nb.status).toBe(404);
    expect(((await nb.json()) as any).error.code).toBe("BATCH_NOT_FOUND");
    expect((await events(`/tasks/${r.body.task_id}/events`, "x")).status).toBe(400);
  });

  test("the client's events(): a stream that breaks is resumed from its last id, each task delivered once", async () => {
    const tasks = Array.from({ length: 6 }, (_, i) => ({ function_id: sleepy, payload: JSON.stringify([(6 - i) * 30, i]) }));
    const r = await call("POST", "/execute_batch", { tasks });
    let connections = 0;
    const resumedWith: (string | null)[] = [];
    // The first response's body breaks after its second event: the client must reconnect with Last-Event-ID.
    const breaking = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const res = await fetch(input, init);
      connections++;
      resumedWith.push(new Headers(init?.headers).get("last-event-id"));
      if (connections > 1 || !res.body) return res;
      let events = 0;
      const cut = res.body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, out) {
          out.enqueue(chunk);
          events += new TextDecoder().decode(chunk).split("\n\n").length - 1;
          if (events >= 2) out.error(new Error("connection reset"));
        },
      }));
      return new Response(cut, { status: res.status, headers: res.headers });
    };
    const client = new FaasClient({ baseUrl: server.url, fetch: breaking as unknown as typeof fetch, timeoutMs: 20_000 });
    const got: number[] = [];
    for await (const e of client.events(r.body.batch_id)) got.push(e.index);
    expect(got.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(connections).toBe(2);
    expect(resumedWith[0]).toBeNull();
    expect(resumedWith[1]).toMatch(/^\d+$/);
  });

  test("the client's waiting calls end at their deadline or on abort", async () => {
    const client = new FaasClient({ baseUrl: server.url, timeoutMs: 600 });
    const r = await call("POST", "/execute_function", { function_id: sleepy, payload: "[5000, 1]" });
    const started = Date.now();
    await expect(client.wait(r.body.task_id)).rejects.toMatchObject({ code: "TIMEOUT" });
    expect(Date.now() - started).toBeLessThan(3000);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    await expect(client.results([r.body.task_id], { wait: 30, signal: ac.signal, timeoutMs: 10_000 })).rejects.toMatchObject({ code: "ABORTED" });
    const events = client.events(crypto.randomUUID());
    await expect(events.next()).rejects.toMatchObject({ code: "BATCH_NOT_FOUND", status: 404 });
  });
});
