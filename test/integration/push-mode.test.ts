// Push mode end to end in one test process: real Redis, Dispatcher core + PushMode, workers in-process and as child processes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { PushMode } from "../../src/dispatcher/modes/push-mode.ts";
import { createLog, silentLog } from "../../src/log.ts";
import { AUTH_PROPERTY, decodeDispatcherMessage, encodeHandshakeAuth, encodePushMessage, PROTOCOL_VERSION, type TaskMessage } from "../../src/protocol/index.ts";
import { startPushWorker, type RemoteWorker } from "../../src/workers/push-worker.ts";
import { Dealer } from "../../src/zmtp/index.ts";
import { finalTask, register, runTask, spawnWorker, startRemoteStack, until, type RemoteStack } from "../support/remote-stack.ts";

const lines: string[] = [];
const captured = createLog("debug", "test", (l) => lines.push(l));
let s: RemoteStack;
const workers: RemoteWorker[] = [];
const sockets: Dealer[] = [];

const push = () => s.mode as PushMode;
async function worker(id: string, threads = 2, extra: { codeCacheSize?: number; queuePerThread?: number } = {}): Promise<RemoteWorker> {
  const w = await startPushWorker({ endpoint: s.endpoint, threads, id, log: silentLog, heartbeatMs: 250, ...extra });
  workers.push(w);
  return w;
}
async function stopAll(): Promise<void> {
  await Promise.all(workers.splice(0).map((w) => w.stop(2000)));
  for (const d of sockets.splice(0)) d.close();
  await until(() => push().workerCount === 0, 3000, "workers to leave");
}
/** Outcomes are written in order: once a task run after a late result is final, that late write has landed too. */
async function flushed(): Promise<void> {
  expect((await runTask(s.store, await register(s.store, "() => 0"), [])).status).toBe("COMPLETED");
}
/** A hand-driven push worker. */
async function rawWorker(id: string, capacity: number, secret = ""): Promise<Dealer> {
  const d = new Dealer({ metadata: { [AUTH_PROPERTY]: encodeHandshakeAuth({ version: PROTOCOL_VERSION, workerId: id, secret }) } });
  sockets.push(d);
  d.connect(s.endpoint);
  await d.send(encodePushMessage({ type: "HELLO", auth: { version: PROTOCOL_VERSION, workerId: id, secret }, capacity, busy: 0 }));
  expect(decodeDispatcherMessage(await d.receive())).toEqual({ type: "WELCOME" });
  return d;
}
async function nextTask(d: Dealer): Promise<TaskMessage> {
  const m = decodeDispatcherMessage(await d.receive());
  if (m?.type !== "TASK") throw new Error(`expected a TASK, got ${m?.type}`);
  return m;
}

beforeAll(async () => {
  s = await startRemoteStack("push", { dispatcherLog: captured, log: captured });
});
afterAll(async () => {
  for (const d of sockets) d.close();
  await Promise.all(workers.map((w) => w.stop(1000)));
  await s.stop();
});

describe("push mode", () => {
  test("a worker holds one task per thread ready behind the running one (capacity = 2 × threads); --queue 0 holds none", async () => {
    const gate = await register(s.store, "async (ms) => { await Bun.sleep(ms); return ms }");
    for (const [queuePerThread, held] of [[1, 2], [0, 1]] as const) {
      await worker(`sq-${queuePerThread}`, 1, { queuePerThread });
      await until(() => push().workerCount === 1, 3000, "the worker");
      const ids = await Promise.all(Array.from({ length: 3 }, () => s.store.createTask({ functionId: gate, args: "[400]" })));
      await until(() => push().assigned === held, 3000, `${held} task(s) on the 1-thread worker`);
      // Only one runs at a time; the others wait on the worker or in the dispatcher, and all complete.
      const done = await Promise.all(ids.map((id) => finalTask(s.store, id)));
      for (const t of done) expect(t).toMatchObject({ status: "COMPLETED", result: "400" });
      await stopAll();
    }
  });

  test("capacity follows the measured run time: short tasks raise it to threads × (1 + queue) by CAPACITY, long ones lower it to threads × 2", async () => {
    const sleepy = await register(s.store, "async (ms) => { if (ms > 0) await Bun.sleep(ms); return ms }");
    await worker("sq-adapt", 2, { queuePerThread: 4 });
    await until(() => push().workerCount === 1, 3000, "the worker");
    expect(push().capacity()).toBe(4 * 2); // HELLO: 2 threads × 2 (× 2: prefetch 1), before any task ended
    const short = await Promise.all(Array.from({ length: 40 }, () => s.store.createTask({ functionId: sleepy, args: "[0]" })));
    for (const t of await Promise.all(short.map((id) => finalTask(s.store, id)))) expect(t.status).toBe("COMPLETED");
    await until(() => push().workerLoads()[0]?.slots === 10, 3000, "CAPACITY 10 (2 × (1 + 4)) after short tasks");
    // 100 ms tasks: the mean passes the 20 ms hold within a few, and the worker goes back to one held per thread.
    const long = await Promise.all(Array.from({ length: 12 }, () => s.store.createTask({ functionId: sleepy, args: "[100]" })));
    await until(() => push().workerLoads()[0]?.slots === 4, 5000, "CAPACITY 4 after long tasks");
    for (const t of await Promise.all(long.map((id) => finalTask(s.store, id)))) expect(t).toMatchObject({ status: "COMPLETED", result: "100", attempts: 1 });
    expect(push().capacity()).toBe(4 * 2);
    await stopAll();
  });

  test("tasks complete with correct results on every registered worker; user errors are FAILED once", async () => {
    await worker("sw-a");
    await worker("sw-b");
    await until(() => push().workerCount === 2, 3000, "two workers");
    const square = await register(s.store, "(x) => x * x");
    const ids = await Promise.all(Array.from({ length: 300 }, (_, i) => s.store.createTask({ functionId: square, args: `[${i}]` })));
    const done = await Promise.all(ids.map((id) => finalTask(s.store, id)));
    done.forEach((t, i) => expect(t).toMatchObject({ status: "COMPLETED", result: String(i * i), attempts: 1 }));
    expect(new Set(done.map((t) => t.executor!.split("/")[0]))).toEqual(new Set(["sw-a", "sw-b"]));
    const thrower = await register(s.store, "async () => { throw new Error('user bug'); }");
    expect(await runTask(s.store, thrower, [])).toMatchObject({ status: "FAILED", attempts: 1 });
    await stopAll();
  });

  test("never more tasks on a worker than its capacity; BYE stops new tasks; a closed worker's tasks go elsewhere", async () => {
    const d = await rawWorker("sw-raw", 2);
    const f = await register(s.store, "(x) => x + 100");
    const ids = await Promise.all([1, 2, 3, 4, 5].map((i) => s.store.createTask({ functionId: f, args: `[${i}]` })));
    const first = [await nextTask(d), await nextTask(d)];
    // The core took capacity × (1 + prefetch) = 4 tasks; only 2 are on the worker, 2 wait in the mode.
    await until(() => s.dispatcher.inFlight === 4, 3000, "the core to take 4 tasks");
    expect(push().assigned).toBe(2);
    expect(first[0]!.code).toBe("(x) => x + 100");
    expect(first[1]!.code).toBe(""); // code once per worker
    const t0 = first[0]!;
    await d.send(encodePushMessage({ type: "RESULT", result: { streamId: t0.streamId, taskId: t0.taskId, status: "COMPLETED", executor: "sw-raw/thread-1", result: "7" }, started: [] }));
    const third = await nextTask(d);
    expect(push().assigned).toBe(2);
    await d.send(encodePushMessage({ type: "BYE" }));
    expect(decodeDispatcherMessage(await d.receive())).toEqual({ type: "BYE" });
    expect(push().capacity()).toBe(0);
    await worker("sw-real", 2);
    // The two tasks never placed on sw-raw run on sw-real; then sw-raw vanishes holding 2: they are re-queued.
    await until(() => push().assigned === 2, 3000, "only sw-raw's tasks left out");
    // sw-raw reports one of its two tasks started, then vanishes: only that one is charged an attempt.
    await d.send(encodePushMessage({ type: "STARTED", taskIds: [third.taskId] }));
    await until(async () => (await s.store.getTask(third.taskId))?.status === "RUNNING", 3000, "the reported start to be recorded");
    expect((await s.store.getTask(first[1]!.taskId))?.status).toBe("QUEUED");
    d.close();
    const done = await Promise.all(ids.map((id) => finalTask(s.store, id)));
    expect(done.find((t) => t.id === t0.taskId)).toMatchObject({ result: "7", executor: "sw-raw/thread-1" });
    for (const t of done.filter((t) => t.id !== t0.taskId)) expect(t.executor).toStartWith("sw-real/");
    expect(done.find((t) => t.id === third.taskId)?.attempts).toBe(2);
    expect(done.find((t) => t.id === first[1]!.taskId)?.attempts).toBe(1);
    await stopAll();
  });

  test("function code travels once per worker process; an evicted one is asked for again (NEED)", async () => {
    const w = await worker("sw-code", 2, { codeCacheSize: 1 });
    const f = await register(s.store, "(x) => x + 1");
    const g = await register(s.store, "(x) => x - 1");
    await Promise.all(Array.from({ length: 30 }, (_, i) => runTask(s.store, f, [i])));
    expect(w.stats).toMatchObject({ codeReceived: 1, needs: 0 });
    expect((await runTask(s.store, g, [1])).result).toBe("0");
    expect((await runTask(s.store, f, [5])).result).toBe("6");
    expect(w.stats).toMatchObject({ codeReceived: 3, needs: 1 });
    await stopAll();
  });

  test("a worker process killed with SIGKILL mid-task: detected at once, its task completes on another worker", async () => {
    const fn = await register(s.store, `(parent) => process.pid === parent ? "fast" : new Promise(() => {})`);
    const child = spawnWorker("push", s.endpoint, "sw-child-kill");
    try {
      await until(() => push().workerCount === 1, 10_000, "the child worker to register");
      const id = await s.store.createTask({ functionId: fn, args: `[${process.pid}]` });
      await until(() => push().assigned === 1, 5000, "the child to hold the task");
      await worker("sw-rescue", 1);
      const killedAt = Date.now();
      await child.kill("SIGKILL");
      const t = await finalTask(s.store, id, 5000);
      expect(Date.now() - killedAt).toBeLessThan(3000);
      expect(t).toMatchObject({ status: "COMPLETED", result: '"fast"', attempts: 2, executor: "sw-rescue/thread-1" });
    } finally {
      await child.kill("SIGKILL");
      await stopAll();
    }
  });

  test("a hung (SIGSTOP) worker is dropped by heartbeat; after waking it re-registers and the task does not flip", async () => {
    const fn = await register(s.store, `async (parent) => { if (process.pid === parent) return "fast"; await new Promise((r) => setTimeout(r, 300)); return "stale"; }`);
    const child = spawnWorker("push", s.endpoint, "sw-child-stop");
    try {
      await until(() => push().workerCount === 1, 10_000, "the child worker to register");
      const id = await s.store.createTask({ functionId: fn, args: `[${process.pid}]` });
      await until(() => push().assigned === 1, 5000, "the child to hold the task");
      child.proc.kill("SIGSTOP");
      const stoppedAt = Date.now();
      await worker("sw-rescue2", 1);
      const t = await finalTask(s.store, id, 5000);
      expect(Date.now() - stoppedAt).toBeLessThan(3000);
      expect(t).toMatchObject({ status: "COMPLETED", result: '"fast"', attempts: 2 });
      child.proc.kill("SIGCONT");
      // Its result may die with the dropped connection (the task was re-run anyway); if it does arrive, it is late.
      await until(() => push().workerCount === 2, 5000, "the woken worker to register again");
      await flushed();
      expect(await s.store.getTask(id)).toMatchObject({ status: "COMPLETED", result: '"fast"', executor: "sw-rescue2/thread-1" });
    } finally {
      await child.kill("SIGKILL");
      await stopAll();
    }
  });

  test("a result for a task not out on that worker (here: finished already) is dropped", async () => {
    await worker("sw-late", 1);
    const f = await register(s.store, "() => 42");
    const t = await runTask(s.store, f, []);
    const liar = await rawWorker("sw-liar", 1);
    await liar.send(encodePushMessage({ type: "RESULT", result: { streamId: "1-1", taskId: t.id, status: "FAILED", executor: "sw-liar/thread-1", result: "666" }, started: [] }));
    await until(() => lines.some((l) => l.includes("dropped") && l.includes(t.id)), 3000, "the dropped result");
    await flushed();
    expect(await s.store.getTask(t.id)).toMatchObject({ status: "COMPLETED", result: "42", executor: t.executor });
    await stopAll();
  });

  test("garbage, unregistered and misdirected messages are ignored; the dispatcher keeps serving", async () => {
    const junk = new Dealer();
    sockets.push(junk);
    junk.connect(s.endpoint);
    await junk.send([Buffer.from([0, 1, 2, 255])]);
    await junk.send(["HELLO", PROTOCOL_VERSION, "w", "", "0", "0"]); // capacity 0
    await junk.send(["STARTED", "no-such-task"]); // not registered
    await junk.send(["HELLO", PROTOCOL_VERSION, "w", "", "99999999999999999999", "0"]);
    await junk.send(["RESULT", "1-1", "t", "COMPLETED", "x", "1"]); // not registered
    await junk.send(["BYE", "extra"]);
    const holder = await rawWorker("sw-holder", 1);
    const f = await register(s.store, "() => 'right'");
    const id = await s.store.createTask({ functionId: f, args: "[]" });
    const task = await nextTask(holder);
    const other = await rawWorker("sw-other", 1);
    await other.send(encodePushMessage({ type: "RESULT", result: { streamId: task.streamId, taskId: id, status: "COMPLETED", executor: "sw-other/thread-1", result: '"wrong"' }, started: [] }));
    await other.send(encodePushMessage({ type: "NEED", streamId: task.streamId, taskId: id }));
    await other.send(["RESULT", task.streamId, id, "COMPLETED"]);
    await until(() => lines.some((l) => l.includes("dropped") && l.includes(id) && l.includes("sw-other")), 3000, "the misdirected result to be dropped");
    expect(push().assigned).toBe(1);
    // The holder reconnects (a new DEALER, HELLO with the same id; the old connection still open) and sends its result there.
    const again = await rawWorker("sw-holder", 1);
    await again.send(encodePushMessage({ type: "RESULT", result: { streamId: task.streamId, taskId: id, status: "COMPLETED", executor: "sw-holder/thread-1", result: '"right"' }, started: [] }));
    expect(await finalTask(s.store, id)).toMatchObject({ status: "COMPLETED", result: '"right"', executor: "sw-holder/thread-1", attempts: 1 });
    for (const d of [junk, holder, other, again]) d.close();
    await until(() => push().workerCount === 0, 3000, "the raw workers to leave");
    await worker("sw-after-garbage", 1);
    expect((await runTask(s.store, await register(s.store, "() => 'ok'"), [])).result).toBe('"ok"');
    await stopAll();
  });

  test("dispatcher restart: workers reconnect by themselves; a result from before the restart is dropped and the task runs again", async () => {
    const w = await worker("sw-survivor", 1);
    await until(() => push().workerCount === 1, 3000, "the worker");
    const gate = await register(s.store, `async () => { await new Promise((r) => setTimeout(r, 400)); return "from before"; }`);
    const id = await s.store.createTask({ functionId: gate, args: "[]" });
    await until(() => push().assigned === 1, 3000, "the worker to hold the task");
    await s.stopDispatcher();
    await s.restartDispatcher();
    const t = await finalTask(s.store, id, 8000);
    expect(t).toMatchObject({ status: "COMPLETED", result: '"from before"', executor: "sw-survivor/thread-1" });
    expect(t.attempts).toBeGreaterThanOrEqual(2);
    await until(() => push().workerCount === 1, 5000, "the worker to register with the new dispatcher");
    expect((await runTask(s.store, await register(s.store, "() => 'new'"), [])).result).toBe('"new"');
    expect(w.stats.tasks).toBeGreaterThanOrEqual(2);
    await stopAll();
  });
});

describe("push mode with a shared secret", () => {
  let sec: RemoteStack;
  beforeAll(async () => {
    sec = await startRemoteStack("push", { secret: "s3cret" });
  });
  afterAll(async () => {
    await sec.stop();
  });

  test("a wrong secret is refused at handshake and the worker ends with a clear error; the right one works", async () => {
    const bad = await startPushWorker({ endpoint: sec.endpoint, threads: 1, log: silentLog, secret: "guess", heartbeatMs: 250 });
    const err = await bad.exited;
    expect(err?.code).toBe("CONFIG");
    expect(err?.message).toContain("wrong secret");
    expect((sec.mode as PushMode).workerCount).toBe(0);
    const good = await startPushWorker({ endpoint: sec.endpoint, threads: 1, log: silentLog, secret: "s3cret", heartbeatMs: 250 });
    const f = await register(sec.store, "(a, b) => a * b");
    expect((await runTask(sec.store, f, [6, 7])).result).toBe("42");
    await good.stop(2000);
    expect(await good.exited).toBeNull();
  });
});
