// The queue is durable: tasks wait for a dispatcher, and a dispatcher killed mid-run loses nothing.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { resolve } from "node:path";
import { Dispatcher } from "../../src/dispatcher/dispatcher.ts";
import { LocalMode } from "../../src/dispatcher/modes/local-mode.ts";
import { silentLog } from "../../src/log.ts";
import { createRedisStore, type RedisStore } from "../../src/store/redis-store.ts";
import { eventually } from "../support/faas-binary.ts";
import { startRedis, type TestRedis } from "../support/redis-server.ts";

let redis: TestRedis;
let store: RedisStore;
const CLI = resolve(import.meta.dir, "../../src/cli.ts");

beforeAll(async () => {
  redis = await startRedis();
  store = await createRedisStore({ url: redis.url, ttlSeconds: 60 });
});
afterAll(async () => {
  await store.close();
  await redis.stop();
});

const localDispatcher = () =>
  new Dispatcher({ queue: store.queue, mode: new LocalMode({ threads: 2, log: silentLog }), log: silentLog });

async function allDone(ids: string[]) {
  return eventually(async () => {
    const tasks = await Promise.all(ids.map((id) => store.getTask(id)));
    return tasks.every((t) => t?.status === "COMPLETED" || t?.status === "FAILED") && tasks;
  }, 45_000, "all tasks final");
}

test("tasks submitted while no dispatcher runs are executed by one started later", async () => {
  const fn = await store.registerFunction({ name: "sq", source: "(x) => x * x", code: "(x) => x * x" });
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) ids.push(await store.createTask({ functionId: fn, args: `[${i}]` }));
  expect((await store.getTask(ids[0]!))?.status).toBe("QUEUED");
  const d = localDispatcher();
  await d.start();
  try {
    const tasks = await allDone(ids);
    tasks.forEach((t, i) => expect(t).toMatchObject({ status: "COMPLETED", result: String(i * i), attempts: 1 }));
  } finally {
    await d.stop();
  }
});

test("a dispatcher killed with SIGKILL mid-run loses no task: another one finishes them", async () => {
  const code = "async (i) => { await new Promise((r) => setTimeout(r, 300)); return i }";
  const fn = await store.registerFunction({ name: "slow", source: code, code });
  const ids: string[] = [];
  for (let i = 0; i < 12; i++) ids.push(await store.createTask({ functionId: fn, args: `[${i}]` }));
  // Thread isolation: this is about the dispatcher's durability, and a source tree may not be readable by `nobody`.
  const child = Bun.spawn(["bun", CLI, "dispatcher", "-w", "2", "--isolation", "thread", "--redis", redis.url, "--log-level", "error"], {
    stdout: "ignore", stderr: "inherit",
  });
  let second: Dispatcher | null = null;
  try {
    await eventually(async () => (await Promise.all(ids.map((id) => store.getTask(id)))).some((t) => t?.status === "RUNNING"), 20_000, "a task RUNNING");
    child.kill("SIGKILL");
    await child.exited;
    second = localDispatcher();
    await second.start();
    const tasks = await allDone(ids);
    tasks.forEach((t, i) => expect(t).toMatchObject({ status: "COMPLETED", result: String(i) }));
    // At least one task was taken over from the dead dispatcher (started twice).
    expect(tasks.some((t) => (t?.attempts ?? 0) >= 2)).toBe(true);
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    await second?.stop();
  }
});
