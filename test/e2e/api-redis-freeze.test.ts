// The compiled `faas up` while its Redis is frozen (SIGSTOP) for 10 s: bounded 503s, and no task the client was not told of.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { connectRedis } from "../../src/store/connect-redis.ts";
import { copyBinary, eventually, spawnFaas, type FaasCopy, type FaasProcess } from "../support/faas-binary.ts";
import { timedFetch } from "../support/timed-fetch.ts";

let copy: FaasCopy;
let up: FaasProcess;
let url: string;
const dataDir = () => join(copy.dir, "data");

beforeAll(async () => {
  copy = copyBinary();
  up = spawnFaas(copy.bin, ["up", "--port", "0", "-w", "1", "--data-dir", dataDir()], copy.dir);
  url = (await up.waitFor(/is up: (http:\/\/\S+)/))[1]!;
});

afterAll(async () => {
  await up?.stop();
  copy?.remove();
});


const timed = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => timedFetch(url, method, path, body, headers);

/** The managed redis-server, for the test's own look at the keys. */
const peek = () => connectRedis(join(dataDir(), "redis.sock"));

test("an Idempotency-Key repeated gives the same task_id and one task in Redis", async () => {
  const fn = (await timed("POST", "/register_function", { name: "inc", payload: "(x) => x + 1" })).body.function_id;
  const key = { "Idempotency-Key": "e2e-idem-1" };
  const a = await timed("POST", "/execute_function", { function_id: fn, payload: "[1]" }, key);
  const b = await timed("POST", "/execute_function", { function_id: fn, payload: "[1]" }, key);
  expect(a.status).toBe(201);
  expect(b).toMatchObject({ status: 201, body: { task_id: a.body.task_id } });
  const r = peek();
  try {
    const ids = (await r.keys("faas:task:*")).map((k) => k.slice("faas:task:".length));
    expect(ids).toEqual([a.body.task_id]);
  } finally {
    r.disconnect();
  }
  expect((await timed("GET", `/result/${a.body.task_id}?wait=20`)).body).toMatchObject({ status: "COMPLETED", result: "2" });
});

test("Redis frozen for 10 s: /health 503 within 2 s, creates answer within 3 s, and after SIGCONT only told tasks exist", async () => {
  const fn = (await timed("POST", "/register_function", { name: "id", payload: "(x) => x" })).body.function_id;
  const given = new Set<string>();
  const create = async (i: number) => {
    const r = await timed("POST", "/execute_function", { function_id: fn, payload: `[${i}]` });
    if (r.status === 201) given.add(r.body.task_id);
    return r;
  };
  // Tasks from before the freeze are told (and counted) like any other.
  for (let i = 0; i < 3; i++) expect((await create(i)).status).toBe(201);

  const r = peek();
  const existing = (await r.keys("faas:task:*")).map((k) => k.slice("faas:task:".length));
  for (const id of existing) given.add(id); // the idempotency test's task
  const pid = Number(readFileSync(join(dataDir(), "redis.pid"), "utf8").trim());
  process.kill(pid, "SIGSTOP");
  const frozenAt = performance.now();
  const health: Promise<Awaited<ReturnType<typeof timed>>>[] = [];
  const creates: Promise<Awaited<ReturnType<typeof create>>>[] = [];
  try {
    // A create every 250 ms and a health check every second, for the 10 s the Redis stays frozen.
    for (let i = 0; performance.now() - frozenAt < 10_000; i++) {
      creates.push(create(100 + i));
      if (i % 4 === 0) health.push(timed("GET", "/health"));
      await Bun.sleep(250);
    }
    // Answered while still frozen: every one of them is an error.
    const frozenCreates = await Promise.all(creates);
    const frozenHealth = await Promise.all(health);
    for (const h of frozenHealth) {
      expect(h).toMatchObject({ status: 503, body: { error: { code: "STORE_UNAVAILABLE" } } });
      expect(h.ms).toBeLessThan(2000);
    }
    for (const c of frozenCreates) {
      expect(c).toMatchObject({ status: 503, body: { error: { code: "STORE_UNAVAILABLE" } } });
      expect(c.ms).toBeLessThan(3000);
    }
    expect(frozenCreates.length).toBeGreaterThanOrEqual(30);
  } finally {
    process.kill(pid, "SIGCONT");
  }

  // The API's connection delivers what it sent during the freeze first; a 200 from /health comes after all of it.
  await eventually(async () => (await timed("GET", "/health")).status === 200, 20_000, "health 200 after SIGCONT");
  expect((await create(999)).status).toBe(201);
  try {
    const after = (await r.keys("faas:task:*")).map((k) => k.slice("faas:task:".length)).sort();
    expect(after).toEqual([...given].sort());
    // Every told task runs to its end; nothing else is in the queue.
    for (const id of given) {
      expect((await timed("GET", `/result/${id}?wait=20`)).body.status).toBe("COMPLETED");
    }
  } finally {
    r.disconnect();
  }
}, 60_000);
