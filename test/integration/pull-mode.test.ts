// Pull mode end to end in one test process: real Redis, Dispatcher core + PullMode, workers in-process and as child processes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { PullMode } from "../../src/dispatcher/modes/pull-mode.ts";
import { createLog, silentLog } from "../../src/log.ts";
import { AUTH_PROPERTY, decodeDispatcherMessage, encodeHandshakeAuth, encodePullRequest, PROTOCOL_VERSION } from "../../src/protocol/index.ts";
import { startPullWorker, type RemoteWorker } from "../../src/workers/pull-worker.ts";
import { Dealer, Request } from "../../src/zmtp/index.ts";
import { finalTask, register, runTask, spawnWorker, startRemoteStack, until, type RemoteStack } from "../support/remote-stack.ts";

const lines: string[] = [];
const captured = createLog("debug", "test", (l) => lines.push(l));
let s: RemoteStack;
const workers: RemoteWorker[] = [];
const sockets: { close(): void }[] = [];

const pull = () => s.mode as PullMode;
async function worker(id: string, threads = 2, extra: { codeCacheSize?: number; secret?: string; queuePerThread?: number } = {}): Promise<RemoteWorker> {
  const w = await startPullWorker({ endpoint: s.endpoint, threads, id, log: silentLog, heartbeatMs: 250, ...extra });
  workers.push(w);
  return w;
}
async function stopAll(): Promise<void> {
  await Promise.all(workers.splice(0).map((w) => w.stop(2000)));
  await until(() => pull().idleLanes === 0, 3000, "workers to leave");
}
/** A hand-driven lane presenting `workerId`'s credentials in its handshake (none when null). */
function rawRequest(workerId: string | null): Request {
  const r = new Request({ relaxed: true, ...(workerId === null ? {} : credentials(workerId)) });
  r.connect(s.endpoint);
  sockets.push(r);
  return r;
}
/** Outcomes are written in order: once a task run after a late result is final, that late write has landed too. */
async function flushed(): Promise<void> {
  expect((await runTask(s.store, await register(s.store, "() => 0"), [])).status).toBe("COMPLETED");
}
const auth = (workerId: string) => ({ version: PROTOCOL_VERSION, workerId, secret: "" });
const credentials = (workerId: string) => ({ metadata: { [AUTH_PROPERTY]: encodeHandshakeAuth(auth(workerId)) } });

beforeAll(async () => {
  s = await startRemoteStack("pull", { dispatcherLog: captured, log: captured });
});
afterAll(async () => {
  for (const r of sockets) r.close();
  await Promise.all(workers.map((w) => w.stop(1000)));
  await s.stop();
});

describe("pull mode", () => {
  test("a worker holds one task per thread ready behind the running one (a second lane per thread); --queue 0 holds none", async () => {
    const gate = await register(s.store, "async (ms) => { await Bun.sleep(ms); return ms }");
    for (const [queuePerThread, held] of [[1, 2], [0, 1]] as const) {
      await worker(`lq-${queuePerThread}`, 1, { queuePerThread });
      await until(() => pull().idleLanes === held, 3000, `${held} lane(s) asking`);
      const ids = await Promise.all(Array.from({ length: 3 }, () => s.store.createTask({ functionId: gate, args: "[400]" })));
      await until(() => pull().assigned === held, 3000, `${held} task(s) on the 1-thread worker`);
      const done = await Promise.all(ids.map((id) => finalTask(s.store, id)));
      for (const t of done) expect(t).toMatchObject({ status: "COMPLETED", result: "400" });
      await stopAll();
    }
  });

  test("lanes asking follow the measured run time: short tasks wake parked lanes (1 + queue per thread), long ones park them again (2 per thread)", async () => {
    const sleepy = await register(s.store, "async (ms) => { if (ms > 0) await Bun.sleep(ms); return ms }");
    await worker("lq-adapt", 1, { queuePerThread: 3 });
    await until(() => pull().idleLanes === 2, 3000, "2 of the 4 lanes asking before any task ended");
    const short = await Promise.all(Array.from({ length: 40 }, () => s.store.createTask({ functionId: sleepy, args: "[0]" })));
    for (const t of await Promise.all(short.map((id) => finalTask(s.store, id)))) expect(t.status).toBe("COMPLETED");
    await until(() => pull().idleLanes === 4, 3000, "all 4 lanes asking after short tasks");
    const long = await Promise.all(Array.from({ length: 12 }, () => s.store.createTask({ functionId: sleepy, args: "[100]" })));
    for (const t of await Promise.all(long.map((id) => finalTask(s.store, id)))) expect(t).toMatchObject({ status: "COMPLETED", result: "100", attempts: 1 });
    await until(() => pull().idleLanes === 2 && pull().assigned === 0, 3000, "2 lanes asking after long tasks");
    // The 2 parked lanes get no prefetch (1 in this stack): idle lanes + 1 per asking lane.
    expect(pull().capacity()).toBe(2 + 2);
    await stopAll();
  });

  test("tasks complete with correct results; user errors are FAILED once; labels name the worker thread", async () => {
    const a = await worker("pw-a");
    const b = await worker("pw-b");
    const double = await register(s.store, "(x) => x * 2");
    const ids = await Promise.all(Array.from({ length: 300 }, (_, i) => s.store.createTask({ functionId: double, args: `[${i}]` })));
    const done = await Promise.all(ids.map((id) => finalTask(s.store, id)));
    done.forEach((t, i) => expect(t).toMatchObject({ status: "COMPLETED", result: String(i * 2), attempts: 1 }));
    const executors = new Set(done.map((t) => t.executor!.split("/")[0]));
    expect(executors).toEqual(new Set(["pw-a", "pw-b"]));
    expect(done[0]!.executor).toMatch(/^pw-[ab]\/thread-[12]$/);
    const thrower = await register(s.store, "() => { throw new RangeError('nope'); }");
    const failed = await runTask(s.store, thrower, []);
    expect(failed.status).toBe("FAILED");
    expect(failed.attempts).toBe(1);
    expect(JSON.parse(failed.result!).value).toMatchObject({ name: "RangeError", message: "nope" });
    expect(a.stats.tasks + b.stats.tasks).toBe(301);
    await stopAll();
  });

  test("function code travels once per worker process; an evicted one is asked for again (NEED)", async () => {
    const w = await worker("pw-code", 2, { codeCacheSize: 1 });
    const f = await register(s.store, "(x) => x + 1");
    const g = await register(s.store, "(x) => x - 1");
    expect((await runTask(s.store, f, [1])).result).toBe("2");
    await Promise.all(Array.from({ length: 30 }, (_, i) => runTask(s.store, f, [i])));
    expect(w.stats).toMatchObject({ codeReceived: 1, needs: 0 });
    expect((await runTask(s.store, g, [1])).result).toBe("0"); // evicts f from the worker's cache of 1
    expect((await runTask(s.store, f, [5])).result).toBe("6"); // sent without code → NEED → resent with code
    expect(w.stats).toMatchObject({ codeReceived: 3, needs: 1 });
    await stopAll();
  });

  test("a worker process killed with SIGKILL mid-task: detected at once, its task completes on another worker", async () => {
    const slow = await register(s.store, `(parent) => process.pid === parent ? "fast" : new Promise(() => {})`);
    const child = spawnWorker("pull", s.endpoint, "pw-child-kill");
    try {
      await until(() => pull().idleLanes === 2, 10_000, "the child worker (1 thread: 2 lanes) to ask for work");
      const id = await s.store.createTask({ functionId: slow, args: `[${process.pid}]` });
      await until(() => pull().assigned === 1, 5000, "the child to hold the task");
      await worker("pw-rescue", 1);
      const killedAt = Date.now();
      await child.kill("SIGKILL");
      const t = await finalTask(s.store, id, 5000);
      expect(Date.now() - killedAt).toBeLessThan(3000);
      expect(t).toMatchObject({ status: "COMPLETED", result: '"fast"', attempts: 2, executor: "pw-rescue/thread-1" });
    } finally {
      await child.kill("SIGKILL");
      await stopAll();
    }
  });

  test("a hung (SIGSTOP) worker is dropped by heartbeat; its stale result after waking does not flip the task", async () => {
    const fn = await register(s.store, `async (parent) => { if (process.pid === parent) return "fast"; await new Promise((r) => setTimeout(r, 300)); return "stale"; }`);
    const child = spawnWorker("pull", s.endpoint, "pw-child-stop");
    try {
      await until(() => pull().idleLanes === 2, 10_000, "the child worker (1 thread: 2 lanes) to ask for work");
      const id = await s.store.createTask({ functionId: fn, args: `[${process.pid}]` });
      await until(() => pull().assigned === 1, 5000, "the child to hold the task");
      child.proc.kill("SIGSTOP");
      const stoppedAt = Date.now();
      await worker("pw-rescue2", 1);
      const t = await finalTask(s.store, id, 5000);
      expect(Date.now() - stoppedAt).toBeLessThan(3000);
      expect(t).toMatchObject({ status: "COMPLETED", result: '"fast"', attempts: 2 });
      child.proc.kill("SIGCONT");
      await until(() => lines.some((l) => l.includes("dropped") && l.includes(id)), 5000, "the woken worker's stale result, dropped");
      await flushed();
      expect(await s.store.getTask(id)).toMatchObject({ status: "COMPLETED", result: '"fast"', executor: "pw-rescue2/thread-1" });
    } finally {
      await child.kill("SIGKILL");
      await stopAll();
    }
  });

  test("garbage and unexpected requests are ignored; the dispatcher keeps serving", async () => {
    const d = new Dealer();
    d.connect(s.endpoint);
    sockets.push(d);
    await d.send(["no envelope"]);
    await d.send([Buffer.alloc(0), "READY"]);
    await d.send([Buffer.alloc(0), Buffer.from([0xff, 0xfe, 0x00])]);
    await d.send([Buffer.alloc(0), "READY", PROTOCOL_VERSION, "bad id", ""]);
    await d.send([Buffer.alloc(0), "RESULT", PROTOCOL_VERSION, "x", "", "0", "1-1", "t", "MAYBE", "x", "1", "1", ""]);
    // A well-formed RESULT for a task nobody knows: dropped, writes nothing.
    await d.send([Buffer.alloc(0), ...encodePullRequest({ type: "RESULT", auth: auth("ghost"), lane: 0, next: false, started: [], result: { streamId: "1-1", taskId: "no-such-task", status: "COMPLETED", executor: "ghost/thread-1", result: "1" } })]);
    await d.send(["STARTED", PROTOCOL_VERSION, "ghost", "", "no-such-task"]);
    const r = rawRequest("pw-garbage");
    await r.send(["TASK", "1-1", "t", "f", "10", "[]", ""]);
    await worker("pw-after-garbage", 1);
    const f = await register(s.store, "() => 'still serving'");
    expect((await runTask(s.store, f, [])).result).toBe('"still serving"');
    expect(await s.store.getTask("no-such-task")).toBeNull();
    await stopAll();
  });

  test("a result for a task not out on that worker (here: finished already) is dropped", async () => {
    await worker("pw-late", 1);
    const f = await register(s.store, "() => 42");
    const t = await runTask(s.store, f, []);
    expect(t.result).toBe("42");
    const r = rawRequest("liar");
    void r.send(encodePullRequest({ type: "RESULT", auth: auth("liar"), lane: 0, next: false, started: [], result: { streamId: "1-1", taskId: t.id, status: "FAILED", executor: "liar/thread-1", result: "666" } })).catch(() => {});
    expect(await r.receive().then((f) => f[0]!.toString())).toBe("BYE");
    await until(() => lines.some((l) => l.includes("dropped") && l.includes(t.id)), 3000, "the dropped result");
    await flushed();
    expect(await s.store.getTask(t.id)).toMatchObject({ status: "COMPLETED", result: "42" });
    await stopAll();
  });

  test("when one lane of a worker process is lost, its sibling lanes are released (WELCOME) and get no re-queued task", async () => {
    const f = await register(s.store, "() => 7");
    const a = rawRequest("twin");
    void a.send(encodePullRequest({ type: "READY", auth: auth("twin"), lane: 0 })).catch(() => {});
    await until(() => pull().idleLanes === 1, 3000, "lane A held");
    const b = rawRequest("twin");
    void b.send(encodePullRequest({ type: "READY", auth: auth("twin"), lane: 1 })).catch(() => {});
    await until(() => pull().idleLanes === 2, 3000, "lane B held");
    const id = await s.store.createTask({ functionId: f, args: "[]" });
    expect((await a.receive())[0]!.toString()).toBe("TASK"); // FIFO: lane A asked first
    a.close(); // lane A is lost with the task
    expect(decodeDispatcherMessage(await b.receive())).toEqual({ type: "WELCOME" });
    expect(pull().idleLanes).toBe(0); // B is not handed the re-queued task
    await worker("twin-rescue", 1);
    // Lane A never reported a start: the task goes back uncharged.
    expect(await finalTask(s.store, id, 5000)).toMatchObject({ status: "COMPLETED", result: "7", attempts: 1, executor: "twin-rescue/thread-1" });
    await stopAll();
  });

  test("a worker that holds a task and goes silent (but stays connected) hits the dispatcher-side deadline", async () => {
    const f = await register(s.store, "() => 1");
    const r = rawRequest("mute");
    void r.send(encodePullRequest({ type: "READY", auth: auth("mute"), lane: 0 })).catch(() => {});
    await until(() => pull().idleLanes === 1, 3000, "the mute worker's request");
    const id = await s.store.createTask({ functionId: f, args: "[]", timeoutMs: 100 });
    const task = await r.receive();
    expect(task[0]!.toString()).toBe("TASK");
    const t = await finalTask(s.store, id, 5000);
    expect(t.status).toBe("FAILED");
    expect(JSON.parse(t.result!).value).toMatchObject({ name: "TimeoutError" });
    expect(JSON.parse(t.result!).value.message).toContain("mute");
    r.close();
  });
});

describe("pull mode: connections are authorized at handshake", () => {
  test("a request naming another worker than its connection's credentials is DENIED; a connection without credentials is DENIED and dropped within 3 s", async () => {
    const other = rawRequest("someone");
    void other.send(encodePullRequest({ type: "READY", auth: auth("someone-else"), lane: 0 })).catch(() => {});
    expect(decodeDispatcherMessage(await other.receive())).toEqual({ type: "DENIED", reason: "this connection was authorized as worker someone, not someone-else" });
    const bare = rawRequest(null);
    const dropped = bare.events.once("disconnect");
    const at = Date.now();
    void bare.send(encodePullRequest({ type: "READY", auth: auth("bare"), lane: 0 })).catch(() => {});
    const denied = decodeDispatcherMessage(await bare.receive());
    expect(denied?.type === "DENIED" && denied.reason).toContain("no credentials in the handshake");
    await dropped;
    expect(Date.now() - at).toBeLessThan(4500);
    expect(pull().idleLanes).toBe(0);
    other.close();
    bare.close();
  });
});

describe("pull mode: results are checked against their assignment", () => {
  const resultOf = (workerId: string, lane: number, streamId: string, taskId: string, result: string) =>
    encodePullRequest({ type: "RESULT", auth: auth(workerId), lane, next: true, started: [], result: { streamId, taskId, status: "COMPLETED", executor: `${workerId}/thread-1`, result } });

  test("a result from another worker id is dropped; the holder's (1 MiB), re-sent first on a new connection of the same lane, is accepted", async () => {
    const f = await register(s.store, "() => 1");
    const holder = rawRequest("holder");
    void holder.send(encodePullRequest({ type: "READY", auth: auth("holder"), lane: 0 })).catch(() => {});
    await until(() => pull().idleLanes === 1, 3000, "the holder's request");
    const id = await s.store.createTask({ functionId: f, args: "[]" });
    const task = decodeDispatcherMessage(await holder.receive());
    if (task?.type !== "TASK") throw new Error(`expected a TASK, got ${task?.type}`);
    const forger = rawRequest("forger");
    void forger.send(resultOf("forger", 0, task.streamId, id, '"forged"')).catch(() => {});
    await until(() => lines.some((l) => l.includes("dropped") && l.includes(id) && l.includes("forger")), 3000, "the forged result to be dropped");
    expect(pull().assigned).toBe(1);
    // The holder's lane reconnects (a new REQ, its old connection still open) and re-sends its result: its first
    // message, far larger than the 16 KiB an unauthenticated connection may send, passes (authorized at handshake).
    const again = rawRequest("holder");
    const big = JSON.stringify("r".repeat(1 << 20));
    void again.send(resultOf("holder", 0, task.streamId, id, big)).catch(() => {});
    expect(await finalTask(s.store, id, 5000)).toMatchObject({ status: "COMPLETED", result: big, attempts: 1, executor: "holder/thread-1" });
    holder.close();
    again.close();
    forger.close();
    await until(() => pull().idleLanes === 0, 3000, "the raw lanes to go");
  });
});

describe("pull mode with a shared secret", () => {
  let sec: RemoteStack;
  beforeAll(async () => {
    sec = await startRemoteStack("pull", { secret: "s3cret" });
  });
  afterAll(async () => {
    await sec.stop();
  });

  test("a wrong or missing secret is refused at handshake and the worker ends with a clear error; the right one works", async () => {
    for (const secret of ["wrong", undefined]) {
      const bad = await startPullWorker({ endpoint: sec.endpoint, threads: 1, log: silentLog, secret, heartbeatMs: 250 });
      const err = await bad.exited;
      expect(err?.code).toBe("CONFIG");
      expect(err?.message).toContain(secret ? "wrong secret" : "requires a secret");
      await bad.stop();
    }
    const good = await startPullWorker({ endpoint: sec.endpoint, threads: 1, log: silentLog, secret: "s3cret", heartbeatMs: 250 });
    const f = await register(sec.store, "(a, b) => a + b");
    expect((await runTask(sec.store, f, [2, 3])).result).toBe("5");
    await good.stop(2000);
    expect(await good.exited).toBeNull();
  });
});
