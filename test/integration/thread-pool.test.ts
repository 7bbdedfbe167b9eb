import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openPrivatePort } from "../../src/workers/executor-handle.ts";
import type { PoolJob } from "../../src/workers/outcome.ts";
import { PoolClosedError } from "../../src/workers/pool-closed-error.ts";
import { threadEntryUrl } from "../../src/workers/thread-entry-url.ts";
import type { ThreadMessage } from "../../src/workers/thread-messages.ts";
import { ThreadPool } from "../../src/workers/thread-pool.ts";
import { failure, job, poolsClosedAfterEach, value } from "../support/pool-jobs.ts";

const makePool = poolsClosedAfterEach(2);
let nextTask = 0;

const DOUBLE = job("double", "(x) => x * 2");
const double = (n: number): PoolJob => ({ ...DOUBLE, taskId: `task-${++nextTask}`, args: `[${n}]` });


/** Poll `condition` until it holds or `ms` pass. */
async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(5);
  }
}

/** A bare pool thread: `body` gets its private port once it reported ready there, and every message it posts (`ready` first). */
async function withThread(body: (port: MessagePort, inbox: ThreadMessage[]) => Promise<void>): Promise<void> {
  const worker = new Worker(threadEntryUrl());
  const inbox: ThreadMessage[] = [];
  const closed = new Promise<void>((resolve) => worker.addEventListener("close", () => resolve()));
  const port = openPrivatePort(worker, (data) => void inbox.push(data as ThreadMessage));
  try {
    await until(() => inbox.length === 1);
    expect(inbox[0]).toEqual({ kind: "ready" });
    await body(port, inbox);
  } finally {
    port.close();
    worker.terminate();
    await closed;
  }
}

describe("ThreadPool", () => {
  test("500 concurrent jobs on 2 threads all get their own result", async () => {
    const pool = makePool();
    const square = job("square", "async (x) => { await null; return { x, sq: x * x } }");
    const outcomes = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        i % 2 === 0 ? pool.run(double(i)) : pool.run({ ...square, taskId: `sq-${i}`, args: `[${i}]` }),
      ),
    );
    outcomes.forEach((outcome, i) => {
      expect(value(outcome)).toEqual(i % 2 === 0 ? i * 2 : { x: i, sq: i * i });
    });
    expect(pool.pending).toBe(0);
    expect(pool.idle).toBe(2);
  });

  test("ready() waits for every thread; jobs then spread over all of them", async () => {
    const pool = makePool({ threads: 2, name: "pair" });
    await pool.ready();
    const sleepy = job("sleepy", "async (v) => { await new Promise((r) => setTimeout(r, 30)); return v }");
    const outcomes = await Promise.all([1, 2].map((v) => pool.run({ ...sleepy, args: `[${v}]` })));
    expect(outcomes.map(value)).toEqual([1, 2]);
    expect(outcomes.map((o) => o.executor).sort()).toEqual(["pair/thread-1", "pair/thread-2"]);
  });

  test("one thread runs queued jobs in FIFO order; idle and pending reflect the queue", async () => {
    const pool = makePool({ threads: 1, name: "solo" });
    // (A global counter no longer carries over: a job that changes globals gets its thread replaced.)
    const counter = job("counter", "async (n) => { await new Promise((r) => setTimeout(r, 20)); return n }");
    const order: number[] = [];
    const runs = [1, 2, 3, 4].map((n) => pool.run({ ...counter, taskId: `c-${++nextTask}`, args: `[${n}]` }, { started: () => order.push(n) }));
    expect(pool.size).toBe(1);
    await until(() => pool.idle === 0);
    expect(pool.pending).toBe(3);
    const outcomes = await Promise.all(runs);
    expect(outcomes.map(value)).toEqual([1, 2, 3, 4]);
    expect(order).toEqual([1, 2, 3, 4]);
    expect(outcomes.every((o) => o.executor === "solo/thread-1")).toBe(true);
    expect(pool.pending).toBe(0);
    expect(pool.idle).toBe(1);
  });

  test("user failures come back as FAILED outcomes", async () => {
    const pool = makePool();
    const err = failure(await pool.run(job("thrower", "function thrower() { throw new RangeError('nope') }")));
    expect(err.name).toBe("RangeError");
    expect(err.stack).toContain("thrower");
    expect(err.stack).not.toContain("thread-entry");
    expect(err.stack).not.toContain("execute.ts");
    expect(failure(await pool.run(job("bad-args", "(x) => x", "[1,"))).name).toBe("CodecError");
  });

  test("an endless loop times out, its thread is replaced, and the pool keeps serving", async () => {
    const pool = makePool({ threads: 1, taskTimeoutMs: 300 });
    const spin = job("spin", "() => { while (true) {} }");
    const started = Date.now();
    const timedOut = failure(await pool.run(spin));
    expect(timedOut.name).toBe("TimeoutError");
    expect(timedOut.message).toBe("task exceeded its 300 ms timeout");
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    // The per-job timeout overrides the pool default.
    expect(failure(await pool.run({ ...spin, taskId: "spin-2", timeoutMs: 150 })).message).toBe("task exceeded its 150 ms timeout");
    expect(value(await pool.run(double(4)))).toBe(8);
    // A fast job is not hit by a timer of an earlier job.
    expect(value(await pool.run(job("quick", "() => 'quick'", "[]", { timeoutMs: 1000 })))).toBe("quick");
  });

  test("process.exit in user code fails that job clearly; the pool keeps working", async () => {
    const pool = makePool();
    const err = failure(await pool.run(job("exit", "() => process.exit(3)")));
    expect(err.name).toBe("WorkerExitError");
    expect(err.message).toBe("worker thread exited with code 3 while running this task");
    const outcomes = await Promise.all([1, 2, 3, 4].map((n) => pool.run(double(n))));
    expect(outcomes.map(value)).toEqual([2, 4, 6, 8]);
    await until(() => pool.idle === 2);
  });

  test("an uncaught async throw or unhandled rejection crashes only that job", async () => {
    const pool = makePool();
    const late = failure(await pool.run(job("late", "() => new Promise(() => setTimeout(() => { throw new Error('late boom') }, 5))")));
    expect(late.name).toBe("WorkerCrashError");
    expect(late.message).toBe("worker thread crashed while running this task: uncaught Error: late boom");
    const floating = failure(await pool.run(job("floating", "async () => { Promise.reject(new Error('floating')); await new Promise((r) => setTimeout(r, 1000)) }")));
    expect(floating.message).toContain("uncaught Error: floating");
    expect(value(await pool.run(double(5)))).toBe(10);
  });

  test("a thread dying does not disturb jobs running or queued elsewhere", async () => {
    const pool = makePool();
    const slow = job("slow", "async (v) => { await new Promise((r) => setTimeout(r, 150)); return v }");
    const running = pool.run({ ...slow, args: '["survivor"]' });
    const dying = pool.run(job("exit-7", "async () => { await null; process.exit(7) }"));
    const queued = Array.from({ length: 20 }, (_, i) => pool.run(double(i)));
    expect(failure(await dying).message).toContain("code 7");
    expect(value(await running)).toBe("survivor");
    expect((await Promise.all(queued)).map(value)).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
  });

  test("a thread that cannot start fails jobs with a clear error instead of hanging", async () => {
    const pool = makePool({ threads: 1, entry: join(tmpdir(), "no-such-thread-entry.ts") });
    const ready = pool.ready();
    const err = failure(await pool.run(double(1)));
    expect(err.name).toBe("ThreadStartError");
    expect(err.message).toContain("no worker thread could start");
    await expect(ready).rejects.toThrow("could not start");
  });

  test("close() rejects running and queued jobs and later runs with PoolClosedError", async () => {
    const pool = makePool({ threads: 1 });
    const running = pool.run(job("forever", "() => new Promise(() => {})"));
    const queued = pool.run(double(1));
    const settled = Promise.allSettled([running, queued]);
    await until(() => pool.idle === 0);
    await pool.close();
    const [first, second] = await settled;
    expect(first.status === "rejected" && first.reason).toBeInstanceOf(PoolClosedError);
    expect(second.status === "rejected" && second.reason).toBeInstanceOf(PoolClosedError);
    await expect(pool.run(double(2))).rejects.toBeInstanceOf(PoolClosedError);
    expect(pool.idle).toBe(0);
    await pool.close();
  });

  test("stray messages posted by user code are ignored", async () => {
    const pool = makePool({ threads: 1 });
    const noisy = job("noisy", `(v) => {
      postMessage("junk"); postMessage(null); postMessage({ kind: "done", seq: -1, status: "COMPLETED", result: "1" });
      postMessage({ kind: "ready" }); postMessage({ kind: "need-code", seq: -1 });
      return v;
    }`);
    const outcomes = await Promise.all([1, 2, 3].map((v) => pool.run({ ...noisy, args: `[${v}]` })));
    expect(outcomes.map(value)).toEqual([1, 2, 3]);
    expect(value(await pool.run(double(3)))).toBe(6);
  });

  test("a thread asks for code it lacks, then runs the function from its cache", async () => {
    await withThread(async (port, inbox) => {
      port.postMessage({ seq: 1, functionId: "inc", args: "[1]" });
      await until(() => inbox.length === 2);
      expect(inbox[1]).toEqual({ kind: "need-code", seq: 1 });
      port.postMessage({ seq: 1, functionId: "inc", args: "[1]", code: "(x) => x + 1" });
      port.postMessage({ seq: 2, functionId: "inc", args: "[41]" });
      await until(() => inbox.length === 4);
      expect(inbox.slice(2)).toEqual([
        { kind: "done", seq: 1, status: "COMPLETED", result: "2" },
        { kind: "done", seq: 2, status: "COMPLETED", result: "42" },
      ]);
    });
  });

  test("a thread waiting for code starts nothing posted after that job until the code comes", async () => {
    await withThread(async (port, inbox) => {
      port.postMessage({ seq: 1, functionId: "first", args: "[]" });
      port.postMessage({ seq: 2, functionId: "second", args: "[]", code: "() => 'second'" });
      await until(() => inbox.length === 2);
      expect(inbox[1]).toEqual({ kind: "need-code", seq: 1 });
      // Job 2 is posted and has its code, yet it waits: a round trip through the thread proves nothing ran.
      port.postMessage({ seq: 3, functionId: "second", args: "[]" });
      port.postMessage({ seq: 1, functionId: "first", args: "[]", code: "() => 'first'" });
      await until(() => inbox.length === 5);
      expect(inbox.slice(2)).toEqual([
        { kind: "done", seq: 1, status: "COMPLETED", result: '"first"' },
        { kind: "done", seq: 2, status: "COMPLETED", result: '"second"' },
        { kind: "done", seq: 3, status: "COMPLETED", result: '"second"' },
      ]);
    });
  });

  test("rejects nonsense options", () => {
    expect(() => new ThreadPool({ threads: 0 })).toThrow(RangeError);
    expect(() => new ThreadPool({ threads: 1.5 })).toThrow(RangeError);
    expect(() => new ThreadPool({ threads: 1, taskTimeoutMs: -1 })).toThrow(RangeError);
  });

  test("after close() nothing keeps the process alive", async () => {
    const dir = mkdtempSync(join(tmpdir(), "faas-pool-"));
    try {
      const script = join(dir, "close-exits.ts");
      const poolModule = new URL("../../src/workers/thread-pool.ts", import.meta.url).pathname;
      writeFileSync(script, [
        `import { ThreadPool } from ${JSON.stringify(poolModule)};`,
        `const pool = new ThreadPool({ threads: 2, taskTimeoutMs: 200 });`,
        `const a = await pool.run({ taskId: "a", functionId: "f", code: "(x) => x + 1", args: "[1]" });`,
        `const b = await pool.run({ taskId: "b", functionId: "spin", code: "() => { while (true) {} }", args: "[]" });`,
        `pool.run({ taskId: "c", functionId: "hang", code: "() => new Promise(() => {})", args: "[]" }).catch(() => {});`,
        `await pool.close();`,
        `console.log(a.result, b.status);`,
      ].join("\n"));
      const proc = Bun.spawn([process.execPath, script], { stdout: "pipe", stderr: "pipe" });
      const deadline = setTimeout(() => proc.kill("SIGKILL"), 15_000);
      const [code, stdout] = await Promise.all([proc.exited, new Response(proc.stdout).text()]);
      clearTimeout(deadline);
      expect(stdout.trim()).toBe("2 FAILED");
      expect(code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("ThreadPool with postAhead (a thread's next job posted while it runs one)", () => {
  const counter = job("counter", "async (n) => { await new Promise((r) => setTimeout(r, 20)); return n }");

  test("the next job goes to the busy thread at once and runs right after, in order", async () => {
    const pool = makePool({ threads: 1, name: "ahead", postAhead: true });
    const order: number[] = [];
    const runs = [1, 2, 3, 4].map((n) => pool.run({ ...counter, taskId: `c-${++nextTask}`, args: `[${n}]` }, { started: () => order.push(n) }));
    await until(() => pool.idle === 0);
    expect(pool.pending).toBe(2); // one running, one posted ahead, two in the pool's queue
    expect((await Promise.all(runs)).map(value)).toEqual([1, 2, 3, 4]);
    expect(order).toEqual([1, 2, 3, 4]);
    expect(pool.pending).toBe(0);
  });

  test("a job posted ahead gets its own timeout from when it starts, not from when it was posted", async () => {
    const pool = makePool({ threads: 1, postAhead: true });
    const sleep = job("sleep", "async (ms) => { await new Promise((r) => setTimeout(r, ms)); return ms }");
    const first = pool.run({ ...sleep, taskId: "s-1", args: "[300]" });
    const second = pool.run({ ...sleep, taskId: "s-2", args: "[100]", timeoutMs: 250 });
    expect([value(await first), value(await second)]).toEqual([300, 100]);
  });

  test("a job posted behind one that times out runs on the replacement thread", async () => {
    const pool = makePool({ threads: 1, taskTimeoutMs: 300, postAhead: true });
    const spin = pool.run(job("spin", "() => { while (true) {} }"));
    const behind = pool.run(double(21));
    expect(failure(await spin).name).toBe("TimeoutError");
    expect(value(await behind)).toBe(42);
  });

  test("a job posted behind one whose thread exits runs on the replacement thread", async () => {
    const pool = makePool({ threads: 1, postAhead: true });
    const exit = pool.run(job("exit", "() => process.exit(3)"));
    const behind = [pool.run(double(1)), pool.run(double(2))];
    expect(failure(await exit).name).toBe("WorkerExitError");
    expect((await Promise.all(behind)).map(value)).toEqual([2, 4]);
  });

  test("a job posted ahead that kills its thread fails alone; the job before it keeps its result", async () => {
    const pool = makePool({ threads: 1, postAhead: true });
    const outcomes = await Promise.all([pool.run(double(5)), pool.run(job("exit-9", "() => process.exit(9)")), pool.run(double(6))]);
    expect(value(outcomes[0]!)).toBe(10);
    expect(failure(outcomes[1]!).message).toBe("worker thread exited with code 9 while running this task");
    expect(value(outcomes[2]!)).toBe(12);
  });

  test("close() rejects the running job and the one posted ahead", async () => {
    const pool = makePool({ threads: 1, postAhead: true });
    const settled = Promise.allSettled([pool.run(job("forever", "() => new Promise(() => {})")), pool.run(double(1))]);
    await until(() => pool.idle === 0);
    expect(pool.pending).toBe(0);
    await pool.close();
    for (const r of await settled) expect(r.status === "rejected" && r.reason).toBeInstanceOf(PoolClosedError);
  });
});
