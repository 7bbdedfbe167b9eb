import { expect, test } from "bun:test";
import { Fifo } from "../../src/workers/fifo.ts";
import { RetryBackoff } from "../../src/workers/retry-backoff.ts";
import { LruCache } from "../../src/workers/lru-cache.ts";
import { WorkBudget } from "../../src/workers/work-budget.ts";

test("Fifo keeps first-in first-out order across interleaved push and shift", () => {
  const fifo = new Fifo<number>();
  const out: number[] = [];
  for (let i = 0; i < 10; i++) {
    fifo.push(i);
    if (i % 3 === 2) out.push(fifo.shift()!);
  }
  expect(fifo.length).toBe(7);
  while (fifo.length > 4) out.push(fifo.shift()!);
  fifo.push(10);
  expect(fifo.drain()).toEqual([6, 7, 8, 9, 10]);
  expect(out).toEqual([0, 1, 2, 3, 4, 5]);
  expect(fifo.length).toBe(0);
  expect(fifo.shift()).toBeUndefined();
});

test("RetryBackoff doubles the delay per consecutive failure and resets on success", async () => {
  const backoff = new RetryBackoff<string>(5, 1000);
  const retried: string[] = [];
  const all = Promise.withResolvers<void>();
  const record = (name: string) => () => {
    retried.push(name);
    if (retried.length === 3) all.resolve();
  };
  expect(backoff.fail("a", record("a1"))).toBe(1); // 5 ms
  expect(backoff.fail("a", record("a2"))).toBe(2); // 10 ms: fires after b1 although scheduled before it
  expect(backoff.fail("b", record("b1"))).toBe(1); // 5 ms
  expect(backoff.failing).toBe(2);
  await all.promise;
  expect(retried).toEqual(["a1", "b1", "a2"]);
  backoff.succeed("a");
  expect(backoff.failing).toBe(1);
  expect(backoff.fail("a", () => {})).toBe(1);
  backoff.cancel();
});

test("RetryBackoff.cancel stops scheduled retries", async () => {
  const backoff = new RetryBackoff<string>(1, 1);
  let ran = false;
  backoff.fail("x", () => (ran = true));
  backoff.cancel();
  // A later timer with a longer delay fires after the (cancelled) 1 ms retry would have.
  await new Promise((resolve) => setTimeout(resolve, 5));
  expect(ran).toBe(false);
});

test("WorkBudget as train lengths: 8 (or the max) before a function's run time is known, then about trainMs of its work, 1 to max", () => {
  const trains = new WorkBudget({ max: 32, budgetMs: 10 });
  expect(trains.jobs("f")).toBe(8);
  expect(new WorkBudget({ max: 4, budgetMs: 10 }).jobs("f")).toBe(4);
  trains.observe(0.1, "f"); // no-op jobs: the longest train
  expect(trains.jobs("f")).toBe(32);
  trains.observe(1, "g"); // 1 ms jobs: 10 ms of work
  expect(trains.jobs("g")).toBe(10);
  trains.observe(50, "h"); // long jobs: one at a time
  expect(trains.jobs("h")).toBe(1);
  expect(trains.jobs("f")).toBe(32); // per function
  // The mean moves a tenth of the way to each new run time.
  trains.observe(11, "g");
  expect(trains.meanMs("g")).toBeCloseTo(2, 9);
  expect(trains.jobs("g")).toBe(5);
  expect(new WorkBudget({ max: 32, budgetMs: 100 }).jobs("x")).toBe(8);
  expect(() => new WorkBudget({ max: 0, budgetMs: 10 })).toThrow(RangeError);
  expect(() => new WorkBudget({ max: 2, budgetMs: 0 })).toThrow(RangeError);
});

test("LruCache.peek reads without refreshing recency; get refreshes", () => {
  const cache = new LruCache<number>(2);
  cache.set("a", 1);
  cache.set("b", 2);
  expect(cache.peek("a")).toBe(1);
  cache.set("c", 3); // "a" is still the least recently used
  expect([cache.has("a"), cache.has("b")]).toEqual([false, true]);
  expect(cache.get("b")).toBe(2);
  cache.set("d", 4); // now "c" is
  expect([cache.has("b"), cache.has("c")]).toEqual([true, false]);
});
