/** The dispatch queue's rules, one suite run against each implementation (Redis, memory). */
import { describe, expect, test } from "bun:test";
import type { DispatchQueue, QueueEntry } from "../../src/store/dispatch-queue.ts";

/** What a suite needs of an implementation: the queue, and the API's side of it. */
export interface QueueHarness {
  queue: DispatchQueue;
  /** Register a function; `python`: a Python function's (its code carried as "#python\n" + payload). */
  addFunction(code: string, python?: boolean): Promise<string>;
  addTask(functionId: string, args?: string, timeoutMs?: number): Promise<string>;
  state(taskId: string): Promise<{ status: string; attempts: number; result: string | null; executor: string | null; startedAt: number | null } | null>;
  /** Make `consumer` look dead to others (its liveness gone). */
  kill(consumer: string): Promise<void>;
  /** Cancel a task as the API does (CANCEL_TASK): true when it ended CANCELLED, false when it was final. */
  cancel(taskId: string, result: string): Promise<boolean>;
  /** Delete a function as the API does. */
  deleteFunction(functionId: string): Promise<void>;
}

const LOST = '{"$type":"error","name":"TaskLostError","message":"lost"}';
const OPTS = { maxAttempts: 2, lostError: LOST };
const CANCELLED = '{"$type":"error","value":{"name":"CancelledError","message":"cancelled by request"}}';
const DELETED = '{"$type":"error","value":{"name":"FunctionNotFoundError","message":"deleted"}}';

/** Register the shared queue cases under `name`; `harness` is called once per test, `cleanup` after it. */
export function queueCases(name: string, harness: () => Promise<QueueHarness>): void {
  describe(`dispatch queue (${name})`, () => {
    async function setup(): Promise<QueueHarness & { fn: string; readAll(consumer: string): Promise<QueueEntry[]> }> {
      const h = await harness();
      await h.queue.ensureGroup();
      const fn = await h.addFunction("() => 1");
      const reader = h.queue.reader();
      return { ...h, fn, readAll: async (consumer) => {
        const out = await reader.read(consumer, 100, 50);
        return out;
      } };
    }

    test("loading a delivered task changes nothing: it stays QUEUED and uncharged", async () => {
      const h = await setup();
      const id = await h.addTask(h.fn, "[1]", 5000);
      const entries = (await h.readAll("c1")).filter((e) => e.taskId === id);
      const [loaded] = await h.queue.loadTasks(entries, OPTS);
      expect(loaded).toMatchObject({ taskId: id, functionId: h.fn, args: "[1]", timeoutMs: 5000, attempts: 0 });
      expect(await h.state(id)).toMatchObject({ status: "QUEUED", attempts: 0, startedAt: null });
    });

    test("start makes it RUNNING with its attempt; a finish is written once and acknowledges the entry", async () => {
      const h = await setup();
      const id = await h.addTask(h.fn);
      const [e] = (await h.readAll("c1")).filter((x) => x.taskId === id);
      await h.queue.settle([{ kind: "start", taskId: id, attempts: 1, executor: "c1", at: 1234 }]);
      expect(await h.state(id)).toMatchObject({ status: "RUNNING", attempts: 1, executor: "c1", startedAt: 1234 });
      expect(await h.queue.settle([{ kind: "finish", ...e!, status: "COMPLETED", result: "1", executor: "t1" }])).toBe(1);
      expect(await h.queue.settle([{ kind: "finish", ...e!, status: "FAILED", result: '"x"', executor: "t2" }])).toBe(0);
      // Changes to a final task are ignored.
      await h.queue.settle([{ kind: "start", taskId: id, attempts: 2, executor: "c2", at: 1 }, { kind: "requeue", taskId: id, attempts: 2 }, { kind: "handback", entry: e! }]);
      expect(await h.state(id)).toMatchObject({ status: "COMPLETED", result: "1", executor: "t1", attempts: 1 });
      await h.kill("c1");
      expect(await h.queue.claimOrphans("c9", 0)).toEqual([]);
      expect(await h.readAll("c9")).toEqual([]);
    });

    test("start then finish in one batch are applied in order", async () => {
      const h = await setup();
      const id = await h.addTask(h.fn);
      const [e] = (await h.readAll("c1")).filter((x) => x.taskId === id);
      await h.queue.settle([{ kind: "start", taskId: id, attempts: 1, executor: "c1", at: 5 }, { kind: "finish", ...e!, status: "FAILED", result: '"no"', executor: "t" }]);
      expect(await h.state(id)).toMatchObject({ status: "FAILED", attempts: 1, startedAt: 5, result: '"no"' });
    });

    test("a Python function's task that used its attempts fails with the Python form of the lost error", async () => {
      const h = await setup();
      const py = await h.addFunction("#python\ngASVAAAAAAAAAE4u\n", true);
      const [js, spentPy] = [await h.addTask(h.fn), await h.addTask(py)];
      for (const id of [js, spentPy]) await h.queue.settle([{ kind: "start", taskId: id, attempts: 2, executor: "c1", at: 1 }]);
      const entries = (await h.readAll("c1")).filter((e) => e.taskId === js || e.taskId === spentPy);
      expect(await h.queue.loadTasks(entries, { ...OPTS, pythonLostError: "PICKLED" })).toEqual([]);
      expect(await h.state(js)).toMatchObject({ status: "FAILED", result: LOST });
      expect(await h.state(spentPy)).toMatchObject({ status: "FAILED", result: "PICKLED" });
    });

    test("load skips final and gone tasks, and fails a task that used its attempts", async () => {
      const h = await setup();
      const done = await h.addTask(h.fn);
      const spent = await h.addTask(h.fn);
      const [d, s] = await h.readAll("c1");
      await h.queue.settle([{ kind: "finish", streamId: "", taskId: done, status: "COMPLETED", result: "1", executor: "x" }]);
      await h.queue.settle([{ kind: "start", taskId: spent, attempts: 2, executor: "c1", at: 1 }]);
      expect(await h.queue.loadTasks([d!, s!, { streamId: d!.streamId, taskId: crypto.randomUUID() }], OPTS)).toEqual([]);
      expect(await h.state(spent)).toMatchObject({ status: "FAILED", result: LOST });
      await h.kill("c1");
      expect(await h.queue.claimOrphans("c9", 0)).toEqual([]);
    });

    test("a cancelled queued task never loads, and no later start or finish changes it", async () => {
      const h = await setup();
      const id = await h.addTask(h.fn);
      const other = await h.addTask(h.fn);
      expect(await h.cancel(id, CANCELLED)).toBe(true);
      expect(await h.state(id)).toMatchObject({ status: "CANCELLED", result: CANCELLED, attempts: 0, startedAt: null });
      const entries = await h.readAll("c1");
      expect(entries.map((e) => e.taskId)).toEqual([id, other]);
      const loaded = await h.queue.loadTasks(entries, OPTS);
      expect(loaded.map((t) => t.taskId)).toEqual([other]);
      const e = entries[0]!;
      expect(await h.queue.settle([
        { kind: "start", taskId: id, attempts: 1, executor: "c1", at: 7 },
        { kind: "finish", ...e, status: "COMPLETED", result: "1", executor: "t1" },
        { kind: "requeue", taskId: id, attempts: 1 },
        { kind: "handback", entry: e },
      ])).toBe(0);
      expect(await h.state(id)).toMatchObject({ status: "CANCELLED", result: CANCELLED, attempts: 0, startedAt: null });
      expect(await h.cancel(id, CANCELLED)).toBe(false);
      expect(await h.readAll("c2")).toEqual([]); // the handback of a final task queued nothing
    });

    test("a task cancelled while running: its later finish acknowledges the entry and changes nothing", async () => {
      const h = await setup();
      const id = await h.addTask(h.fn);
      const [e] = await h.readAll("c1");
      expect(await h.queue.loadTasks([e!], OPTS)).toHaveLength(1);
      await h.queue.settle([{ kind: "start", taskId: id, attempts: 1, executor: "c1", at: 9 }]);
      expect(await h.cancel(id, CANCELLED)).toBe(true);
      expect(await h.queue.settle([{ kind: "finish", ...e!, status: "COMPLETED", result: "1", executor: "t1" }])).toBe(0);
      expect(await h.state(id)).toMatchObject({ status: "CANCELLED", result: CANCELLED, attempts: 1, startedAt: 9 });
      expect(await h.cancel(id, CANCELLED)).toBe(false);
      await h.kill("c1");
      expect(await h.queue.claimOrphans("c9", 0)).toEqual([]);
    });

    test("load fails a task whose function was deleted, with deletedError", async () => {
      const h = await setup();
      const id = await h.addTask(h.fn);
      await h.deleteFunction(h.fn);
      const entries = await h.readAll("c1");
      expect(await h.queue.loadTasks(entries, { ...OPTS, deletedError: DELETED })).toEqual([]);
      expect(await h.state(id)).toMatchObject({ status: "FAILED", result: DELETED, attempts: 0 });
      await h.kill("c1");
      expect(await h.queue.claimOrphans("c9", 0)).toEqual([]);
    });

    test("a handed-back task is QUEUED, uncharged, and read before the backlog", async () => {
      const h = await setup();
      const a = await h.addTask(h.fn);
      const b = await h.addTask(h.fn);
      const [ea] = (await h.readAll("c1")).filter((x) => x.taskId === a);
      await h.queue.settle([{ kind: "start", taskId: a, attempts: 1, executor: "c1", at: 1 }, { kind: "handback", entry: ea! }]);
      expect(await h.state(a)).toMatchObject({ status: "QUEUED", attempts: 1 });
      const c = await h.addTask(h.fn);
      const next = await h.readAll("c2");
      expect(next.map((e) => e.taskId)).toEqual([a, c]);
      expect(next[0]!.lane).toBe("retry");
      const [la] = await h.queue.loadTasks([next[0]!], OPTS);
      expect(la).toMatchObject({ taskId: a, attempts: 1, lane: "retry" });
      // Finishing it acknowledges the retry entry.
      await h.queue.settle([{ kind: "finish", ...next[0]!, status: "COMPLETED", result: "2", executor: "x" }]);
      // b (read by c1) and c (by c2) are still pending; the finished retry entry is not.
      await h.kill("c1");
      await h.kill("c2");
      const claimed = await h.queue.claimOrphans("c3", 0);
      expect(claimed.map((e) => e.taskId).sort()).toEqual([b, c].sort());
    });

    test("requeue makes a RUNNING task QUEUED and keeps its entry with its dispatcher", async () => {
      const h = await setup();
      const id = await h.addTask(h.fn);
      await h.readAll("c1");
      await h.queue.settle([{ kind: "start", taskId: id, attempts: 1, executor: "c1", at: 1 }, { kind: "requeue", taskId: id, attempts: 1 }]);
      expect(await h.state(id)).toMatchObject({ status: "QUEUED", attempts: 1 });
      expect(await h.readAll("c2")).toEqual([]);
      await h.kill("c1");
      expect((await h.queue.claimOrphans("c2", 0)).map((e) => e.taskId)).toEqual([id]);
    });

    test("orphans: a live consumer's entries stay; a dead one's are claimed from both streams", async () => {
      const h = await setup();
      await h.queue.heartbeat("c1", 60_000);
      const a = await h.addTask(h.fn);
      const [ea] = await h.readAll("c1");
      await h.queue.settle([{ kind: "handback", entry: ea! }]);
      const b = await h.addTask(h.fn);
      const got = await h.readAll("c1");
      expect(got.map((e) => e.taskId)).toEqual([a, b]);
      expect(await h.queue.claimOrphans("c2", 0)).toEqual([]);
      await h.kill("c1");
      await h.queue.heartbeat("c2", 60_000);
      const claimed = await h.queue.claimOrphans("c2", 0);
      expect(claimed.map((e) => [e.taskId, e.lane ?? "main"])).toEqual([[a, "retry"], [b, "main"]]);
      expect(await h.queue.claimOrphans("c3", 0)).toEqual([]);
    });

    test("reclaimOwn returns a consumer's own entries idle long enough, and restarts their idle time", async () => {
      const h = await setup();
      const id = await h.addTask(h.fn);
      await h.readAll("c1");
      expect((await h.queue.reclaimOwn("c1", 0)).map((e) => e.taskId)).toEqual([id]);
      expect(await h.queue.reclaimOwn("c1", 60_000)).toEqual([]);
      expect(await h.queue.reclaimOwn("c2", 0)).toEqual([]);
    });

    test("changes about an older attempt are ignored, so batches may land out of order", async () => {
      const h = await setup();
      const id = await h.addTask(h.fn);
      const [e] = (await h.readAll("c1")).filter((x) => x.taskId === id);
      // attempt 1 started, was lost (requeued), attempt 2 started; the older changes arrive late.
      await h.queue.settle([{ kind: "start", taskId: id, attempts: 2, executor: "c1", at: 20 }]);
      await h.queue.settle([{ kind: "start", taskId: id, attempts: 1, executor: "c1", at: 10 }, { kind: "requeue", taskId: id, attempts: 1 }]);
      expect(await h.state(id)).toMatchObject({ status: "RUNNING", attempts: 2, startedAt: 20 });
      // A finish can carry its start: one change for both.
      await h.queue.settle([{ kind: "finish", ...e!, status: "COMPLETED", result: "1", executor: "t", started: { attempts: 3, at: 30 } }]);
      expect(await h.state(id)).toMatchObject({ status: "COMPLETED", attempts: 3, startedAt: 30 });
    });
  });
}
