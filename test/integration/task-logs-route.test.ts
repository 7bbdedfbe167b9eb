// GET /tasks/{task_id}/logs through the real app, a real Redis and a local dispatcher: the answer's shape, the cap,
// tenancy (another tenant's task is 404) and the route in the OpenAPI document.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { createApp } from "../../src/api/app.ts";
import { Dispatcher } from "../../src/dispatcher/dispatcher.ts";
import { LocalMode } from "../../src/dispatcher/modes/local-mode.ts";
import { silentLog } from "../../src/log.ts";
import { createApiKey } from "../../src/store/api-keys.ts";
import { createRedisStore, type RedisStore } from "../../src/store/redis-store.ts";
import { startRedis, type TestRedis } from "../support/redis-server.ts";

let redis: TestRedis;
let store: RedisStore;
let app: OpenAPIHono;
let dispatcher: Dispatcher;
const key: Record<string, string> = {};

beforeAll(async () => {
  redis = await startRedis();
  store = await createRedisStore({ url: redis.url, ttlSeconds: 60 });
  for (const [name, tenant, admin] of [["a", "acme", false], ["b", "bravo", false], ["root", "ops", true]] as const) {
    key[name] = (await createApiKey(store.redis, store.keys, { name, tenant, admin })).key;
  }
  app = createApp({ store, log: silentLog, auth: { mode: "required", rateLimit: 100_000 } });
  dispatcher = new Dispatcher({ queue: store.queue, mode: new LocalMode({ threads: 2, log: silentLog }), log: silentLog, blockMs: 200, taskLogLines: 5 });
  await dispatcher.start();
});
afterAll(async () => {
  await dispatcher.stop(0);
  await store.close();
  await redis.stop();
});

async function call(method: string, path: string, k?: string, body?: unknown) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (k !== undefined) headers.authorization = `Bearer ${k}`;
  const res = await app.request(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
}

async function run(k: string, payload: string): Promise<string> {
  const fn = (await call("POST", "/register_function", k, { name: "logs", payload })).body.function_id;
  const task = (await call("POST", "/execute_function", k, { function_id: fn, payload: "[]" })).body.task_id;
  const r = await call("GET", `/result/${task}?wait=20`, k);
  expect(["COMPLETED", "FAILED"]).toContain(r.body.status);
  return task;
}

describe("GET /tasks/{task_id}/logs", () => {
  test("the lines in order with their streams and ISO times, for the task's tenant and the admin; 404 for another tenant", async () => {
    const before = Date.now();
    const task = await run(key.a!, "() => { console.log('to stdout', 1); console.error('to stderr'); return 2 }");
    const r = await call("GET", `/tasks/${task}/logs`, key.a);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ task_id: task, truncated: false });
    expect(r.body.lines.map((l: any) => [l.stream, l.text])).toEqual([["stdout", "to stdout 1"], ["stderr", "to stderr"]]);
    for (const l of r.body.lines) {
      expect(l.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(Date.parse(l.ts)).toBeGreaterThanOrEqual(before - 1000);
    }
    expect((await call("GET", `/tasks/${task.toUpperCase()}/logs`, key.a)).body.lines).toHaveLength(2);
    expect((await call("GET", `/tasks/${task}/logs`, key.root)).status).toBe(200);
    const other = await call("GET", `/tasks/${task}/logs`, key.b);
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe("TASK_NOT_FOUND");
    expect((await call("GET", `/tasks/${task}/logs`)).status).toBe(401);
  });

  test("capped by the dispatcher's taskLogLines (5 here): truncated; a task that wrote nothing has no lines", async () => {
    const many = await run(key.a!, "() => { for (let i = 0; i < 50; i++) console.log('n', i); return 1 }");
    const r = await call("GET", `/tasks/${many}/logs`, key.a);
    expect(r.body.lines.map((l: any) => l.text)).toEqual(["n 0", "n 1", "n 2", "n 3", "n 4"]);
    expect(r.body.truncated).toBe(true);
    const quiet = await run(key.a!, "() => 1");
    expect((await call("GET", `/tasks/${quiet}/logs`, key.a)).body).toEqual({ task_id: quiet, lines: [], truncated: false });
  });

  test("unknown or malformed ids are 404 TASK_NOT_FOUND; the route is in the OpenAPI document", async () => {
    expect((await call("GET", `/tasks/${crypto.randomUUID()}/logs`, key.a)).status).toBe(404);
    expect((await call("GET", "/tasks/not-a-uuid/logs", key.a)).body.error.code).toBe("TASK_NOT_FOUND");
    const doc = (await (await app.request("/openapi.json")).json()) as any;
    const op = doc.paths["/tasks/{task_id}/logs"].get;
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["200", "401", "404"]));
    expect(doc.components.schemas.TaskLogs.properties.lines.items.properties.stream.enum).toEqual(["stdout", "stderr"]);
  });
});
