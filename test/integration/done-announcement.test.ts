import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type Redis from "ioredis";
import { encodeError } from "../../src/codec/index.ts";
import { connectRedis } from "../../src/store/connect-redis.ts";
import { INLINE_RESULT_MAX_BYTES } from "../../src/store/done-announcement.ts";
import { createRedisStore, type RedisStore } from "../../src/store/redis-store.ts";
import type { TaskState } from "../../src/store/types.ts";
import { eventually } from "../support/faas-binary.ts";
import { startRedis, type TestRedis } from "../support/redis-server.ts";

let redis: TestRedis;
let store: RedisStore;
/** A second store on the same Redis, like another API process: the tasks it creates are unknown to `store`. */
let other: RedisStore;
/** A plain subscriber to the `done` channel: every raw announcement, as text. */
let sub: Redis;
const announcements: string[] = [];

beforeAll(async () => {
  redis = await startRedis();
  store = await createRedisStore({ url: redis.url, ttlSeconds: 60 });
  other = await createRedisStore({ url: redis.url, ttlSeconds: 60 });
  const send = store.redis.sendCommand.bind(store.redis);
  store.redis.sendCommand = ((command: { name?: string }, stream?: never) => {
    if (command?.name === "hmget") storeHmgets++;
    return send(command as never, stream);
  }) as typeof store.redis.sendCommand;
  sub = connectRedis(redis.url);
  sub.on("messageBuffer", (_ch: Buffer, m: Buffer) => announcements.push(m.toString("utf8")));
  await sub.subscribe(store.keys.done);
});
afterAll(async () => {
  sub.disconnect();
  await other.close();
  await store.close();
  await redis.stop();
});

const LOST = encodeError(new Error("task lost: its executor went away \"twice\"\n✗"));

/**
 * How many HMGETs the store sent (the API's reads of a task's status and result). Counted as sent on the store's
 * connection, not in Redis's commandstats: the state-changing scripts run HMGETs of their own there. The finishes
 * a test sends go over the same connection, so a read sent before them has run before them.
 */
let storeHmgets = 0;
async function hmgetCalls(): Promise<number> {
  return storeHmgets;
}

/** Wait until the store has sent exactly `n` HMGETs (the waiters' first reads are on their way). */
async function hmgetCallsReach(n: number): Promise<void> {
  await eventually(async () => (await hmgetCalls()) === n, 10_000, `${n} HMGET calls`);
}

/** The raw announcement whose header is exactly `ids`. */
function announcementOf(ids: string[]): Promise<string> {
  const header = `${ids.join(" ")}\n`;
  return eventually(async () => announcements.find((a) => a.startsWith(header)), 10_000, `the announcement of ${ids.length} ids`);
}

/** The JSON after the header of a raw announcement, parsed. */
function bodyOf(message: string): unknown {
  return JSON.parse(message.slice(message.indexOf("\n") + 1));
}

/** A QUEUED task created by another process: `store` reads it before waiting. */
async function queuedTask(): Promise<string> {
  const fn = await other.registerFunction({ name: "f", source: "() => 1", code: "() => 1" });
  return other.createTask({ functionId: fn, args: "[]" });
}

/** A QUEUED task created by `store` itself (tracked once its subscription is live). */
async function ownTask(): Promise<string> {
  const fn = await store.registerFunction({ name: "f", source: "() => 1", code: "() => 1" });
  return store.createTask({ functionId: fn, args: "[]" });
}

function finish(taskId: string, state: TaskState & { status: "COMPLETED" | "FAILED" }) {
  return { streamId: "", taskId, status: state.status, result: state.result ?? "", executor: "t" };
}

const euro = "€"; // three bytes of UTF-8: the inline limit counts bytes, not characters
const TRICKY: (TaskState & { status: "COMPLETED" | "FAILED" })[] = [
  { status: "COMPLETED", result: '"a b  c"' },
  { status: "COMPLETED", result: "raw text, not JSON: with\nnewlines\r\n\tand a fake header 1 2 3\n[false] \u0000\u001f" },
  { status: "COMPLETED", result: JSON.stringify("say \"hi\" \\ 'quoted' / slash") },
  { status: "COMPLETED", result: JSON.stringify("héllo wörld ✓ 日本語 🚀 \u2028\u2029") },
  { status: "FAILED", result: encodeError(new RangeError("bad \"input\"\nline 2 ✗")) },
  { status: "COMPLETED", result: "" },
  { status: "COMPLETED", result: `${euro.repeat(341)}a` }, // 1024 bytes: inline, at the limit
  { status: "FAILED", result: euro.repeat(342) }, // 1026 bytes but 342 characters: by id only
  { status: "COMPLETED", result: JSON.stringify(`${"x y\n".repeat(25_000)}🚀`) }, // 100 KiB: by id only
];
const inline = (s: TaskState) => Buffer.byteLength(s.result ?? "") <= INLINE_RESULT_MAX_BYTES;

describe("done announcements", () => {
  test("the test data straddles the inline limit", () => {
    expect(TRICKY.filter(inline).length).toBe(7);
    expect(Buffer.byteLength(TRICKY[6]!.result!)).toBe(INLINE_RESULT_MAX_BYTES);
  });

  test("an inline announcement wakes a waiter with the final state and no second read", async () => {
    const id = await queuedTask();
    const s0 = await hmgetCalls();
    const waiting = store.waitForTaskState(id, 20_000);
    await hmgetCallsReach(s0 + 1);
    expect(await store.queue.finishTasks([finish(id, { status: "COMPLETED", result: '"ok"' })])).toBe(1);
    expect(await waiting).toEqual({ status: "COMPLETED", result: '"ok"' });
    expect(await hmgetCalls()).toBe(s0 + 1);
    expect(await announcementOf([id])).toBe(`${id}\n[["COMPLETED","\\"ok\\""]]`);
  });

  test("one batch: any result text round-trips, COMPLETED and FAILED; only results over the limit are read again", async () => {
    // The first task is finished in the same batch but waited for by nobody: states must stay aligned with ids.
    const ids = await Promise.all([queuedTask(), ...TRICKY.map(() => queuedTask())]);
    const waited = ids.slice(1);
    const s0 = await hmgetCalls();
    const waiting = Promise.all(waited.map((id) => store.waitForTaskState(id, 20_000)));
    await hmgetCallsReach(s0 + waited.length);
    const batch = [finish(ids[0]!, { status: "COMPLETED", result: '"unwaited"' }), ...waited.map((id, i) => finish(id, TRICKY[i]!))];
    expect(await store.queue.finishTasks(batch)).toBe(ids.length);
    expect(await waiting).toEqual(TRICKY);
    expect(await hmgetCalls()).toBe(s0 + waited.length + TRICKY.filter((s) => !inline(s)).length);
    // The message: ids, a newline, then one JSON item per id — [status, result] inline, false over the limit.
    const items = TRICKY.map((s) => (inline(s) ? [s.status, s.result] : false));
    expect(bodyOf(await announcementOf(ids))).toEqual([["COMPLETED", '"unwaited"'], ...items]);
  });

  test("a task failed for running out of attempts is announced with its error inline", async () => {
    const id = await queuedTask();
    const reader = store.queue.reader();
    const opts = { maxAttempts: 1, lostError: LOST };
    const [first] = (await reader.read("c1", 100, 100)).filter((e) => e.taskId === id);
    expect(await store.queue.loadTasks([first!], opts)).toHaveLength(1);
    await store.queue.settle([{ kind: "start", taskId: id, attempts: 1, executor: "c1", at: Date.now() }, { kind: "handback", entry: first! }]);
    const [again] = (await reader.read("c1", 100, 100)).filter((e) => e.taskId === id);
    const s0 = await hmgetCalls();
    const waiting = store.waitForTaskState(id, 20_000);
    await hmgetCallsReach(s0 + 1);
    expect(await store.queue.loadTasks([again!], opts)).toHaveLength(0);
    expect(await waiting).toEqual({ status: "FAILED", result: LOST });
    // The waiter read once only.
    expect(await hmgetCalls()).toBe(s0 + 1);
    expect(bodyOf(await announcementOf([id]))).toEqual([["FAILED", LOST]]);
  });

  test("an announcement without states (ids only, or a malformed body) makes the waiter read the task", async () => {
    for (const body of ["", "\nnot json", "\n[false]", '\n[["RUNNING","x"]]']) {
      const id = await queuedTask();
      const s0 = await hmgetCalls();
      const waiting = store.waitForTaskState(id, 20_000);
      await hmgetCallsReach(s0 + 1);
      await store.redis.hset(store.keys.task(id), "status", "COMPLETED", "result", '"read"');
      await store.redis.publish(store.keys.done, `${id}${body}`);
      expect(await waiting).toEqual({ status: "COMPLETED", result: '"read"' });
      expect(await hmgetCalls()).toBe(s0 + 2);
    }
  });

  test("a waiter is not woken by announcements of other tasks, and times out with the current state", async () => {
    const [id, other, third] = await Promise.all([queuedTask(), queuedTask(), queuedTask()]);
    let settled = false;
    const s0 = await hmgetCalls();
    const waiting = store.waitForTaskState(id!, 4_000).finally(() => (settled = true));
    const waitingThird = store.waitForTaskState(third!, 20_000);
    await hmgetCallsReach(s0 + 2);
    await store.queue.finishTasks([finish(other!, { status: "COMPLETED", result: "1" })]);
    await store.queue.finishTasks([finish(third!, { status: "COMPLETED", result: "3" })]);
    // Announcements arrive in order on the store's one subscriber: once `third` is woken, `other` was seen.
    expect(await waitingThird).toEqual({ status: "COMPLETED", result: "3" });
    expect(settled).toBe(false);
    expect(await waiting).toEqual({ status: "QUEUED", result: null });
    expect(await hmgetCalls()).toBe(s0 + 3);
  });

  test("status and state reads: one field, two fields, null for unknown tasks", async () => {
    const id = await queuedTask();
    expect(await store.getTaskStatus(id)).toBe("QUEUED");
    expect(await store.getTaskState(id)).toEqual({ status: "QUEUED", result: null });
    await store.queue.finishTasks([finish(id, TRICKY[3]!)]);
    expect(await store.getTaskStatus(id)).toBe("COMPLETED");
    expect(await store.getTaskState(id)).toEqual(TRICKY[3]!);
    expect(await store.waitForTaskState(id, 5_000)).toEqual(TRICKY[3]!);
    const unknown = crypto.randomUUID();
    expect(await store.getTaskStatus(unknown)).toBeNull();
    expect(await store.getTaskState(unknown)).toBeNull();
    expect(await store.waitForTaskState(unknown, 10)).toBeNull();
  });

  describe("tasks this store created", () => {
    beforeAll(async () => {
      // Any long-poll subscribes the store; tasks it creates from then on are tracked.
      expect(await store.waitForTaskState(crypto.randomUUID(), 10)).toBeNull();
    });

    test("a long-poll on one waits without reading it first, and is woken with the announced state", async () => {
      const id = await ownTask();
      const s0 = await hmgetCalls();
      const waiting = store.waitForTaskState(id, 20_000);
      expect(await store.queue.finishTasks([finish(id, { status: "COMPLETED", result: '"own"' })])).toBe(1);
      expect(await waiting).toEqual({ status: "COMPLETED", result: '"own"' });
      expect(await hmgetCalls()).toBe(s0);
    });

    test("one finished before its long-poll started is answered from a read, not left waiting", async () => {
      const [id, marker] = [await ownTask(), await ownTask()];
      expect(await store.queue.finishTasks([finish(id, { status: "COMPLETED", result: '"early"' })])).toBe(1);
      // Announcements arrive in order: once the marker's waiter wakes, the store has seen `id` finish.
      const markerDone = store.waitForTaskState(marker, 20_000);
      await store.queue.finishTasks([finish(marker, { status: "COMPLETED", result: "0" })]);
      await markerDone;
      const s0 = await hmgetCalls();
      // Far longer than the test's own timeout: a store still believing `id` unfinished would fail the test.
      expect(await store.waitForTaskState(id, 3_600_000)).toEqual({ status: "COMPLETED", result: '"early"' });
      expect(await hmgetCalls()).toBe(s0 + 1);
    });

    test("after the subscription drops, a task whose announcement was lost is read, not waited for", async () => {
      const id = await ownTask();
      const before = Number(await store.redis.call("CLIENT", "KILL", "TYPE", "pubsub", "SKIPME", "yes"));
      expect(before).toBeGreaterThanOrEqual(1);
      // Finish while the store's subscriber may be away: the announcement can be lost.
      expect(await store.queue.finishTasks([finish(id, { status: "FAILED", result: '"lost?"' })])).toBe(1);
      // Both subscribers (the store's and the test's) come back once the drop has been handled.
      await eventually(async () => {
        const [, n] = (await store.redis.call("PUBSUB", "NUMSUB", store.keys.done)) as [string, number];
        return n >= 2;
      }, 10_000, "the subscribers to reconnect");
      expect(await store.waitForTaskState(id, 3_600_000)).toEqual({ status: "FAILED", result: '"lost?"' });
    });
  });
});
