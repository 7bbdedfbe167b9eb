// API keys, tenancy and limits through the real app over a real Redis (no dispatcher: tasks stay QUEUED unless set).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { OpenAPIHono } from "@hono/zod-openapi";
import Redis from "ioredis";
import { createApp } from "../../src/api/app.ts";
import { silentLog } from "../../src/log.ts";
import { createApiKey } from "../../src/store/api-keys.ts";
import { createRedisStore, type RedisStore } from "../../src/store/redis-store.ts";
import { eventually } from "../support/faas-binary.ts";
import { startRedis, type TestRedis } from "../support/redis-server.ts";

let redis: TestRedis;
let store: RedisStore;
let peek: Redis;
let app: OpenAPIHono;
const key: Record<string, string> = {};

beforeAll(async () => {
  redis = await startRedis();
  store = await createRedisStore({ url: redis.url, ttlSeconds: 60, maxQueuedPerTenant: 3, maxFunctionsPerTenant: 3 });
  peek = new Redis({ path: redis.socket });
  for (const [name, tenant, admin] of [["a", "acme", false], ["b", "bravo", false], ["root", "ops", true], ["q", "queue", false],
    ["f", "fns", false], ["r", "revoked", false]] as const) {
    key[name] = (await createApiKey(store.redis, store.keys, { name, tenant, admin })).key;
  }
  app = createApp({ store, log: silentLog, auth: { mode: "required", rateLimit: 100_000 } });
});
afterAll(async () => {
  peek.disconnect();
  await store.close();
  await redis.stop();
});

async function call(a: OpenAPIHono, method: string, path: string, k?: string, body?: unknown) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (k !== undefined) headers.authorization = `Bearer ${k}`;
  const res = await a.request(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}
const register = (k: string | undefined, a = app) => call(a, "POST", "/register_function", k, { name: "f", payload: "(x) => x" });
const execute = (k: string | undefined, fn: string, a = app) => call(a, "POST", "/execute_function", k, { function_id: fn, payload: "[1]" });

describe("authentication", () => {
  test("no key or a bad key: 401 UNAUTHORIZED with WWW-Authenticate, in the error shape", async () => {
    for (const k of [undefined, "faas_nope"]) {
      const r = await register(k);
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe("UNAUTHORIZED");
      expect(r.headers.get("www-authenticate")).toMatch(/^Bearer/);
    }
    const malformed = await app.request("/status/x", { headers: { authorization: "Basic abc" } });
    expect(malformed.status).toBe(401);
  });

  test("/health, /openapi.json and /docs need no key; the document declares the bearer scheme", async () => {
    expect((await app.request("/health")).status).toBe(200);
    expect((await app.request("/docs")).status).toBe(200);
    const doc = (await (await app.request("/openapi.json")).json()) as any;
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.paths["/execute_function"].post.security).toEqual([{ bearer: [] }]);
    expect(doc.paths["/health"].get.security).toBeUndefined();
  });

  test("admin-only routes: 403 FORBIDDEN for a tenant key; an admin lists keys (never the keys themselves)", async () => {
    const denied = await call(app, "GET", "/keys", key.a);
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe("FORBIDDEN");
    const listed = await call(app, "GET", "/keys", key.root);
    expect(listed.status).toBe(200);
    expect(listed.body.keys.map((k: any) => k.name).sort()).toEqual(["a", "b", "f", "q", "r", "root"]);
    expect(JSON.stringify(listed.body)).not.toContain(key.a!);
    expect(listed.body.keys.find((k: any) => k.name === "root").last_used).not.toBeNull();
  });
});

describe("tenancy", () => {
  test("another tenant gets 404 on every route; an admin sees and runs everything", async () => {
    const fn = (await register(key.a)).body.function_id as string;
    const task = (await execute(key.a, fn)).body.task_id as string;
    expect((await call(app, "GET", `/status/${task}`, key.a)).body.status).toBe("QUEUED");
    // The other tenant: the function and the task do not exist for it.
    const ex = await execute(key.b, fn);
    expect([ex.status, ex.body.error.code]).toEqual([404, "FUNCTION_NOT_FOUND"]);
    for (const path of [`/status/${task}`, `/result/${task}`, `/result/${task}?wait=1`]) {
      const r = await call(app, "GET", path, key.b);
      expect([path, r.status, r.body.error.code]).toEqual([path, 404, "TASK_NOT_FOUND"]);
    }
    // Idempotency keys live per tenant: b's key does not answer a's task.
    const idem = { "content-type": "application/json", "idempotency-key": "same" };
    const fnB = (await register(key.b)).body.function_id as string;
    const first = await app.request("/execute_function", { method: "POST", headers: { ...idem, authorization: `Bearer ${key.a}` }, body: JSON.stringify({ function_id: fn, payload: "[]" }) });
    const other = await app.request("/execute_function", { method: "POST", headers: { ...idem, authorization: `Bearer ${key.b}` }, body: JSON.stringify({ function_id: fnB, payload: "[]" }) });
    expect(((await other.json()) as any).task_id).not.toBe(((await first.json()) as any).task_id);
    // The admin.
    expect((await call(app, "GET", `/status/${task}`, key.root)).status).toBe(200);
    expect((await call(app, "GET", `/result/${task}?wait=0.2`, key.root)).body.status).toBe("QUEUED");
    const adminTask = await execute(key.root, fn);
    expect(adminTask.status).toBe(201);
    expect(await peek.hget(`faas:task:${adminTask.body.task_id}`, "tenant")).toBe("ops");
    // The owner, once its task is done, long-polls its result; the other tenant still cannot.
    await peek.hset(`faas:task:${task}`, "status", "COMPLETED", "result", "1");
    expect((await call(app, "GET", `/result/${task}?wait=1`, key.a)).body).toMatchObject({ status: "COMPLETED", result: "1" });
    expect((await call(app, "GET", `/result/${task}?wait=1`, key.b)).status).toBe(404);
  });
});

describe("limits", () => {
  test("--max-queued: 429 QUOTA_EXCEEDED with Retry-After; a finished task frees its place", async () => {
    const fn = (await register(key.q)).body.function_id as string;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await execute(key.q, fn)).body.task_id);
    const full = await execute(key.q, fn);
    expect([full.status, full.body.error.code, full.headers.get("retry-after")]).toEqual([429, "QUOTA_EXCEEDED", "1"]);
    expect((await execute(key.a, (await register(key.a)).body.function_id)).status).toBe(201); // other tenants unaffected
    await peek.hset(`faas:task:${ids[1]}`, "status", "FAILED", "result", "{}");
    expect((await execute(key.q, fn)).status).toBe(201);
    expect((await execute(key.q, fn)).status).toBe(429);
  });

  test("--max-functions: 429 QUOTA_EXCEEDED with Retry-After", async () => {
    // Distinct sources: the same name and source registers once (the same id again, nothing counted).
    const distinct = (i: number) => call(app, "POST", "/register_function", key.f, { name: "f", payload: `(x) => x + ${i}` });
    for (let i = 0; i < 3; i++) expect((await distinct(i)).status).toBe(201);
    expect((await register(key.f)).status).toBe(429);
    expect((await distinct(0)).status).toBe(201); // an existing function is found, not counted again
    const over = await distinct(3);
    expect([over.status, over.body.error.code]).toEqual([429, "QUOTA_EXCEEDED"]);
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  test("--rate-limit: 429 RATE_LIMITED with Retry-After once a key's bucket is empty; other keys unaffected", async () => {
    const limited = createApp({ store, log: silentLog, auth: { mode: "required", rateLimit: 5 } });
    const codes: number[] = [];
    for (let i = 0; i < 8; i++) codes.push((await call(limited, "GET", `/status/${crypto.randomUUID()}`, key.b)).status);
    expect(codes.slice(0, 5)).toEqual([404, 404, 404, 404, 404]);
    const r = await call(limited, "GET", `/status/${crypto.randomUUID()}`, key.b);
    expect([r.status, r.body.error.code, r.headers.get("retry-after")]).toEqual([429, "RATE_LIMITED", "1"]);
    expect((await call(limited, "GET", `/status/${crypto.randomUUID()}`, key.a)).status).toBe(404);
  });
});

test("a revoked key stops working within 2.5 s (2 s cache + a round trip)", async () => {
  expect((await register(key.r)).status).toBe(201);
  const id = (await store.listApiKeys()).find((k) => k.name === "r")!.id;
  expect(await store.revokeApiKey(id)).toBe(true);
  const t0 = performance.now();
  await eventually(async () => (await register(key.r)).status === 401, 5000, "401 after revoke");
  const ms = performance.now() - t0;
  console.log(`revoked key refused after ${ms.toFixed(0)} ms`);
  expect(ms).toBeLessThan(2500);
});

test("--auth off: keys are ignored, everything is tenant default", async () => {
  const open = createApp({ store, log: silentLog, auth: { mode: "off" } });
  const fn = (await register(undefined, open)).body.function_id as string;
  expect(await peek.hget(`faas:fn:${fn}`, "tenant")).toBe("default");
  const task = (await execute("garbage", fn, open)).body.task_id as string;
  expect((await call(open, "GET", `/status/${task}`)).status).toBe(200);
  expect((await call(app, "GET", `/status/${task}`, key.a)).status).toBe(404);
  expect((await call(open, "GET", "/keys")).status).toBe(403);
});
