// The API in front of a slow, frozen or gone Redis: bounded 503s, no late "ghost" tasks; idempotent creates.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import type Redis from "ioredis";
import { createApp } from "../../src/api/app.ts";
import { serveApi, type ApiServer } from "../../src/api/serve-api.ts";
import { silentLog } from "../../src/log.ts";
import { connectRedis } from "../../src/store/connect-redis.ts";
import { sendCreateTask } from "../../src/store/create-task.ts";
import { createRedisStore, type RedisStore } from "../../src/store/redis-store.ts";
import { eventually } from "../support/faas-binary.ts";
import { startRedis, type TestRedis } from "../support/redis-server.ts";
import { timedFetch } from "../support/timed-fetch.ts";

/** The pid of the redis-server listening on `socket` (found by its command line). */
function redisPid(socket: string): number {
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, "utf8");
      if (cmd.startsWith("redis-server") && cmd.includes(socket)) return Number(d);
    } catch {
      // The process ended while we looked.
    }
  }
  throw new Error(`no redis-server on ${socket}`);
}

let redis: TestRedis;
let store: RedisStore;
let server: ApiServer;
/** A connection of the test's own, for looking at keys. */
let peek: Redis;
const warnings: string[] = [];

beforeAll(async () => {
  redis = await startRedis();
  const log = { ...silentLog, warn: (m: string) => void warnings.push(m) };
  store = await createRedisStore({ url: redis.url, ttlSeconds: 60, log });
  server = serveApi({ app: createApp({ store, log: silentLog }), port: 0 });
  peek = connectRedis(redis.url);
});

afterAll(async () => {
  await server.stop();
  await store.close();
  peek.disconnect();
  await redis.stop();
});


const timed = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => timedFetch(server.url, method, path, body, headers);

const taskKeys = async () => (await peek.keys("faas:task:*")).sort();
const registerFn = async () => (await timed("POST", "/register_function", { name: "f", payload: "(x) => x" })).body.function_id as string;

describe("idempotent creates", () => {
  test("the same Idempotency-Key answers the same task_id and creates one task; another key makes another", async () => {
    const fn = await registerFn();
    const before = (await taskKeys()).length;
    const queued = await peek.xlen("faas:queue");
    const key = { "Idempotency-Key": `k-${crypto.randomUUID()}` };
    const a = await timed("POST", "/execute_function", { function_id: fn, payload: "[1]" }, key);
    const b = await timed("POST", "/execute_function", { function_id: fn, payload: "[1]" }, key);
    expect(a.status).toBe(201);
    expect(b).toMatchObject({ status: 201, body: { task_id: a.body.task_id } });
    // Racing repeats are one script each: still the one task.
    const racing = await Promise.all(Array.from({ length: 5 }, () => timed("POST", "/execute_function", { function_id: fn, payload: "[1]" }, key)));
    for (const r of racing) expect(r).toMatchObject({ status: 201, body: { task_id: a.body.task_id } });
    expect((await taskKeys()).length).toBe(before + 1);
    expect(await peek.xlen("faas:queue")).toBe(queued + 1);
    expect(await peek.pttl(`faas:idem:${key["Idempotency-Key"]}`)).toBeGreaterThan(86_000_000);

    const other = await timed("POST", "/execute_function", { function_id: fn, payload: "[1]" }, { "Idempotency-Key": `k-${crypto.randomUUID()}` });
    const plain = await timed("POST", "/execute_function", { function_id: fn, payload: "[1]" });
    expect(other.status).toBe(201);
    expect(plain.status).toBe(201);
    expect(new Set([a.body.task_id, other.body.task_id, plain.body.task_id]).size).toBe(3);
    expect((await taskKeys()).length).toBe(before + 3);
  });

  test("a key used with an unknown function names nothing: a later good call with it creates the task", async () => {
    const key = { "Idempotency-Key": `k-${crypto.randomUUID()}` };
    const missing = await timed("POST", "/execute_function", { function_id: crypto.randomUUID(), payload: "[]" }, key);
    expect(missing.body.error.code).toBe("FUNCTION_NOT_FOUND");
    const fn = await registerFn();
    const ok = await timed("POST", "/execute_function", { function_id: fn, payload: "[]" }, key);
    expect(ok.status).toBe(201);
    expect(await peek.get(`faas:idem:${key["Idempotency-Key"]}`)).toBe(ok.body.task_id);
  });

  test("a bad Idempotency-Key is 400 BAD_REQUEST and creates nothing", async () => {
    const fn = await registerFn();
    const before = (await taskKeys()).length;
    for (const bad of ["", "x".repeat(201), "a\tb", "a\x7fb"]) {
      const r = await timed("POST", "/execute_function", { function_id: fn, payload: "[]" }, { "Idempotency-Key": bad });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe("BAD_REQUEST");
      expect(r.body.error.message).toContain('header: "Idempotency-Key"');
    }
    expect((await taskKeys()).length).toBe(before);
    const longest = await timed("POST", "/execute_function", { function_id: fn, payload: "[]" }, { "Idempotency-Key": "~ ".repeat(99) + "ok" });
    expect(longest.status).toBe(201);
  });

  test("the OpenAPI document lists the header", async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as any;
    const params = doc.paths["/execute_function"].post.parameters as any[];
    expect(params).toContainEqual(expect.objectContaining({ name: "Idempotency-Key", in: "header", required: false }));
  });
});

describe("the create script's deadline", () => {
  test("the store's estimate of Redis's clock matches TIME (same host: within 100 ms)", async () => {
    await store.ping(); // a fresh sample
    const [sec, usec] = await peek.time();
    const redisMs = Number(sec) * 1000 + Number(usec) / 1000;
    expect(Math.abs(store.clock.now() - redisMs)).toBeLessThan(100);
  });

  test("a create reaching Redis past its deadline (Redis clock) is refused: 503 and no task", async () => {
    const fn = await registerFn();
    const before = await taskKeys();
    const realNow = store.clock.now.bind(store.clock);
    // The store believes Redis's clock is 10 s behind: the deadline it states has passed when the script runs.
    store.clock.now = () => realNow() - 10_000;
    try {
      const r = await timed("POST", "/execute_function", { function_id: fn, payload: "[]" }, { "Idempotency-Key": "late-one" });
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe("STORE_UNAVAILABLE");
    } finally {
      store.clock.now = realNow;
    }
    expect(await taskKeys()).toEqual(before);
    expect(await peek.get("faas:idem:late-one")).toBeNull();
  });
});

describe("a create sent twice (a reconnect resends an unanswered command)", () => {
  test("the second changes nothing: one hash, one queue entry", async () => {
    const fn = await registerFn();
    const queued = await peek.xlen("faas:queue");
    const call = { id: crypto.randomUUID(), functionId: fn, args: "[1]", replyTimeoutMs: 2500, idempotencyTtlMs: 60_000 };
    expect(await sendCreateTask(store.redis, store.keys, store.clock, call, () => {})).toBe(1);
    await peek.hset(`faas:task:${call.id}`, "status", "RUNNING"); // as if a dispatcher had started it
    expect(await sendCreateTask(store.redis, store.keys, store.clock, { ...call, args: "[2]" }, () => {})).toBe(1);
    expect(await peek.xlen("faas:queue")).toBe(queued + 1);
    expect(await peek.hmget(`faas:task:${call.id}`, "status", "args")).toEqual(["RUNNING", "[1]"]);
  });
});

describe("Redis frozen (SIGSTOP)", () => {
  test("every route answers 503 in bounded time, and no create runs after Redis wakes up", async () => {
    const fn = await registerFn();
    const created = await timed("POST", "/execute_function", { function_id: fn, payload: "[1]" });
    expect(created.status).toBe(201);
    const before = await taskKeys();
    const queued = await peek.xlen("faas:queue");
    const pid = redisPid(redis.socket);
    process.kill(pid, "SIGSTOP");
    let answers;
    try {
      answers = await Promise.all([
        timed("GET", "/health"),
        timed("POST", "/execute_function", { function_id: fn, payload: "[2]" }),
        timed("POST", "/execute_function", { function_id: fn, payload: "[3]" }, { "Idempotency-Key": "frozen" }),
        timed("POST", "/register_function", { name: "g", payload: "() => 1" }),
        timed("GET", `/status/${created.body.task_id}`),
        timed("GET", `/result/${crypto.randomUUID()}?wait=20`),
        timed("GET", `/result/${created.body.task_id}?wait=1`),
      ]);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    const [health, ...rest] = answers;
    expect(health!.status).toBe(503);
    expect(health!.body.error.code).toBe("STORE_UNAVAILABLE");
    expect(health!.ms).toBeLessThan(2000);
    for (const r of rest) expect(r).toMatchObject({ status: 503, body: { error: { code: "STORE_UNAVAILABLE" } } });
    // The long-poll on a task created here may wait its second; every other answer comes within 3 s.
    expect(rest.at(-1)!.ms).toBeLessThan(1000 + 3000);
    for (const r of rest.slice(0, -1)) expect(r.ms).toBeLessThan(3000);

    // Redis runs the commands it was sent while frozen; /health goes through the same connection, after them.
    await eventually(async () => (await timed("GET", "/health")).status === 200, 10_000, "health 200 after SIGCONT");
    expect(await taskKeys()).toEqual(before);
    expect(await peek.xlen("faas:queue")).toBe(queued);
    expect(await peek.get("faas:idem:frozen")).toBeNull();
    expect(warnings).toEqual([]);
  }, 20_000);
});

describe("Redis gone", () => {
  test("/health within 2 s and a create within 3 s answer 503", async () => {
    const r = await startRedis();
    const s = await createRedisStore({ url: r.url });
    const app = createApp({ store: s, log: silentLog });
    const fn = await s.registerFunction({ name: "f", source: "() => 1", code: "() => 1" });
    try {
      await r.stop();
      const t0 = performance.now();
      const [health, create] = await Promise.all([
        Promise.resolve(app.request("/health")).then((res) => ({ res, ms: performance.now() - t0 })),
        Promise.resolve(app.request("/execute_function", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ function_id: fn, payload: "[]" }),
        })).then((res) => ({ res, ms: performance.now() - t0 })),
      ]);
      expect(health.res.status).toBe(503);
      expect(health.ms).toBeLessThan(2000);
      expect(create.res.status).toBe(503);
      expect(create.ms).toBeLessThan(3000);
    } finally {
      await s.close();
    }
  });
});
