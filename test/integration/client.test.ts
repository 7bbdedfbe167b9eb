import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createApp } from "../../src/api/app.ts";
import { serveApi, type ApiServer } from "../../src/api/serve-api.ts";
import { FaasClient, FaasClientError } from "../../src/client/index.ts";
import { decodeArgs, encode, encodeError } from "../../src/codec/index.ts";
import { silentLog } from "../../src/log.ts";
import { createRedisStore, type RedisStore } from "../../src/store/redis-store.ts";
import { startRedis, type TestRedis } from "../support/redis-server.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let redis: TestRedis;
let store: RedisStore;
let server: ApiServer;
let client: FaasClient;

beforeAll(async () => {
  redis = await startRedis();
  store = await createRedisStore({ url: redis.url, ttlSeconds: 60 });
  server = serveApi({ app: createApp({ store, log: silentLog }), port: 0 });
  client = new FaasClient({ baseUrl: server.url + "/" });
});

afterAll(async () => {
  await server.stop();
  await store.close();
  await redis.stop();
});

/** What the client threw, which must be a FaasClientError. */
async function clientError(p: Promise<unknown>): Promise<FaasClientError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(FaasClientError);
    return err as FaasClientError;
  }
  throw new Error("expected a FaasClientError, but the call succeeded");
}

/**
 * Stand-in for a dispatcher: run queued tasks of the function whose source is `impl.toString()` until
 * one is finished, with the outcome of calling `impl` itself (nothing is evaluated from text).
 * Tasks of other functions are started and left unfinished.
 */
async function serveNextTask(impl: (...args: any[]) => unknown): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const entries = await store.queue.reader().read("test", 10, 100);
    const started = await store.queue.loadTasks(entries, { maxAttempts: 3, lostError: encodeError(new Error("lost")) });
    for (const task of started) {
      if ((await store.getFunction(task.functionId))?.source !== impl.toString()) continue;
      let status: "COMPLETED" | "FAILED" = "COMPLETED";
      let result: string;
      try {
        result = encode(await impl(...decodeArgs(task.args)));
      } catch (err) {
        status = "FAILED";
        result = encodeError(err);
      }
      await store.queue.finishTasks([{ streamId: task.streamId, taskId: task.taskId, status, result, executor: "test" }]);
      return;
    }
  }
  throw new Error("no task of that function was queued within 10 s");
}

describe("FaasClient against the API", () => {
  test("register sends fn.toString() under the function's name, or source text under a given name", async () => {
    function triple(x: number) {
      return x * 3;
    }
    const id = await client.register(triple);
    expect(id).toMatch(UUID);
    expect(await store.getFunction(id)).toMatchObject({ name: "triple", source: triple.toString() });
    const id2 = await client.register("(s: string) => s.length", "len");
    expect(await store.getFunction(id2)).toMatchObject({ name: "len", code: "(s) => s.length" });
  });

  test("API errors are FaasClientError with status, code and message", async () => {
    const bad = await clientError(client.register("process.exit()"));
    expect(bad).toMatchObject({ status: 400, code: "INVALID_FUNCTION" });
    expect(bad.message).toContain("a call");
    const unknown = crypto.randomUUID();
    expect(await clientError(client.execute(unknown, []))).toMatchObject({ status: 404, code: "FUNCTION_NOT_FOUND" });
    expect(await clientError(client.status("nope"))).toMatchObject({ status: 404, code: "TASK_NOT_FOUND" });
  });

  test("execute encodes arguments with the codec and passes the timeout override", async () => {
    const fn = await client.register((a: unknown) => a);
    const args = [1, 2n, new Date(0), "x"];
    const task = await client.execute(fn, args, { timeoutSeconds: 2 });
    expect(task).toMatch(UUID);
    expect(await store.getTask(task)).toMatchObject({ functionId: fn, args: encode(args), timeoutMs: 2000, status: "QUEUED" });
    const noArgs = await client.execute(fn);
    expect(await store.getTask(noArgs)).toMatchObject({ args: "[]", timeoutMs: null });
    expect(await clientError(client.execute(fn, [], { timeoutSeconds: 0 }))).toMatchObject({ status: 400, code: "BAD_REQUEST" });
  });

  test("status and result return the API's answers, raw", async () => {
    const fn = await client.register(() => 1);
    const task = await client.execute(fn);
    expect(await client.status(task)).toEqual({ task_id: task, status: "QUEUED" });
    expect(await client.result(task)).toEqual({ task_id: task, status: "QUEUED", result: null });
    await store.queue.finishTasks([{ streamId: "", taskId: task, status: "COMPLETED", result: "1", executor: "test" }]);
    expect(await client.status(task)).toEqual({ task_id: task, status: "COMPLETED" });
    expect(await client.result(task, { wait: 5 })).toEqual({ task_id: task, status: "COMPLETED", result: "1" });
    expect(await clientError(client.result(task, { wait: -1 }))).toMatchObject({ status: 400, code: "BAD_REQUEST" });
  });

  test("an unreachable API is a FaasClientError with status 0 and code NETWORK", async () => {
    const refused = (() => Promise.reject(new TypeError("connection refused"))) as unknown as typeof fetch;
    const offline = new FaasClient({ baseUrl: server.url, fetch: refused });
    const err = await clientError(offline.status(crypto.randomUUID()));
    expect(err).toMatchObject({ status: 0, code: "NETWORK" });
    expect(err.message).toContain("connection refused");
  });

  test("a non-JSON answer is a FaasClientError UNEXPECTED_RESPONSE", async () => {
    const proxy = (() => Promise.resolve(new Response("<html>bad gateway</html>", { status: 502 }))) as unknown as typeof fetch;
    const err = await clientError(new FaasClient({ baseUrl: server.url, fetch: proxy }).status(crypto.randomUUID()));
    expect(err).toMatchObject({ status: 502, code: "UNEXPECTED_RESPONSE" });
  });
});

describe("FaasClient.run", () => {
  /** A client whose fetch counts requests per path prefix. */
  function countingClient(pollWaitSeconds?: number) {
    const counts = new Map<string, number>();
    let onResult: (n: number) => void = () => {};
    const fetchSpy = ((input: string | URL | Request, init?: RequestInit) => {
      const path = new URL(String(input)).pathname.split("/")[1] ?? "";
      const n = (counts.get(path) ?? 0) + 1;
      counts.set(path, n);
      if (path === "result") onResult(n);
      return fetch(input, init);
    }) as typeof fetch;
    const c = new FaasClient({ baseUrl: server.url, fetch: fetchSpy, pollWaitSeconds });
    return { client: c, counts, setOnResult: (f: (n: number) => void) => (onResult = f) };
  }

  test("returns the decoded value, registering each distinct function once", async () => {
    const { client: c, counts } = countingClient();
    const double = (x: number) => x * 2;
    const [a] = await Promise.all([c.run(double, 21), serveNextTask(double)]);
    expect(a).toBe(42);
    const [b] = await Promise.all([c.run(double, 5), serveNextTask(double)]);
    expect(b).toBe(10);
    const when = (d: Date) => d.getTime() + 1;
    const [d] = await Promise.all([c.run(when, new Date(41)), serveNextTask(when)]);
    expect(d).toBe(42);
    expect(counts.get("register_function")).toBe(2);
    expect(counts.get("execute_function")).toBe(3);
  });

  test("throws the decoded error of a failed task", async () => {
    const fail = (msg: string) => {
      throw new TypeError(msg);
    };
    const [outcome] = await Promise.all([client.run(fail, "bad input").then(() => null, (e: unknown) => e), serveNextTask(fail)]);
    expect(outcome).toBeInstanceOf(TypeError);
    expect((outcome as Error).message).toBe("bad input");
  });

  test("keeps long-polling until the task ends", async () => {
    const { client: c, counts, setOnResult } = countingClient(0.05);
    const secondPoll = new Promise<void>((resolve) => setOnResult((n) => n >= 2 && resolve()));
    const inc = (x: number) => x + 1;
    const running = c.run(inc, 1);
    await secondPoll; // the first poll came back unfinished
    await serveNextTask(inc);
    expect(await running).toBe(2);
    expect(counts.get("result")).toBeGreaterThanOrEqual(2);
  });

  test("a function the API refuses is a FaasClientError, and is not cached", async () => {
    const { client: c, counts } = countingClient();
    const method = { m(x: number) { return x; } }.m; // method shorthand: not a function expression
    expect(await clientError(c.run(method, 1))).toMatchObject({ status: 400, code: "INVALID_FUNCTION" });
    expect(await clientError(c.run(method, 1))).toMatchObject({ code: "INVALID_FUNCTION" });
    expect(counts.get("register_function")).toBe(2);
  });
});
