// Task records, listings, cancel and function management through the real app over real HTTP and a real Redis,
// with a real local dispatcher started only where tasks should run (elsewhere they stay QUEUED).
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { createApp } from "../../src/api/app.ts";
import { serveApi, type ApiServer } from "../../src/api/serve-api.ts";
import { Dispatcher } from "../../src/dispatcher/dispatcher.ts";
import { LocalMode } from "../../src/dispatcher/modes/local-mode.ts";
import { silentLog } from "../../src/log.ts";
import { createApiKey } from "../../src/store/api-keys.ts";
import { createRedisStore, type RedisStore } from "../../src/store/redis-store.ts";
import { eventually } from "../support/faas-binary.ts";
import { startRedis, type TestRedis } from "../support/redis-server.ts";

let redis: TestRedis;
let store: RedisStore;
let server: ApiServer;
const key: Record<string, string> = {};
let dispatcher: Dispatcher | null = null;
/** Called with the task id whenever the API starts a long-poll. */
let onWait: (taskId: string) => void = () => {};

beforeAll(async () => {
  redis = await startRedis();
  store = await createRedisStore({ url: redis.url, ttlSeconds: 60 });
  for (const [name, tenant, admin] of [["a", "acme", false], ["b", "bravo", false], ["root", "ops", true]] as const) {
    key[name] = (await createApiKey(store.redis, store.keys, { name, tenant, admin })).key;
  }
  // The real store, with a spy on waitForTaskState so a test knows when a long-poll is under way.
  const spied = new Proxy(store, {
    get(target, prop) {
      if (prop === "waitForTaskState") {
        return (id: string, ms: number, access: unknown) => {
          onWait(id);
          return target.waitForTaskState(id, ms, access as never);
        };
      }
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  server = serveApi({ app: createApp({ store: spied, log: silentLog, auth: { mode: "required", rateLimit: 100_000 } }), port: 0 });
});
afterEach(async () => {
  await dispatcher?.stop();
  dispatcher = null;
});
afterAll(async () => {
  await server.stop();
  await store.close();
  await redis.stop();
});

async function startDispatcher(): Promise<void> {
  dispatcher = new Dispatcher({ queue: store.queue, mode: new LocalMode({ threads: 1, taskTimeoutMs: 5000, log: silentLog }), log: silentLog });
  await dispatcher.start();
}

async function call(k: string | undefined, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (k) headers.authorization = `Bearer ${k}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(server.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
const register = async (k: string, payload: string, name = "f") => {
  const r = await call(k, "POST", "/register_function", { name, payload });
  expect(r.status).toBe(201);
  return r.body.function_id as string;
};
const execute = async (k: string, fn: string, args = "[]", extra: Record<string, unknown> = {}) => {
  const r = await call(k, "POST", "/execute_function", { function_id: fn, payload: args, ...extra });
  expect(r.status).toBe(201);
  return r.body.task_id as string;
};
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe("GET /tasks/{task_id}", () => {
  test("the record's fields and times, null until they happen, through a task's life", async () => {
    const fn = await register(key.a!, "async (ms) => { await new Promise((r) => setTimeout(r, ms)); return ms }", "sleep");
    const before = Date.now();
    const id = await execute(key.a!, fn, "[60]", { timeout_seconds: 4.5 });
    const queued = await call(key.a, "GET", `/tasks/${id}`);
    expect(queued.status).toBe(200);
    expect(queued.body).toEqual({
      task_id: id, function_id: fn, status: "QUEUED", attempts: 0, executor: null, created_at: expect.stringMatching(ISO),
      started_at: null, finished_at: null, duration_ms: null, timeout_seconds: 4.5, result: null,
    });
    expect(Date.parse(queued.body.created_at)).toBeGreaterThanOrEqual(before - 5);
    await startDispatcher();
    expect((await call(key.a, "GET", `/result/${id}?wait=10`)).body.status).toBe("COMPLETED");
    const done = (await call(key.a, "GET", `/tasks/${id}`)).body;
    expect(done).toMatchObject({ status: "COMPLETED", attempts: 1, executor: expect.any(String), result: "60", timeout_seconds: 4.5 });
    const [created, started, finished] = [done.created_at, done.started_at, done.finished_at].map(Date.parse);
    expect(created).toBeLessThanOrEqual(started!);
    expect(started).toBeLessThanOrEqual(finished!);
    expect(done.duration_ms).toBe(finished! - started!);
    expect(done.duration_ms).toBeGreaterThanOrEqual(50);
    // The scripts moved it through the status indexes: listed as COMPLETED now, no longer as QUEUED or RUNNING.
    const listed = async (status: string) => (await call(key.a, "GET", `/tasks?status=${status}&limit=100`)).body.tasks.map((t: any) => t.task_id);
    expect(await listed("COMPLETED")).toContain(id);
    expect(await listed("QUEUED")).not.toContain(id);
    expect(await listed("RUNNING")).not.toContain(id);
    for (const s of ["QUEUED", "RUNNING"]) expect(await store.redis.zscore(store.keys.tenantStatusTasks("acme", s), id)).toBeNull();
    // The default timeout is null; tenancy as everywhere: another tenant's task is unknown, an admin sees it.
    const plain = await execute(key.a!, fn, "[1]");
    expect((await call(key.a, "GET", `/tasks/${plain}`)).body.timeout_seconds).toBeNull();
    expect((await call(key.b, "GET", `/tasks/${id}`)).status).toBe(404);
    expect((await call(key.root, "GET", `/tasks/${id}`)).body.status).toBe("COMPLETED");
    expect((await call(key.a, "GET", `/tasks/${id.toUpperCase()}`)).status).toBe(200);
    const bad = await call(key.a, "GET", "/tasks/not-a-uuid");
    expect(bad).toMatchObject({ status: 404, body: { error: { code: "TASK_NOT_FOUND" } } });
    expect((await call(key.a, "GET", `/tasks/${crypto.randomUUID()}`)).status).toBe(404);
    expect((await call(undefined, "GET", `/tasks/${id}`)).status).toBe(401);
  });
});

describe("GET /tasks", () => {
  test("newest first, filtered by status and function, in pages that cover every task once, per tenant", async () => {
    const f1 = await register(key.b!, "(x) => x", "one");
    const f2 = await register(key.b!, "(x) => x + 1", "two");
    const ids: { id: string; fn: string }[] = [];
    for (let i = 0; i < 9; i++) {
      const fn = i % 3 === 0 ? f2 : f1;
      ids.push({ id: await execute(key.b!, fn, `[${i}]`), fn });
    }
    const cancelled = [ids[1]!.id, ids[4]!.id, ids[6]!.id];
    for (const id of cancelled) expect((await call(key.b, "POST", `/tasks/${id}/cancel`)).status).toBe(200);

    /** Every page of a listing, following next_cursor. */
    const all = async (query: string, limit: number, k = key.b) => {
      const rows: any[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const r = await call(k, "GET", `/tasks?limit=${limit}${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
        expect(r.status).toBe(200);
        expect(r.body.tasks.length).toBeLessThanOrEqual(limit);
        rows.push(...r.body.tasks);
        cursor = r.body.next_cursor;
        expect(++pages).toBeLessThan(50);
      } while (cursor !== null);
      return rows;
    };
    // Newest first: created time descending (ties: the index orders ids descending).
    const order = (rows: any[]) => [...rows].sort((x, y) => y.created_at.localeCompare(x.created_at) || y.task_id.localeCompare(x.task_id));
    const listed = await all("", 2);
    expect(listed.map((t) => t.task_id).sort()).toEqual(ids.map((t) => t.id).sort());
    expect(listed).toEqual(order(listed));
    expect(listed[0]).toMatchObject({ function_id: expect.any(String), attempts: 0, started_at: null, created_at: expect.stringMatching(ISO) });
    const first = await call(key.b, "GET", "/tasks?limit=100");
    expect(first.body.next_cursor).toBeNull();
    expect(first.body.tasks.map((t: any) => t.task_id)).toEqual(listed.map((t) => t.task_id));

    const byStatus = await all("&status=CANCELLED", 2);
    expect(byStatus.map((t) => t.task_id).sort()).toEqual([...cancelled].sort());
    for (const t of byStatus) expect(t.result).toContain("CancelledError");
    expect((await all("&status=QUEUED", 4)).length).toBe(6);
    expect(await all("&status=COMPLETED", 4)).toEqual([]);
    const byFn = await all(`&function_id=${f2}`, 2);
    expect(byFn.map((t) => t.task_id).sort()).toEqual(ids.filter((t) => t.fn === f2).map((t) => t.id).sort());
    const both = await all(`&function_id=${f2}&status=CANCELLED`, 1);
    expect(both.map((t) => t.task_id)).toEqual([ids[6]!.id]);

    // Tenancy: tenant a sees none of b's; an admin sees both tenants'.
    const seenByA = new Set((await all("", 100, key.a)).map((t) => t.task_id));
    for (const t of ids) expect(seenByA.has(t.id)).toBe(false);
    expect(await all(`&function_id=${f1}`, 10, key.a)).toEqual([]);
    const seenByAdmin = await all("", 3, key.root);
    const adminIds = new Set(seenByAdmin.map((t) => t.task_id));
    for (const t of ids) expect(adminIds.has(t.id)).toBe(true);
    for (const id of seenByA) expect(adminIds.has(id)).toBe(true);
    expect(seenByAdmin).toEqual(order(seenByAdmin));
  });

  test("bad queries are 400 BAD_REQUEST", async () => {
    for (const q of ["limit=0", "limit=101", "limit=x", "status=DONE", "function_id=nope", "cursor=zzz"]) {
      const r = await call(key.a, "GET", `/tasks?${q}`);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe("BAD_REQUEST");
    }
  });

  test("a task whose record expired leaves the listing (the index drops it as it reads)", async () => {
    const fn = await register(key.a!, "() => 'gone'", "gone");
    const id = await execute(key.a!, fn);
    await store.redis.del(store.keys.task(id));
    const r = await call(key.a, "GET", `/tasks?function_id=${fn}`);
    expect(r.body.tasks).toEqual([]);
    expect(await store.redis.zscore(store.keys.tenantFunctionTasks("acme", fn), id)).toBeNull();
  });
});

describe("index trimming", () => {
  test("members created more than the result TTL ago leave a tenant's indexes when one of its tasks ends", async () => {
    const fn = await register(key.a!, "() => 'trim'", "trim");
    const old = crypto.randomUUID();
    const stale = Date.now() - 120_000; // the store's TTL is 60 s
    const indexes = [store.keys.tenantTasks("acme"), store.keys.tenantFunctionTasks("acme", fn), store.keys.tenantStatusTasks("acme", "CANCELLED")];
    for (const k of indexes) await store.redis.zadd(k, stale, old);
    const id = await execute(key.a!, fn);
    for (const k of indexes.slice(0, 2)) expect(await store.redis.zscore(k, old)).not.toBeNull(); // a create trims nothing
    expect((await call(key.a, "POST", `/tasks/${id}/cancel`)).status).toBe(200);
    for (const k of indexes) expect(await store.redis.zscore(k, old)).toBeNull();
    for (const k of indexes) expect(await store.redis.zscore(k, id)).not.toBeNull();
    expect(await store.redis.zscore(store.keys.tenantStatusTasks("acme", "QUEUED"), id)).toBeNull();
  });
});

describe("POST /tasks/{task_id}/cancel", () => {
  test("a queued task ends CANCELLED at once, wakes a waiting /result, and never runs", async () => {
    const fn = await register(key.a!, "() => 'ran'", "never");
    const id = await execute(key.a!, fn);
    const polling = new Promise<void>((resolve) => (onWait = (t) => t === id && resolve()));
    const started = Date.now();
    const waiting = call(key.a, "GET", `/result/${id}?wait=20`);
    await polling;
    await eventually(async () => ((await store.redis.pubsub("NUMSUB", store.keys.done)) as [string, number])[1] > 0, 5000, "the long-poll subscribed");
    const r = await call(key.a, "POST", `/tasks/${id}/cancel`);
    expect(r).toMatchObject({ status: 200, body: { task_id: id, status: "CANCELLED", previous_status: "QUEUED" } });
    const woke = await waiting;
    expect(Date.now() - started).toBeLessThan(10_000); // woken, not timed out
    expect(woke.body.status).toBe("CANCELLED");
    expect(JSON.parse(woke.body.result)).toMatchObject({ $type: "error", value: { name: "CancelledError", message: "cancelled by request" } });
    expect((await call(key.a, "GET", `/status/${id}`)).body.status).toBe("CANCELLED");
    const record = (await call(key.a, "GET", `/tasks/${id}`)).body;
    expect(record).toMatchObject({ status: "CANCELLED", attempts: 0, started_at: null, duration_ms: null, finished_at: expect.stringMatching(ISO) });
    // Cancelling again, or as another tenant: 409 / 404.
    expect((await call(key.a, "POST", `/tasks/${id}/cancel`)).body.error.code).toBe("TASK_FINAL");
    expect((await call(key.b, "POST", `/tasks/${id}/cancel`)).status).toBe(404);
    // A dispatcher that reaches its entry drops it: the task after it runs, this one never does.
    const after = await execute(key.a!, fn);
    await startDispatcher();
    expect((await call(key.a, "GET", `/result/${after}?wait=10`)).body).toMatchObject({ status: "COMPLETED", result: '"ran"' });
    await eventually(async () => (await store.redis.xlen(store.keys.queue)) === 0, 5000, "the queue drained");
    expect((await call(key.a, "GET", `/tasks/${id}`)).body).toMatchObject({ status: "CANCELLED", attempts: 0, started_at: null, executor: null });
  });

  test("a finished task answers 409 TASK_FINAL and keeps its result; unknown ids 404", async () => {
    await startDispatcher();
    const fn = await register(key.a!, "() => 7", "seven");
    const id = await execute(key.a!, fn);
    expect((await call(key.a, "GET", `/result/${id}?wait=10`)).body.status).toBe("COMPLETED");
    const r = await call(key.a, "POST", `/tasks/${id}/cancel`);
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: "TASK_FINAL", message: expect.stringContaining("COMPLETED") });
    expect((await call(key.a, "GET", `/result/${id}`)).body).toMatchObject({ status: "COMPLETED", result: "7" });
    expect((await call(key.a, "POST", `/tasks/${crypto.randomUUID()}/cancel`)).status).toBe(404);
    expect((await call(key.a, "POST", "/tasks/x/cancel")).status).toBe(404);
  });

  test("an admin cancels any tenant's task; the tenant's open count drops at once", async () => {
    const fn = await register(key.b!, "() => 1", "adm");
    const id = await execute(key.b!, fn);
    expect(await store.redis.zscore(store.keys.tenantOpenTasks("bravo"), id)).not.toBeNull();
    const counted = Number((await store.redis.hget(store.keys.root + "stats", "finished:CANCELLED")) ?? 0);
    expect((await call(key.root, "POST", `/tasks/${id}/cancel`)).status).toBe(200);
    expect(Number(await store.redis.hget(store.keys.root + "stats", "finished:CANCELLED"))).toBe(counted + 1);
    expect(await store.redis.zscore(store.keys.tenantOpenTasks("bravo"), id)).toBeNull();
    expect(await store.redis.pttl(store.keys.task(id))).toBeGreaterThan(0);
  });
});

describe("functions", () => {
  test("the same name and source register once; a new source (or name) is a new function", async () => {
    const a = await register(key.a!, "(x) => x * 3", "triple");
    expect(await register(key.a!, "(x) => x * 3", "triple")).toBe(a);
    expect(await register(key.a!, "(x) => x * 3 ", "triple")).not.toBe(a);
    expect(await register(key.a!, "(x) => x * 3", "thrice")).not.toBe(a);
    // Per tenant: another tenant gets a function of its own.
    expect(await register(key.b!, "(x) => x * 3", "triple")).not.toBe(a);
  });

  test("list (newest first, pages), get with source, delete: 204, then 404 everywhere, and a new id on registering again", async () => {
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push(await register(key.b!, `(x) => x + ${i}`, `add${i}`));
    const rows: any[] = [];
    let cursor: string | null = null;
    do {
      const r = await call(key.b, "GET", `/functions?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      expect(r.status).toBe(200);
      rows.push(...r.body.functions);
      cursor = r.body.next_cursor;
    } while (cursor !== null);
    const listedIds = rows.map((f) => f.function_id);
    for (const id of made) expect(listedIds).toContain(id);
    expect(new Set(listedIds).size).toBe(listedIds.length);
    const mine = rows.filter((f) => made.includes(f.function_id));
    // Newest first: created times never increase down the list (two made in the same millisecond may come in either order).
    const times = mine.map((f) => Date.parse(f.created_at));
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeLessThanOrEqual(times[i - 1]!);
    expect(mine).toHaveLength(5);
    expect(rows[0]).toEqual({ function_id: expect.any(String), name: expect.any(String), created_at: expect.stringMatching(ISO) });
    const aList = (await call(key.a, "GET", "/functions?limit=100")).body.functions.map((f: any) => f.function_id);
    for (const id of made) expect(aList).not.toContain(id);
    const adminList = (await call(key.root, "GET", "/functions?limit=100")).body.functions.map((f: any) => f.function_id);
    for (const id of made) expect(adminList).toContain(id);

    const id = made[2]!;
    expect((await call(key.b, "GET", `/functions/${id}`)).body).toEqual({ function_id: id, name: "add2", created_at: expect.stringMatching(ISO), source: "(x) => x + 2" });
    expect((await call(key.a, "GET", `/functions/${id}`)).status).toBe(404);
    expect((await call(key.a, "DELETE", `/functions/${id}`)).status).toBe(404);
    const queued = await execute(key.b!, id, "[1]");
    const del = await call(key.b, "DELETE", `/functions/${id}`);
    expect(del.status).toBe(204);
    expect((await call(key.b, "GET", `/functions/${id}`)).body.error.code).toBe("FUNCTION_NOT_FOUND");
    expect((await call(key.b, "DELETE", `/functions/${id}`)).status).toBe(404);
    expect((await call(key.b, "POST", "/execute_function", { function_id: id, payload: "[1]" })).status).toBe(404);
    expect((await call(key.b, "GET", "/functions?limit=100")).body.functions.map((f: any) => f.function_id)).not.toContain(id);
    expect(await register(key.b!, "(x) => x + 2", "add2")).not.toBe(id);
    // Its task still queued ends FAILED with a clear error once a dispatcher reaches it.
    await startDispatcher();
    const r = (await call(key.b, "GET", `/result/${queued}?wait=10`)).body;
    expect(r.status).toBe("FAILED");
    expect(JSON.parse(r.result)).toMatchObject({ value: { name: "FunctionNotFoundError", message: expect.stringContaining("deleted") } });
    expect((await call(key.b, "GET", `/tasks?status=FAILED&function_id=${id}`)).body.tasks.map((t: any) => t.task_id)).toEqual([queued]);
  });

  test("malformed ids are 404; bad pages 400", async () => {
    expect((await call(key.a, "GET", "/functions/nope")).status).toBe(404);
    expect((await call(key.a, "DELETE", "/functions/nope")).status).toBe(404);
    expect((await call(key.a, "GET", "/functions?limit=0")).status).toBe(400);
    expect((await call(key.a, "GET", "/functions?cursor=zz")).status).toBe(400);
  });
});

describe("the OpenAPI document", () => {
  test("names every new route with its schemas and errors", async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as any;
    expect(Object.keys(doc.paths["/tasks/{task_id}"].get.responses)).toEqual(expect.arrayContaining(["200", "401", "404", "503"]));
    expect(Object.keys(doc.paths["/tasks/{task_id}/cancel"].post.responses)).toEqual(expect.arrayContaining(["200", "404", "409"]));
    expect(doc.paths["/tasks"].get.parameters.map((p: any) => p.name).sort()).toEqual(["cursor", "function_id", "limit", "status"]);
    expect(Object.keys(doc.paths["/functions"].get.responses)).toContain("200");
    expect(Object.keys(doc.paths["/functions/{function_id}"].get.responses)).toContain("404");
    expect(Object.keys(doc.paths["/functions/{function_id}"].delete.responses)).toEqual(expect.arrayContaining(["204", "404"]));
    expect(doc.components.schemas.TaskRecord.properties.status.enum).toContain("CANCELLED");
    expect(doc.components.schemas.TaskStatus.properties.status.enum).toContain("CANCELLED");
  });
});
