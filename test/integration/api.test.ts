import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createApp } from "../../src/api/app.ts";
import { serveApi, type ApiServer } from "../../src/api/serve-api.ts";
import { encode, encodeError } from "../../src/codec/index.ts";
import { silentLog } from "../../src/log.ts";
import { createRedisStore, type RedisStore } from "../../src/store/redis-store.ts";
import type { ApiStore } from "../../src/store/types.ts";
import { startRedis, type TestRedis } from "../support/redis-server.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let redis: TestRedis;
let store: RedisStore;
let server: ApiServer;
/** Called with the task id whenever the API starts a long-poll. */
let onWait: (taskId: string) => void = () => {};

beforeAll(async () => {
  redis = await startRedis();
  store = await createRedisStore({ url: redis.url, ttlSeconds: 60 });
  // The real store, with a spy on waitForTaskState so tests know when a long-poll is under way.
  const spied: ApiStore = {
    registerFunction: (fn) => store.registerFunction(fn),
    createTask: (t) => store.createTask(t),
    getTaskStatus: (id) => store.getTaskStatus(id),
    getTaskState: (id) => store.getTaskState(id),
    waitForTaskState: (id, ms) => {
      onWait(id);
      return store.waitForTaskState(id, ms);
    },
    createBatch: (tasks, opts, access) => store.createBatch(tasks, opts, access),
    getBatch: (id, access) => store.getBatch(id, access),
    getTaskStates: (ids, access) => store.getTaskStates(ids, access),
    watchTasks: (ids, access, onFinal) => store.watchTasks(ids, access, onFinal),
    getTaskInfo: (id, access) => store.getTaskInfo(id, access),
    getTaskLogs: (id, access) => store.getTaskLogs(id, access),
    listTasks: (q, access) => store.listTasks(q, access),
    cancelTask: (id, result, access) => store.cancelTask(id, result, access),
    listFunctions: (q, access) => store.listFunctions(q, access),
    getFunctionRecord: (id, access) => store.getFunctionRecord(id, access),
    deleteFunction: (id, access) => store.deleteFunction(id, access),
    findApiKey: (sha) => store.findApiKey(sha),
    listApiKeys: () => store.listApiKeys(),
    revokeApiKey: (id) => store.revokeApiKey(id),
    ping: () => store.ping(),
    clusterStats: () => store.clusterStats(),
  };
  server = serveApi({ app: createApp({ store: spied, log: silentLog }), port: 0 });
});

afterAll(async () => {
  await server.stop();
  await store.close();
  await redis.stop();
});

interface Answer {
  status: number;
  body: any;
  contentType: string;
}

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    if (!("content-type" in headers)) (init.headers as Record<string, string>)["content-type"] = "application/json";
  }
  const res = await fetch(server.url + path, init);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, body: parsed, contentType: res.headers.get("content-type") ?? "" };
}

function expectError(a: Answer, status: number, code: string, messagePart?: string): void {
  expect(a.status).toBe(status);
  expect(a.contentType).toContain("application/json");
  expect(Object.keys(a.body)).toEqual(["error"]);
  expect(a.body.error.code).toBe(code);
  expect(typeof a.body.error.message).toBe("string");
  expect(a.body.error.message.length).toBeGreaterThan(5);
  if (messagePart) expect(a.body.error.message).toContain(messagePart);
}

async function register(payload = "(x) => x * 2"): Promise<string> {
  const a = await call("POST", "/register_function", { name: "f", payload });
  expect(a.status).toBe(201);
  return a.body.function_id;
}

async function execute(functionId: string, args = "[1]"): Promise<string> {
  const a = await call("POST", "/execute_function", { function_id: functionId, payload: args });
  expect(a.status).toBe(201);
  return a.body.task_id;
}

/** `p`, or a rejection naming `what` once `ms` pass. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Finish a task the way a dispatcher does (no dispatcher runs in these tests). */
async function finish(taskId: string, status: "COMPLETED" | "FAILED", result: string): Promise<void> {
  expect(await store.queue.finishTasks([{ streamId: "", taskId, status, result, executor: "test" }])).toBe(1);
}

describe("POST /register_function", () => {
  test("stores JavaScript verbatim and TypeScript as JavaScript, answering 201 with a uuid", async () => {
    const js = await register("function double(x) { return x * 2 }");
    expect(js).toMatch(UUID);
    expect(await store.getFunction(js)).toMatchObject({ name: "f", code: "function double(x) { return x * 2 }" });
    const ts = await register("(x: number): number => x * 2");
    expect(await store.getFunction(ts)).toMatchObject({ source: "(x: number): number => x * 2", code: "(x) => x * 2" });
  });

  test.each([
    ["payload", "identifier"],
    ["1+1", "not a function"],
    ["(() => 1)()", "a call"],
    ["(x) => x, process.exit()", "comma-separated"],
    ["(x) => {", "line 1, column 9"],
    ["", "empty"],
    ["(x) => x; (y) => y", "more than one statement"],
    ["class A {}", "a class"],
    ["x) => 1); process.exit(); ((y", "not a function"],
  ])("refuses %p with 400 INVALID_FUNCTION", async (payload, part) => {
    expectError(await call("POST", "/register_function", { name: "f", payload }), 400, "INVALID_FUNCTION", part);
  });

  test("malformed JSON is 400 BAD_REQUEST", async () => {
    expectError(await call("POST", "/register_function", '{"name": "f", "payload": '), 400, "BAD_REQUEST", "not valid JSON");
  });

  test("missing and mistyped fields are 400 naming the field", async () => {
    expectError(await call("POST", "/register_function", { payload: "() => 1" }), 400, "BAD_REQUEST", '"name"');
    expectError(await call("POST", "/register_function", { name: "f", payload: 7 }), 400, "BAD_REQUEST", '"payload"');
    expectError(await call("POST", "/register_function", { name: "", payload: "() => 1" }), 400, "BAD_REQUEST", '"name"');
    expectError(await call("POST", "/register_function", [1, 2]), 400, "BAD_REQUEST", "expected object");
    expectError(await call("POST", "/register_function"), 400, "BAD_REQUEST", "request body");
  });

  test("a body without Content-Type is read as JSON; another media type is 415", async () => {
    const res = await fetch(server.url + "/register_function", {
      method: "POST",
      body: new TextEncoder().encode(JSON.stringify({ name: "f", payload: "() => 1" })),
    });
    expect(res.status).toBe(201);
    const a = await call("POST", "/register_function", "name=f", { "content-type": "application/x-www-form-urlencoded" });
    expectError(a, 415, "BAD_REQUEST", "application/json");
  });

  test("a body over the 1 MiB default is 413, with or without Content-Length", async () => {
    const big = JSON.stringify({ name: "f", payload: `() => "${"a".repeat(1024 * 1024)}"` });
    expectError(await call("POST", "/register_function", big), 413, "PAYLOAD_TOO_LARGE", "1048576");
    const chunks = [big.slice(0, 600_000), big.slice(600_000)];
    const stream = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        const next = chunks.shift();
        if (next === undefined) ctrl.close();
        else ctrl.enqueue(new TextEncoder().encode(next));
      },
    });
    const res = await fetch(server.url + "/register_function", { method: "POST", body: stream, headers: { "content-type": "application/json" } });
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).error.code).toBe("PAYLOAD_TOO_LARGE");
  });

  test("a large function under the limit is accepted", async () => {
    const payload = `() => "${"a".repeat(900_000)}"`;
    const a = await call("POST", "/register_function", { name: "big", payload });
    expect(a.status).toBe(201);
  });

  test("the body limit is configurable", async () => {
    const app = createApp({ store, log: silentLog, maxBodyBytes: 100 });
    const res = await app.request("/register_function", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "f", payload: `() => "${"a".repeat(100)}"` }),
    });
    expect(res.status).toBe(413);
  });
});

describe("POST /execute_function", () => {
  test("queues a task: 201 with a uuid, QUEUED, arguments and timeout stored", async () => {
    const fn = await register();
    const a = await call("POST", "/execute_function", { function_id: fn, payload: "[21]", timeout_seconds: 2.5 });
    expect(a.status).toBe(201);
    expect(a.body.task_id).toMatch(UUID);
    expect(await store.getTask(a.body.task_id)).toMatchObject({ functionId: fn, args: "[21]", status: "QUEUED", timeoutMs: 2500 });
    const b = await call("POST", "/execute_function", { function_id: fn, payload: encode([1n, new Date(0)]) });
    expect(b.status).toBe(201);
    expect(await store.getTask(b.body.task_id)).toMatchObject({ timeoutMs: null });
  });

  test.each([
    ["{}", "array"],
    ['"x"', "array"],
    ["[1", "not valid JSON"],
    ['[{"$type":"nope"}]', "$type"],
    ['[{"$type":"date","value":"never"}]', "date"],
  ])("arguments %p are 400 INVALID_ARGUMENTS", async (payload, part) => {
    const fn = await register();
    expectError(await call("POST", "/execute_function", { function_id: fn, payload }), 400, "INVALID_ARGUMENTS", part);
  });

  test.each([0, -1, 86_401, "5", true])("timeout_seconds %p is 400 naming the field", async (t) => {
    const fn = await register();
    const a = await call("POST", "/execute_function", { function_id: fn, payload: "[]", timeout_seconds: t });
    expectError(a, 400, "BAD_REQUEST", '"timeout_seconds"');
  });

  test("unknown or malformed function ids are 404 FUNCTION_NOT_FOUND", async () => {
    const unknown = crypto.randomUUID();
    expectError(await call("POST", "/execute_function", { function_id: unknown, payload: "[]" }), 404, "FUNCTION_NOT_FOUND", unknown);
    expectError(await call("POST", "/execute_function", { function_id: "nope", payload: "[]" }), 404, "FUNCTION_NOT_FOUND", "nope");
  });

  test("missing and mistyped fields are 400 naming the field", async () => {
    expectError(await call("POST", "/execute_function", { payload: "[]" }), 400, "BAD_REQUEST", '"function_id"');
    expectError(await call("POST", "/execute_function", { function_id: crypto.randomUUID(), payload: [1] }), 400, "BAD_REQUEST", '"payload"');
    expectError(await call("POST", "/execute_function", "nope"), 400, "BAD_REQUEST", "not valid JSON");
  });
});

describe("GET /status and /result", () => {
  test("status and result of a queued, then completed task", async () => {
    const task = await execute(await register());
    expect(await call("GET", `/status/${task}`)).toMatchObject({ status: 200, body: { task_id: task, status: "QUEUED" } });
    expect((await call("GET", `/result/${task}`)).body).toEqual({ task_id: task, status: "QUEUED", result: null });
    await finish(task, "COMPLETED", "42");
    expect((await call("GET", `/status/${task}`)).body).toEqual({ task_id: task, status: "COMPLETED" });
    expect((await call("GET", `/result/${task}`)).body).toEqual({ task_id: task, status: "COMPLETED", result: "42" });
  });

  test("a failed task's result is the encoded error", async () => {
    const task = await execute(await register());
    const err = encodeError(new TypeError("boom"));
    await finish(task, "FAILED", err);
    expect((await call("GET", `/result/${task}`)).body).toEqual({ task_id: task, status: "FAILED", result: err });
  });

  test("unknown and malformed task ids are 404 TASK_NOT_FOUND", async () => {
    for (const path of ["/status/", "/result/"]) {
      const unknown = crypto.randomUUID();
      expectError(await call("GET", path + unknown), 404, "TASK_NOT_FOUND", unknown);
      expectError(await call("GET", path + "not-a-uuid"), 404, "TASK_NOT_FOUND", "not-a-uuid");
      expectError(await call("GET", `${path}${unknown}?wait=1`), 404, "TASK_NOT_FOUND");
    }
  });

  test.each(["abc", "-1", "", "1s", "Infinity", "NaN"])("wait=%p is 400 naming wait", async (wait) => {
    const task = await execute(await register());
    expectError(await call("GET", `/result/${task}?wait=${encodeURIComponent(wait)}`), 400, "BAD_REQUEST", '"wait"');
  });

  test("a long-poll answers as soon as the task ends", async () => {
    const task = await execute(await register());
    const waiting = new Promise<void>((resolve) => {
      onWait = (id) => id === task && resolve();
    });
    const t0 = performance.now();
    const answer = call("GET", `/result/${task}?wait=30`);
    await within(waiting, 10_000, "the long-poll reaching the store");
    await finish(task, "COMPLETED", '"done"');
    const a = await within(answer, 10_000, "the long-poll answer");
    const elapsed = performance.now() - t0;
    onWait = () => {};
    expect(a.body).toEqual({ task_id: task, status: "COMPLETED", result: '"done"' });
    expect(elapsed).toBeLessThan(10_000);
  });

  test.each([
    ["COMPLETED", JSON.stringify("spaces, \"quotes\", \\ / back\nnew line, ünïcødé 日本語 🚀 \u2028")],
    ["FAILED", encodeError(new TypeError("bad \"input\"\n  at line 2 ✗"))],
    ["COMPLETED", JSON.stringify(`${"€ x\n".repeat(400)}🚀`)], // over the 1 KiB inline limit: read again
    ["FAILED", encodeError(new Error("€".repeat(2000)))],
  ] as const)("a long-poll on a %s task answers with its result byte for byte (case %#)", async (status, result) => {
    const task = await execute(await register());
    const waiting = new Promise<void>((resolve) => {
      onWait = (id) => id === task && resolve();
    });
    const answer = call("GET", `/result/${task}?wait=30`);
    await within(waiting, 10_000, "the long-poll reaching the store");
    await finish(task, status, result);
    const a = await within(answer, 10_000, "the long-poll answer");
    onWait = () => {};
    expect(Object.keys(a.body)).toEqual(["task_id", "status", "result"]);
    expect(a.body).toEqual({ task_id: task, status, result });
    expect((await call("GET", `/status/${task}`)).body).toEqual({ task_id: task, status });
  });

  test("a long-poll on an unfinished task answers with its state when the wait expires", async () => {
    const task = await execute(await register());
    const t0 = performance.now();
    const a = await call("GET", `/result/${task}?wait=0.3`);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(250);
    expect(a.body).toEqual({ task_id: task, status: "QUEUED", result: null });
  });

  test("waits above 60 s are clamped (accepted), wait=0 answers at once, a finished task answers at once", async () => {
    const task = await execute(await register());
    expect((await call("GET", `/result/${task}?wait=0`)).body.status).toBe("QUEUED");
    await finish(task, "COMPLETED", "1");
    const t0 = performance.now();
    expect((await call("GET", `/result/${task}?wait=3600`)).body).toEqual({ task_id: task, status: "COMPLETED", result: "1" });
    expect(performance.now() - t0).toBeLessThan(10_000);
  });
});

describe("health, docs and routing", () => {
  test("GET /health is ok after a Redis round trip", async () => {
    expect(await call("GET", "/health")).toMatchObject({ status: 200, body: { status: "ok" } });
  });

  test("GET /openapi.json is an OpenAPI 3.1 document with every route and its schemas", async () => {
    const a = await call("GET", "/openapi.json");
    expect(a.status).toBe(200);
    expect(a.body.openapi).toBe("3.1.0");
    expect(Object.keys(a.body.paths).sort()).toEqual(expect.arrayContaining([
      "/execute_function", "/health", "/keys", "/keys/{key_id}", "/register_function", "/result/{task_id}", "/status/{task_id}",
      "/functions", "/functions/{function_id}", "/tasks", "/tasks/{task_id}", "/tasks/{task_id}/cancel",
    ]));
    expect(a.body.paths["/register_function"].post.responses["201"]).toBeDefined();
    expect(a.body.components.schemas.ExecuteFunctionRequest.properties).toHaveProperty("timeout_seconds");
    expect(a.body.components.schemas.RegisterFunctionRequest.required).toEqual(["name", "payload"]);
  });

  test("GET /docs works offline: the page and everything it loads come from this server, on the document", async () => {
    const a = await call("GET", "/docs");
    expect(a.status).toBe(200);
    expect(a.contentType).toContain("text/html");
    const html = String(a.body);
    // No other host: every src/href is a path of ours.
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBe(3);
    for (const ref of refs) {
      expect(ref.startsWith("/docs/")).toBe(true);
      const r = await call("GET", ref);
      expect(r.status).toBe(200);
      expect(r.contentType).toMatch(/text\/(css|javascript)/);
    }
    expect(String((await call("GET", "/docs/init.js")).body)).toContain('"/openapi.json"');
    expect(String((await call("GET", "/docs/swagger-ui-bundle.js")).body).length).toBeGreaterThan(500_000);
    expect((await call("GET", "/openapi.json")).body.servers).toEqual([{ url: "/", description: "this server" }]);
  });

  test("unknown routes are 404 NOT_FOUND; a wrong method is 405 METHOD_NOT_ALLOWED naming the right one", async () => {
    expectError(await call("GET", "/nope"), 404, "NOT_FOUND", "/nope");
    expectError(await call("GET", "/register_function"), 405, "METHOD_NOT_ALLOWED", "POST");
    expectError(await call("DELETE", `/status/${crypto.randomUUID()}`), 405, "METHOD_NOT_ALLOWED", "GET");
  });
});

describe("serveApi", () => {
  test("binds a free port with port 0 and stops", async () => {
    const app = createApp({ store, log: silentLog });
    const s = serveApi({ app, port: 0 });
    expect(s.port).toBeGreaterThan(0);
    expect(s.url).toBe(`http://127.0.0.1:${s.port}`);
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
    await s.stop();
    await expect(fetch(`${s.url}/health`)).rejects.toThrow();
  });

  test("refuses an idle timeout shorter than the longest long-poll", () => {
    expect(() => serveApi({ app: createApp({ store, log: silentLog }), port: 0, idleTimeoutSeconds: 30 })).toThrow(RangeError);
  });
});

describe("Redis down", () => {
  test("/health and store-backed routes answer 503 STORE_UNAVAILABLE", async () => {
    const r = await startRedis();
    const s = await createRedisStore({ url: r.url });
    const lines: string[] = [];
    const log = { ...silentLog, error: (m: string) => void lines.push(m) };
    const app = createApp({ store: s, log });
    try {
      expect((await app.request("/health")).status).toBe(200);
      await r.stop();
      // Both at once: each waits out the connection's retries, which grow with every attempt.
      const [health, reg] = await Promise.all([
        app.request("/health"),
        app.request("/register_function", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ name: "f", payload: "() => 1" }),
        }),
      ]);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ error: { code: "STORE_UNAVAILABLE" } });
      expect(reg.status).toBe(503);
      const body = (await reg.json()) as any;
      expect(body.error.code).toBe("STORE_UNAVAILABLE");
      expect(body.error.message).not.toContain(r.socket);
      expect(lines.length).toBeGreaterThan(0);
    } finally {
      await s.close();
    }
  });
});
