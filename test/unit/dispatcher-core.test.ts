// The dispatcher core's rules, against the in-memory queue and a mode the test drives by hand (no Redis, no threads).
import { afterEach, describe, expect, test } from "bun:test";
import { Dispatcher } from "../../src/dispatcher/dispatcher.ts";
import { silentLog } from "../../src/log.ts";
import { MemoryQueue } from "../../src/store/memory-queue.ts";
import { eventually } from "../support/faas-binary.ts";
import { ScriptedMode } from "../support/scripted-mode.ts";

const running: Dispatcher[] = [];
afterEach(async () => {
  for (const d of running.splice(0)) await d.stop(0);
});

function setup(opts: { limit?: number; maxAttempts?: number; tasks?: number; strayMs?: number } = {}) {
  const queue = new MemoryQueue();
  queue.addFunction("f", "() => 1");
  const ids = Array.from({ length: opts.tasks ?? 0 }, () => queue.addTask({ functionId: "f" }));
  const mode = new ScriptedMode(opts.limit ?? 8);
  const dispatcher = new Dispatcher({ queue, mode, log: silentLog, maxAttempts: opts.maxAttempts ?? 3, blockMs: 50, heartbeatMs: 50, aliveTtlMs: 200, strayMs: opts.strayMs });
  running.push(dispatcher);
  return { queue, mode, dispatcher, ids };
}

const done = (result = "1") => ({ status: "COMPLETED" as const, result, executor: "x" });
const settled = (q: MemoryQueue) => eventually(async () => q.history.length > 0 || undefined, 2000);

describe("dispatcher core", () => {
  test("a task held by the mode stays QUEUED and uncharged until an executor starts it", async () => {
    const { queue, mode, dispatcher, ids } = setup({ tasks: 3 });
    await dispatcher.start();
    await eventually(async () => mode.held.length === 3, 2000, "3 jobs held");
    for (const id of ids) expect(queue.task(id)).toMatchObject({ status: "QUEUED", attempts: 0, startedAt: null });
    mode.start(ids[0]!);
    await eventually(async () => queue.task(ids[0]!)!.status === "RUNNING", 2000);
    expect(queue.task(ids[0]!)!.attempts).toBe(1);
    expect(queue.task(ids[1]!)!.status).toBe("QUEUED");
    mode.end(ids[0]!, done("7"));
    await eventually(async () => queue.task(ids[0]!)!.status === "COMPLETED", 2000);
    expect(queue.task(ids[0]!)).toMatchObject({ result: "7", attempts: 1 });
    expect(queue.pendingOf(dispatcher.consumer)).toHaveLength(2);
  });

  test("a started task whose executor is lost runs again before every unstarted job, charged once per start", async () => {
    const { queue, mode, dispatcher, ids } = setup({ tasks: 4 });
    await dispatcher.start();
    await eventually(async () => mode.held.length === 4, 2000);
    mode.start(ids[2]!);
    mode.end(ids[2]!, { status: "LOST", reason: "worker gone" });
    await eventually(async () => mode.ids()[0] === ids[2], 2000, "lost task placed first");
    expect(mode.ids()).toEqual([ids[2]!, ids[0]!, ids[1]!, ids[3]!]);
    expect(mode.get(ids[2]!).job.attempts).toBe(2);
    expect(mode.get(ids[2]!).control.first).toBe(true);
    await eventually(async () => queue.task(ids[2]!)!.status === "QUEUED", 2000);
    expect(queue.task(ids[2]!)!.attempts).toBe(1);
    // Still ours: the entry was not given to anyone else.
    expect(queue.pendingOf(dispatcher.consumer)).toHaveLength(4);
  });

  test("a job the mode gives back unstarted costs nothing and runs again first", async () => {
    const { queue, mode, dispatcher, ids } = setup({ tasks: 2 });
    await dispatcher.start();
    await eventually(async () => mode.held.length === 2, 2000);
    mode.end(ids[1]!, { status: "LOST", reason: "its worker left before starting it" });
    await eventually(async () => mode.ids()[0] === ids[1], 2000);
    expect(mode.get(ids[1]!).job.attempts).toBe(1);
    expect(queue.history).toEqual([]);
  });

  test("lost on every allowed attempt: FAILED with TaskLostError", async () => {
    const { queue, mode, dispatcher, ids } = setup({ tasks: 1, maxAttempts: 2 });
    await dispatcher.start();
    const [id] = ids;
    for (let attempt = 1; attempt <= 2; attempt++) {
      await eventually(async () => mode.held.length === 1 && mode.held[0]!.job.attempts === attempt, 2000);
      mode.start(id!);
      mode.end(id!, { status: "LOST", reason: "gone" });
    }
    await eventually(async () => queue.task(id!)!.status === "FAILED", 2000);
    expect(queue.task(id!)!.result).toContain("TaskLostError");
    expect(queue.task(id!)!.attempts).toBe(2);
    expect(mode.held).toHaveLength(0);
  });

  test("graceful stop: unstarted tasks go back at once, uncharged and read first; running ones finish", async () => {
    const { queue, mode, dispatcher, ids } = setup({ tasks: 5, limit: 4 });
    await dispatcher.start();
    await eventually(async () => mode.held.length === 4, 2000);
    mode.start(ids[0]!);
    const stopping = dispatcher.stop(5000);
    // The unstarted three are handed back while the started one still runs.
    await eventually(async () => queue.length("retry") === 3, 2000, "3 handed back");
    for (const id of ids.slice(1, 4)) expect(queue.task(id)).toMatchObject({ status: "QUEUED", attempts: 0 });
    expect(queue.task(ids[0]!)!.status).toBe("RUNNING");
    mode.end(ids[0]!, done());
    await stopping;
    expect(queue.task(ids[0]!)!.status).toBe("COMPLETED");
    // Another dispatcher reads the handed-back tasks before the one left in the main stream.
    const reader = queue.reader();
    const next = await reader.read("other", 10, 10);
    expect(next.map((e) => e.taskId)).toEqual([...ids.slice(1, 4), ids[4]!]);
    expect(next.slice(0, 3).every((e) => e.lane === "retry")).toBe(true);
  });

  test("graceful stop past the grace period hands running tasks back too (charged once, not twice)", async () => {
    const { queue, mode, dispatcher, ids } = setup({ tasks: 1 });
    await dispatcher.start();
    await eventually(async () => mode.held.length === 1, 2000);
    mode.start(ids[0]!);
    await dispatcher.stop(100);
    expect(queue.task(ids[0]!)).toMatchObject({ status: "QUEUED", attempts: 1 });
    expect(queue.length("retry")).toBe(1);
    expect(queue.pendingOf(dispatcher.consumer)).toEqual([]);
  });

  test("state changes that fail are retried until the queue takes them; stop waits for them", async () => {
    const { queue, mode, dispatcher, ids } = setup({ tasks: 2 });
    await dispatcher.start();
    await eventually(async () => mode.held.length === 2, 2000);
    queue.failing = new Error("redis down");
    mode.start(ids[0]!);
    mode.end(ids[0]!, done("5"));
    mode.start(ids[1]!);
    mode.end(ids[1]!, { status: "LOST", reason: "gone" });
    await eventually(async () => dispatcher.unwritten > 0, 2000);
    await Bun.sleep(0);
    expect(queue.task(ids[0]!)!.status).toBe("QUEUED");
    queue.failing = null;
    await eventually(async () => queue.task(ids[0]!)!.status === "COMPLETED", 10_000, "written after the outage");
    await eventually(async () => queue.task(ids[1]!)!.attempts === 1 && queue.task(ids[1]!)!.status === "QUEUED", 10_000);
    // Each task's changes were written once each, in the order they happened.
    const of = (id: string) => queue.history.filter((s) => (s.kind === "handback" ? s.entry.taskId : s.taskId) === id).map((s) => s.kind);
    // A start still unwritten when its finish comes is folded into the finish.
    expect(of(ids[0]!)).toEqual(["finish"]);
    expect(queue.task(ids[0]!)).toMatchObject({ attempts: 1, startedAt: expect.any(Number) });
    expect(of(ids[1]!)).toEqual(["start", "requeue"]);
  });

  test("with a backlog the core refills in batches of at least a quarter of the capacity", async () => {
    const { queue, mode, dispatcher } = setup({ tasks: 40, limit: 8 });
    await dispatcher.start();
    await eventually(async () => mode.held.length === 8, 2000);
    const before = queue.length("main");
    for (const id of mode.ids().slice(0, 1)) {
      mode.start(id);
      mode.end(id, done());
    }
    await settled(queue);
    // One free slot is less than a quarter of 8: nothing more is read.
    expect(mode.held.length).toBe(7);
    for (const id of mode.ids().slice(0, 1)) {
      mode.start(id);
      mode.end(id, done());
    }
    await eventually(async () => mode.held.length === 8, 2000, "refilled by 2");
    expect(queue.length("main")).toBe(before - 2);
  });

  test("a dead dispatcher's tasks are taken over and run before the backlog", async () => {
    const queue = new MemoryQueue();
    queue.addFunction("f", "() => 1");
    const orphan = queue.addTask({ functionId: "f" });
    await queue.heartbeat("dead", 50);
    await queue.reader().read("dead", 10, 10);
    const backlog = Array.from({ length: 3 }, () => queue.addTask({ functionId: "f" }));
    const mode = new ScriptedMode(1);
    const d = new Dispatcher({ queue, mode, log: silentLog, blockMs: 50, heartbeatMs: 50, aliveTtlMs: 200 });
    running.push(d);
    await d.start();
    await eventually(async () => mode.ids().includes(orphan), 3000, "orphan taken over");
    expect(mode.get(orphan).control.first).toBe(true);
    void backlog;
  });

  test("an entry delivered to this dispatcher whose delivery never arrived is taken up again", async () => {
    const { queue, mode, dispatcher } = setup({ strayMs: 200 });
    queue.addFunction("f", "() => 1");
    const id = queue.addTask({ functionId: "f" });
    queue.loseDelivery(dispatcher.consumer);
    await dispatcher.start();
    await eventually(async () => mode.ids().includes(id), 3000, "stray entry run");
    expect(mode.get(id).control.first).toBe(true);
    mode.start(id);
    mode.end(id, done());
    await eventually(async () => queue.task(id)!.status === "COMPLETED", 2000);
    // Held entries are never taken up twice.
    const other = queue.addTask({ functionId: "f" });
    await eventually(async () => mode.ids().includes(other), 2000);
    let checks = 0;
    const reclaim = queue.reclaimOwn.bind(queue);
    queue.reclaimOwn = async (c, ms) => {
      const got = await reclaim(c, ms);
      checks++;
      return got;
    };
    // Two stray checks after `other` was held past strayMs: it is found pending and left alone.
    await eventually(async () => checks >= 2, 3000, "two stray checks");
    expect(mode.ids().filter((x) => x === other)).toHaveLength(1);
  });

  test("a cancel reaches the mode holding the task; its later outcome leaves it CANCELLED; the other tasks go on", async () => {
    const { queue, mode, dispatcher, ids } = setup({ tasks: 3 });
    await dispatcher.start();
    await eventually(async () => mode.held.length === 3, 2000, "3 jobs held");
    mode.start(ids[0]!);
    mode.start(ids[1]!);
    mode.get(ids[0]!).control.logs?.({ lines: [{ ts: 1, stream: "stdout", text: "until the cancel" }], truncated: false });
    expect(queue.cancelTask(ids[0]!, "cancelled")).toBe(true);
    await eventually(async () => mode.cancelled.includes(ids[0]!), 2000, "the mode told");
    expect(mode.cancelled).toEqual([ids[0]!]);
    await eventually(async () => queue.history.some((s) => s.kind === "finish" && s.taskId === ids[0]), 2000, "its outcome written");
    expect(queue.task(ids[0]!)).toMatchObject({ status: "CANCELLED", result: "cancelled" });
    // The lines it wrote go with its outcome (the store keeps them for a CANCELLED task).
    const finish = queue.history.find((s) => s.kind === "finish" && s.taskId === ids[0]) as { logs?: string };
    expect(JSON.parse(finish.logs!)).toEqual({ lines: [[1, "o", "until the cancel"]], truncated: false });
    mode.end(ids[1]!, done("2"));
    mode.start(ids[2]!);
    mode.end(ids[2]!, done("3"));
    await eventually(async () => queue.task(ids[2]!)!.status === "COMPLETED", 2000);
    expect(queue.task(ids[1]!)).toMatchObject({ status: "COMPLETED", result: "2", attempts: 1 });
    expect(queue.task(ids[2]!)).toMatchObject({ status: "COMPLETED", result: "3", attempts: 1 });
  });
});
