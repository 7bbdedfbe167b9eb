import { expect, test } from "bun:test";
import { FaasError } from "../../src/faas-error.ts";
import { withinDeadline } from "../../src/store/reply-deadline.ts";

test("an answer in time passes through, and late is not called", async () => {
  const late: unknown[] = [];
  expect(await withinDeadline(Promise.resolve(7), 50, (v) => late.push(v))).toBe(7);
  await expect(withinDeadline(Promise.reject(new Error("boom")), 50)).rejects.toThrow("boom");
  await Bun.sleep(0);
  expect(late).toEqual([]);
});

test("no answer in time is STORE_UNAVAILABLE (503); the answer that comes later goes to late", async () => {
  const { promise, resolve } = Promise.withResolvers<number>();
  const late: number[] = [];
  const t0 = performance.now();
  const err = await withinDeadline(promise, 30, (v) => late.push(v)).catch((e: unknown) => e);
  expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
  expect(err).toBeInstanceOf(FaasError);
  expect(err).toMatchObject({ code: "STORE_UNAVAILABLE", status: 503 });
  resolve(5);
  await promise;
  await Bun.sleep(0);
  expect(late).toEqual([5]);
});

test("calls sharing a deadline length expire each at its own time, answered ones in between untouched", async () => {
  const slow = Promise.withResolvers<number>();
  const slower = Promise.withResolvers<number>();
  const t0 = performance.now();
  const first = withinDeadline(slow.promise, 40).catch((e: unknown) => e);
  await Bun.sleep(20);
  const answered = withinDeadline(Promise.resolve(1), 40);
  const second = withinDeadline(slower.promise, 40).catch((e: unknown) => e);
  expect(await answered).toBe(1);
  expect(await first).toMatchObject({ code: "STORE_UNAVAILABLE" });
  const t1 = performance.now();
  expect(t1 - t0).toBeGreaterThanOrEqual(35);
  expect(await second).toMatchObject({ code: "STORE_UNAVAILABLE" });
  expect(performance.now() - t0).toBeGreaterThanOrEqual(55); // its own deadline, not the first one's
  const after = withinDeadline(Promise.resolve(2), 40);
  expect(await after).toBe(2);
});
