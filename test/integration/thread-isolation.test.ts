import { describe, expect, test } from "bun:test";
import { ThreadPool } from "../../src/workers/thread-pool.ts";
import { failure, job, poolsClosedAfterEach, value } from "../support/pool-jobs.ts";

// What one task leaves behind must never reach another: tasks the pool runs after a hostile one on the same
// thread get their own outcome, and only the guilty task fails.

const makePool = poolsClosedAfterEach(1);
const double = (n: number) => job("double", "(x) => x * 2", `[${n}]`);
const thrower = (n: number) => job("thrower", "(n) => { throw new RangeError(`no ${n}`) }", `[${n}]`);
/** The thread's id: tells whether two jobs ran on the same thread. */
const threadId = () => job("thread-id", "() => process.getBuiltinModule('node:worker_threads').threadId");


/** 20 ordinary jobs, half of them throwing: each must come back with its own outcome. */
async function expectInnocentsUnharmed(pool: ThreadPool): Promise<void> {
  const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.run(i % 2 === 0 ? double(i) : thrower(i))));
  outcomes.forEach((outcome, i) => {
    if (i % 2 === 0) expect(value(outcome)).toBe(i * 2);
    else expect(failure(outcome).message).toBe(`no ${i}`);
  });
}

describe("a task cannot change what is reported for another", () => {
  test("replacing globalThis.postMessage hijacks nothing", async () => {
    const pool = makePool({ threads: 2 });
    const hijack = job("hijack", `() => {
      const fake = () => {};
      globalThis.postMessage = () => { fake(); };
      self.postMessage = (m) => {};
      setTimeout(() => {}, 0);
      return "hijacker";
    }`);
    expect(value(await pool.run(hijack))).toBe("hijacker");
    await expectInnocentsUnharmed(pool);
  });

  test("replacing the port's and promises' methods hijacks nothing either", async () => {
    const pool = makePool();
    const hijack = job("hijack-deep", `() => {
      const post = MessagePort.prototype.postMessage;
      MessagePort.prototype.postMessage = function (m) { return post.call(this, { ...m, status: "COMPLETED", result: '"HIJACKED"' }) };
      const then = Promise.prototype.then;
      Promise.prototype.then = function (ok, ko) { return then.call(this, (v) => ok?.({ status: "COMPLETED", result: '"HIJACKED"' }), ko) };
      JSON.stringify = () => '"HIJACKED"';
      return 1;
    }`);
    await pool.run(hijack); // its own outcome is its own business
    await expectInnocentsUnharmed(pool);
  });

  test("globals and built-ins a task changed are gone for the next task", async () => {
    const pool = makePool();
    const spoil = job("spoil", `() => {
      globalThis.leaked = "secret"; Array.prototype.map = () => "spoiled"; Math.random = () => 4; Array.prototype.extra = 1;
      Object.defineProperty(Object.prototype, "polluted", { value: 1, configurable: true });
      return 1;
    }`);
    expect(value(await pool.run(spoil))).toBe(1);
    const probe = job("probe", "() => [typeof leaked, [1].map((x) => x + 1), Math.random() < 1, ({}).polluted, [].extra]");
    expect(value(await pool.run(probe))).toEqual(["undefined", [2], true, undefined, undefined]);
  });

  test("built-ins may be reassigned (the thread is then replaced) but not deleted or turned into accessors", async () => {
    const pool = makePool();
    const redefine = job("redefine", "() => Object.defineProperty(globalThis, 'fetch', { get: () => () => 'forged' })");
    expect(failure(await pool.run(redefine)).name).toBe("TypeError");
    expect(value(await pool.run(job("delete", "() => [delete Array.prototype.map, typeof [].map]")))).toEqual([false, "function"]);
    expect(value(await pool.run(job("probe-fetch", "() => typeof fetch === 'function' && fetch.name")))).toBe("fetch");
  });

  test("a clean task keeps its thread (no respawn per task)", async () => {
    const pool = makePool();
    const plain = job("plain", "async (n) => { await new Promise((r) => setTimeout(r, 1)); return JSON.stringify({ n, m: [n].map(String) }) }");
    const first = value(await pool.run(threadId()));
    for (let i = 0; i < 10; i++) await pool.run({ ...plain, taskId: `p-${i}`, args: `[${i}]` });
    expect(value(await pool.run(threadId()))).toBe(first);
    await pool.run(job("dirty", "() => { globalThis.x = 1 }"));
    expect(value(await pool.run(threadId()))).not.toBe(first);
  });
  test("jobs of one function share its realm (a warm instance); the next function gets a clean one", async () => {
    const pool = makePool();
    const counter = (i: number) => ({ ...job("counter", "() => (globalThis.calls = (globalThis.calls ?? 0) + 1)"), taskId: `c-${i}` });
    expect([value(await pool.run(counter(1))), value(await pool.run(counter(2))), value(await pool.run(counter(3)))]).toEqual([1, 2, 3]);
    expect(value(await pool.run(job("other", "() => typeof calls")))).toBe("undefined");
    expect(value(await pool.run(counter(4)))).toBe(1);
  });
});

describe("work a task leaves behind never fails another", () => {
  test("a timer that throws later: the next tasks on that thread complete", async () => {
    const pool = makePool();
    const bomb = job("bomb", "() => { setTimeout(() => { throw new Error('bomb') }, 300); return 1 }");
    expect(value(await pool.run(bomb))).toBe(1);
    const slow = job("slow", "async (v) => { await new Promise((r) => setTimeout(r, 150)); return v }");
    const outcomes = await Promise.all([1, 2, 3, 4].map((v) => pool.run({ ...slow, taskId: `s-${v}`, args: `[${v}]` })));
    expect(outcomes.map(value)).toEqual([1, 2, 3, 4]);
  });

  test("an interval, an immediate and a node:timers timer left running all count", async () => {
    const pool = makePool();
    const leftovers = [
      "() => { setInterval(() => { throw new Error('tick') }, 100); return 1 }",
      "() => { setImmediate(() => setTimeout(() => { throw new Error('late') }, 200)); return 1 }",
      "() => { process.getBuiltinModule('node:timers').setTimeout(() => { throw new Error('node') }, 200); return 1 }",
    ];
    for (const [i, code] of leftovers.entries()) {
      const before = value(await pool.run(threadId()));
      expect(value(await pool.run(job(`left-${i}`, code)))).toBe(1);
      expect(value(await pool.run(threadId()))).not.toBe(before);
    }
    const slow = job("slow", "async (v) => { await new Promise((r) => setTimeout(r, 300)); return v }", "[7]");
    expect(value(await pool.run(slow))).toBe(7);
  });

  test("microtasks left spinning: the guilty task times out, the next one completes", async () => {
    const pool = makePool({ taskTimeoutMs: 400 });
    const spinner = job("spinner", "() => { (async () => { for (;;) await null })(); return 1 }");
    expect(failure(await pool.run(spinner)).name).toBe("TimeoutError");
    expect(value(await pool.run(double(4)))).toBe(8);
  });
});

describe("blame rule: an executor that dies under a task", () => {
  test("a crash left behind by an earlier task: the task running then re-runs on a fresh thread, started once", async () => {
    const pool = makePool();
    // Bun.sleep is not tracked as a timer: its throw comes while the next task runs.
    const sneaky = job("sneaky", "() => { Bun.sleep(100).then(() => { throw new Error('sneaky bomb') }); return 1 }");
    expect(value(await pool.run(sneaky))).toBe(1);
    let starts = 0;
    const victim = job("victim", "async () => { await new Promise((r) => setTimeout(r, 400)); return 'survived' }");
    expect(value(await pool.run(victim, { started: () => starts++ }))).toBe("survived");
    expect(starts).toBe(1);
  });

  test("a task that crashes its thread again on a fresh one is guilty", async () => {
    const pool = makePool();
    await pool.run(double(1)); // the thread is no longer fresh
    let starts = 0;
    const guilty = job("guilty", "() => new Promise(() => setTimeout(() => { throw new Error('mine') }, 5))");
    const err = failure(await pool.run(guilty, { started: () => starts++ }));
    expect(err.name).toBe("WorkerCrashError");
    expect(err.message).toBe("worker thread crashed while running this task: uncaught Error: mine");
    expect(starts).toBe(1);
    expect(value(await pool.run(double(2)))).toBe(4);
  });

  test("a task whose thread was fresh fails at once", async () => {
    const pool = makePool();
    let starts = 0;
    const err = failure(await pool.run(job("exit-5", "() => process.exit(5)"), { started: () => starts++ }));
    expect(err.name).toBe("WorkerExitError");
    expect(starts).toBe(1);
  });
});

describe("result size limit", () => {
  test("a 500 MB string fails in the executor with ResultTooLargeError; the thread goes on", async () => {
    const pool = makePool();
    const err = failure(await pool.run(job("huge", "() => 'x'.repeat(500e6)")));
    expect(err.name).toBe("ResultTooLargeError");
    expect(err.message).toBe("the function's result is at least 500000002 bytes, over the limit of 10485760 bytes (maxResultBytes)");
    expect(value(await pool.run(double(3)))).toBe(6);
  });

  test("the pool's maxResultBytes applies to results and errors, counted in UTF-8 bytes", async () => {
    const pool = makePool({ maxResultBytes: 100 });
    expect(value(await pool.run(job("fits", "() => 'é'.repeat(49)")))).toBe("é".repeat(49)); // 98 + 2 quotes
    const over = failure(await pool.run(job("over", "() => ['é'.repeat(50)]")));
    expect(over.name).toBe("ResultTooLargeError");
    expect(over.message).toBe("the function's result is 104 bytes, over the limit of 100 bytes (maxResultBytes)");
    const bigError = failure(await pool.run(job("big-error", "() => { throw new Error('e'.repeat(200)) }")));
    expect(bigError.name).toBe("ResultTooLargeError");
    expect(bigError.message).toContain("the function's error is");
    expect(() => new ThreadPool({ threads: 1, maxResultBytes: 0 })).toThrow(RangeError);
  });
});
