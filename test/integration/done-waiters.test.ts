import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type Redis from "ioredis";
import { connectRedis } from "../../src/store/connect-redis.ts";
import { DoneWaiters, dropOldest, MAX_TRACKED_TASKS } from "../../src/store/done-waiters.ts";
import { eventually } from "../support/faas-binary.ts";
import { startRedis, type TestRedis } from "../support/redis-server.ts";

const CHANNEL = "test:done";
let redis: TestRedis;
let pub: Redis;
const opened: Redis[] = [];

beforeAll(async () => {
  redis = await startRedis();
  pub = connectRedis(redis.url);
});
afterAll(async () => {
  for (const r of opened) r.disconnect();
  pub.disconnect();
  await redis.stop();
});

function fresh(): { waiters: DoneWaiters; sub: Redis } {
  const sub = connectRedis(redis.url, { maxRetriesPerRequest: null, connectionName: `waiters-${opened.length}` });
  opened.push(sub);
  return { waiters: new DoneWaiters(sub, CHANNEL), sub };
}

/** Publish a marker and wait until `waiters` wakes its waiter: every announcement published before it was handled. */
async function drain(waiters: DoneWaiters): Promise<void> {
  const marker = crypto.randomUUID();
  const w = waiters.wait(marker, 20_000);
  await pub.publish(CHANNEL, `${marker}\n[["COMPLETED","0"]]`);
  expect(await w.done).toEqual({ status: "COMPLETED", result: "0" });
}

describe("DoneWaiters: tracking the tasks this process created", () => {
  test("nothing is tracked before the subscription is confirmed", async () => {
    const { waiters } = fresh();
    const early = crypto.randomUUID();
    expect(waiters.track(early)).toBe(false);
    expect(waiters.isUnfinished(early)).toBe(false);
    await waiters.subscribe();
    const id = crypto.randomUUID();
    expect(waiters.track(id)).toBe(true);
    expect(waiters.isUnfinished(id)).toBe(true);
    expect(waiters.isUnfinished(early)).toBe(false);
  });

  test("an announcement forgets its ids even when nobody waits for them (a finish racing the create's reply)", async () => {
    const { waiters } = fresh();
    await waiters.subscribe();
    const [a, b, c] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    for (const id of [a, b, c]) waiters.track(id);
    await pub.publish(CHANNEL, `${a} ${c}`); // ids only: the body does not matter for tracking
    await drain(waiters);
    expect([waiters.isUnfinished(a), waiters.isUnfinished(b), waiters.isUnfinished(c)]).toEqual([false, true, false]);
    waiters.untrack(b);
    expect(waiters.isUnfinished(b)).toBe(false);
  });

  test("a dropped subscription forgets every tracked id; tracking resumes once a new SUBSCRIBE is confirmed", async () => {
    const { waiters, sub } = fresh();
    await waiters.subscribe();
    const id = crypto.randomUUID();
    waiters.track(id);
    const name = (await sub.client("GETNAME")) as string;
    const killed = Number(await pub.call("CLIENT", "KILL", "SKIPME", "yes", ...(await clientIdArgs(name))));
    expect(killed).toBe(1);
    await eventually(async () => !waiters.isUnfinished(id), 10_000, "the drop to be noticed");
    const later = crypto.randomUUID();
    expect(waiters.track(later)).toBe(false);
    await waiters.subscribe();
    expect(waiters.track(later)).toBe(true);
    expect(waiters.isUnfinished(later)).toBe(true);
    expect(waiters.isUnfinished(id)).toBe(false);
    await drain(waiters); // the resubscribed connection delivers again
  });

  test(`past ${MAX_TRACKED_TASKS} tracked ids the oldest sixteenth is forgotten at once, and again each time it fills`, async () => {
    const { waiters } = fresh();
    await waiters.subscribe();
    const sixteenth = MAX_TRACKED_TASKS / 16;
    const ids = Array.from({ length: 3 * MAX_TRACKED_TASKS }, (_, i) => `t-${i}`);
    for (const id of ids.slice(0, MAX_TRACKED_TASKS + 1)) waiters.track(id);
    expect(waiters.isUnfinished(ids[0]!)).toBe(false);
    expect(waiters.isUnfinished(ids[sixteenth - 1]!)).toBe(false);
    expect(waiters.isUnfinished(ids[sixteenth]!)).toBe(true);
    expect(waiters.isUnfinished(ids[MAX_TRACKED_TASKS]!)).toBe(true);
    // Far past it (three times the limit): the newest are all kept, never more than the limit.
    for (const id of ids.slice(MAX_TRACKED_TASKS + 1)) waiters.track(id);
    const kept = ids.filter((id) => waiters.isUnfinished(id));
    expect(kept.length).toBeLessThanOrEqual(MAX_TRACKED_TASKS);
    expect(kept.length).toBeGreaterThan(MAX_TRACKED_TASKS - sixteenth);
    expect(kept.at(-1)).toBe(ids.at(-1));
    expect(kept[0]).toBe(ids[ids.length - kept.length]); // the newest ones, in one run
  });
});

test("dropOldest deletes the oldest sixteenth of the limit (at least one), of a Map as of a Set", () => {
  const map = new Map(Array.from({ length: 64 }, (_, i) => [`k${i}`, i] as const));
  map.delete("k1");
  dropOldest(map, 64);
  expect([...map.keys()].slice(0, 2)).toEqual(["k5", "k6"]); // k0, k2, k3, k4: four live entries
  const set = new Set(["a", "b"]);
  dropOldest(set, 2);
  expect([...set]).toEqual(["b"]);
});

/** `ID n` arguments of CLIENT KILL for the connection named `name`. */
async function clientIdArgs(name: string): Promise<string[]> {
  const list = (await pub.call("CLIENT", "LIST")) as string;
  const line = list.split("\n").find((l) => l.includes(` name=${name} `));
  const id = line && /\bid=(\d+)/.exec(line)?.[1];
  if (!id) throw new Error(`no client named ${name}`);
  return ["ID", id];
}
