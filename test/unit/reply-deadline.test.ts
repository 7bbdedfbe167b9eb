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
