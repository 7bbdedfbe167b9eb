// The API with Python payloads: registration tells runtimes apart by walking the pickle, arguments pass through opaque.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createApp } from "../../src/api/app.ts";
import { isPythonCode, pythonPayloadOf } from "../../src/codec/python-payload.ts";
import { silentLog } from "../../src/log.ts";
import { createRedisStore, type RedisStore } from "../../src/store/redis-store.ts";
import { dillLoads, dillPayloads } from "../support/python-client.ts";
import { startRedis, type TestRedis } from "../support/redis-server.ts";

let redis: TestRedis;
let store: RedisStore;
let app: ReturnType<typeof createApp>;
beforeAll(async () => {
  redis = await startRedis();
  store = await createRedisStore({ url: redis.url, ttlSeconds: 60 });
  app = createApp({ store, log: silentLog });
});
afterAll(async () => {
  await store.close();
  await redis.stop();
});

const post = async (path: string, body: unknown) => {
  const res = await app.request(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

const [fn, args, lambda] = dillPayloads("def f(x, y=1):\n    return x + y\n", ["f", "((1,), {'y': 2})", "lambda: 0"]) as [string, string, string];

describe("Python payloads on the REST routes", () => {
  test("a dill function registers as runtime python; its record keeps the payload", async () => {
    for (const payload of [fn, lambda]) {
      const reg = await post("/register_function", { name: "f", payload });
      expect(reg.status).toBe(201);
      const record = await store.getFunction(reg.body.function_id);
      expect(record?.runtime).toBe("python");
      expect(record?.source).toBe(payload);
      expect(isPythonCode(record!.code) && pythonPayloadOf(record!.code)).toBe(payload);
    }
  });

  test("JavaScript stays js; records without a runtime read as js", async () => {
    const reg = await post("/register_function", { name: "js", payload: "(x) => x" });
    expect((await store.getFunction(reg.body.function_id))?.runtime).toBe("js");
    const old = crypto.randomUUID();
    await store.redis.hset(`faas:fn:${old}`, { name: "old", source: "() => 1", code: "() => 1", created: "1", tenant: "default" });
    expect((await store.getFunction(old))?.runtime).toBe("js");
  });

  test("base64 of something that is not a pickle is no Python function (400)", async () => {
    const notPickle = Buffer.from("hello, not a pickle").toString("base64") + "\n";
    const cut = fn.replace(/\n$/, "").slice(0, -8) + "\n"; // a pickle cut short: no STOP
    for (const payload of [notPickle, cut]) expect((await post("/register_function", { name: "x", payload })).status).toBe(400);
  });

  test("Python arguments pass through opaque; base64 of a non-pickle is INVALID_ARGUMENTS", async () => {
    const { body: { function_id } } = await post("/register_function", { name: "f2", payload: fn });
    const ok = await post("/execute_function", { function_id, payload: args });
    expect(ok.status).toBe(201);
    expect((await store.getTask(ok.body.task_id))?.args).toBe(args);
    const bad = await post("/execute_function", { function_id, payload: Buffer.from("nope").toString("base64") + "\n" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("INVALID_ARGUMENTS");
    expect(bad.body.error.message).toContain("not a pickle");
  });

  test("a cancelled Python task's result is a loadable RuntimeError; a JavaScript task's stays the codec's CancelledError", async () => {
    const { body: { function_id: py } } = await post("/register_function", { name: "f3", payload: fn });
    const { body: { function_id: js } } = await post("/register_function", { name: "j3", payload: "() => 1" });
    const pyTask = (await post("/execute_function", { function_id: py, payload: args })).body.task_id;
    const jsTask = (await post("/execute_function", { function_id: js, payload: "[]" })).body.task_id;
    for (const id of [pyTask, jsTask]) expect((await post(`/tasks/${id}/cancel`, {})).status).toBeLessThan(300);
    const pyState = await store.getTaskState(pyTask);
    expect(pyState?.status).toBe("CANCELLED");
    expect(dillLoads([pyState!.result!])[0]).toMatchObject({ type: "RuntimeError", repr: "RuntimeError('CancelledError: cancelled by request')" });
    expect(JSON.parse((await store.getTaskState(jsTask))!.result!).value.name).toBe("CancelledError");
  });
});
