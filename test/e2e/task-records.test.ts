// Task records, listings, cancel and function management through the compiled binary: `faas api` and
// `faas dispatcher` processes over a Redis of the test's own, driven over HTTP like a user would.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { copyBinary, eventually, spawnFaas, type FaasCopy, type FaasProcess } from "../support/faas-binary.ts";
import { startRedis, type TestRedis } from "../support/redis-server.ts";

let copy: FaasCopy;
let redis: TestRedis;
let api: FaasProcess;
let url: string;
let marks: string;
beforeAll(async () => {
  copy = copyBinary();
  redis = await startRedis();
  marks = mkdtempSync(join(tmpdir(), "faas-marks-"));
  api = spawnFaas(copy.bin, ["api", "-p", "0", "--redis", redis.url, "--log-level", "warn"], copy.dir);
  url = (await api.waitFor(/ready api (\S+)/))[1]!;
});
const dispatchers: FaasProcess[] = [];
afterEach(async () => {
  await Promise.all(dispatchers.splice(0).map((p) => p.stop()));
});
afterAll(async () => {
  await api?.stop();
  await redis.stop();
  copy.remove();
  rmSync(marks, { recursive: true, force: true });
});

async function dispatcher(): Promise<void> {
  const d = spawnFaas(copy.bin, ["dispatcher", "-m", "local", "-w", "1", "--isolation", "thread", "--redis", redis.url, "--log-level", "warn"], copy.dir);
  dispatchers.push(d);
  await d.waitFor(/ready dispatcher/);
}

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url + path, {
    method, headers: body === undefined ? {} : { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
const register = async (payload: string, name = "f") => (await call("POST", "/register_function", { name, payload })).body.function_id as string;
const execute = async (fn: string, args: unknown[]) => {
  const r = await call("POST", "/execute_function", { function_id: fn, payload: JSON.stringify(args) });
  expect(r.status).toBe(201);
  return r.body.task_id as string;
};
/** A function that leaves a mark file when it runs, so a test can tell whether it ever did. */
const MARKER = "async (path) => { await Bun.write(path, 'ran'); return 'ran' }";

describe("faas api + faas dispatcher: records, listings, cancel, functions", () => {
  test("the same source registers once; a cancelled queued task never runs; a finished one is 409; records and listings", async () => {
    const fn = await register(MARKER, "marker");
    expect(await register(MARKER, "marker")).toBe(fn);
    expect(await register(`${MARKER} `, "marker")).not.toBe(fn);

    const never = join(marks, "never");
    const cancelled = await execute(fn, [never]);
    const c = await call("POST", `/tasks/${cancelled}/cancel`);
    expect(c).toMatchObject({ status: 200, body: { status: "CANCELLED", previous_status: "QUEUED" } });
    expect((await call("GET", `/status/${cancelled}`)).body.status).toBe("CANCELLED");

    await dispatcher();
    const ran = join(marks, "ran");
    const after = await execute(fn, [ran]);
    expect((await call("GET", `/result/${after}?wait=20`)).body).toMatchObject({ status: "COMPLETED", result: '"ran"' });
    expect(existsSync(ran)).toBe(true);
    // The dispatcher read past the cancelled task's entry (the later task ran on its one thread) and never ran it.
    expect(existsSync(never)).toBe(false);
    expect((await call("GET", `/tasks/${cancelled}`)).body).toMatchObject({
      task_id: cancelled, function_id: fn, status: "CANCELLED", attempts: 0, executor: null, started_at: null, duration_ms: null,
    });
    const done = (await call("GET", `/tasks/${after}`)).body;
    expect(done).toMatchObject({ status: "COMPLETED", attempts: 1, executor: expect.any(String), result: '"ran"', timeout_seconds: null });
    expect(done.duration_ms).toBe(Date.parse(done.finished_at) - Date.parse(done.started_at));

    const again = await call("POST", `/tasks/${after}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("TASK_FINAL");

    const page = (await call("GET", `/tasks?function_id=${fn}&limit=1`)).body;
    expect(page.tasks.map((t: any) => t.task_id)).toEqual([after]);
    const next = (await call("GET", `/tasks?function_id=${fn}&limit=1&cursor=${encodeURIComponent(page.next_cursor)}`)).body;
    expect(next.tasks.map((t: any) => t.task_id)).toEqual([cancelled]);
    expect((await call("GET", "/tasks?status=CANCELLED")).body.tasks.map((t: any) => t.task_id)).toContain(cancelled);
    expect((await call("GET", "/tasks?status=CANCELLED")).body.tasks.map((t: any) => t.task_id)).not.toContain(after);
  });

  test("delete a function: 204, then 404 to get or execute it; its queued task ends FAILED with FunctionNotFoundError", async () => {
    const fn = await register("(x) => x * 2", "double");
    expect((await call("GET", "/functions?limit=100")).body.functions.map((f: any) => f.function_id)).toContain(fn);
    expect((await call("GET", `/functions/${fn}`)).body).toMatchObject({ function_id: fn, name: "double", source: "(x) => x * 2" });
    const queued = await execute(fn, [2]);
    expect((await call("DELETE", `/functions/${fn}`)).status).toBe(204);
    expect((await call("GET", `/functions/${fn}`)).status).toBe(404);
    const refused = await call("POST", "/execute_function", { function_id: fn, payload: "[1]" });
    expect([refused.status, refused.body.error.code]).toEqual([404, "FUNCTION_NOT_FOUND"]);
    await dispatcher();
    const r = (await call("GET", `/result/${queued}?wait=20`)).body;
    expect(r.status).toBe("FAILED");
    expect(JSON.parse(r.result).value).toMatchObject({ name: "FunctionNotFoundError", message: expect.stringContaining("deleted") });
    await eventually(async () => (await call("GET", `/tasks?status=FAILED&function_id=${fn}`)).body.tasks.length === 1, 5000, "the failed task listed");
    const doc = (await call("GET", "/openapi.json")).body;
    for (const p of ["/tasks", "/tasks/{task_id}", "/tasks/{task_id}/cancel", "/functions", "/functions/{function_id}"]) expect(doc.paths).toHaveProperty([p]);
  });
});
