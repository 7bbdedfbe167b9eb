// RemoteTasks deadlines on a set clock: a started task has its timeout + grace; an unstarted one lives while its worker progresses.
import { afterEach, expect, test } from "bun:test";
import { setSystemTime } from "bun:test";
import type { DispatchJob } from "../../src/dispatcher/dispatch-mode.ts";
import { RemoteTasks, type Assignment } from "../../src/dispatcher/modes/remote-tasks.ts";

const T0 = new Date("2026-01-01T00:00:00Z").getTime();
const at = (ms: number) => setSystemTime(new Date(T0 + ms));
afterEach(() => setSystemTime());

function job(taskId: string): DispatchJob {
  return { streamId: "0-1", taskId, functionId: "f", code: "() => 0", args: "[]", timeoutMs: null, attempts: 1 };
}

/** A RemoteTasks whose sweep runs only when the test calls it (its own timer would fire after a day). */
function tasks() {
  const expired: string[] = [];
  const rt = new RemoteTasks({ graceMs: 100, sweepMs: 86_400_000, expired: (a) => expired.push(a.job.taskId) });
  const sweep = () => (rt as unknown as { sweep(): void }).sweep();
  const add = (id: string, worker: string, timeoutMs: number): Assignment => rt.add(job(id), { started() {} }, worker, worker, timeoutMs, () => {});
  return { rt, expired, sweep, add };
}

test("a started task expires at its timeout + grace from its start", () => {
  const { rt, expired, sweep, add } = tasks();
  at(0);
  const a = add("a", "w", 300);
  at(50);
  rt.start(a);
  at(449);
  sweep();
  expect(expired).toEqual([]);
  at(450);
  sweep();
  expect(expired).toEqual(["a"]);
  expect(rt.size).toBe(0);
});

test("an unstarted task lives while its worker reports starts or results; it expires after the longest timeout + grace of silence", () => {
  const { rt, expired, sweep, add } = tasks();
  at(0);
  const running = add("running", "w", 300);
  rt.start(running);
  const held = [add("h1", "w", 300), add("h2", "w", 300), add("h3", "w", 300)];
  // Each held task starts when the one before ends: far more than one timeout after it was sent, and it is kept.
  let prev = running;
  for (const [i, h] of held.entries()) {
    at(250 * (i + 1));
    rt.start(prev); // the result path reports progress, then settles
    rt.settle(prev, { status: "COMPLETED", result: "0", executor: "w/thread-1" });
    rt.start(h);
    sweep();
    expect(expired).toEqual([]);
    prev = h;
  }
  // A fresh held task behind h3, and then silence: expired 300 + 100 ms after the last progress (750), not before.
  const late = add("late", "w", 300);
  at(1149);
  sweep();
  expect(expired).toEqual([]);
  at(1150);
  sweep();
  expect(expired.sort()).toEqual(["h3", "late"]);
});

test("the longest timeout among a worker's tasks counts; another worker's progress does not", () => {
  const { rt, expired, sweep, add } = tasks();
  at(0);
  const long = add("long", "w", 2000);
  rt.start(long);
  add("short", "w", 100);
  const other = add("other", "v", 100);
  rt.start(other);
  at(300);
  sweep();
  expect(expired).toEqual(["other"]); // started at 0: 100 ms + grace; "short" waits behind a task that may run 2 s
  at(2099);
  sweep();
  expect(expired).toEqual(["other"]);
  at(2100);
  sweep();
  expect(expired.sort()).toEqual(["long", "other", "short"]);
});
