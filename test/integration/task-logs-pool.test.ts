// What a task writes, captured per task in its executor (threads and executor processes of the compiled binary), and
// cancelling a running task: its executor is stopped (a process with its children) and the next tasks still run.
import { afterAll, describe, expect, test } from "bun:test";
import type { PoolJob } from "../../src/workers/outcome.ts";
import type { LogBatch, LogLine } from "../../src/workers/task-log.ts";
import { ThreadPool, type ThreadPoolOptions } from "../../src/workers/thread-pool.ts";
import { copyBinary, eventually } from "../support/faas-binary.ts";
import { failure, job, value } from "../support/pool-jobs.ts";

const copy = copyBinary();
afterAll(() => copy.remove());

/** Runs `j` and gathers every batch of lines it streams. */
async function runLogged(pool: ThreadPool, j: PoolJob) {
  const batches: LogBatch[] = [];
  const outcome = await pool.run(j, { logs: (b) => batches.push(b) });
  const lines: LogLine[] = batches.flatMap((b) => b.lines);
  return { outcome, lines, batches, truncated: batches.some((b) => b.truncated), text: lines.map((l) => `${l.stream}:${l.text}`) };
}

const writes = `async () => {
  console.log("one", { a: 1 }, [2]);
  console.error("two");
  process.stdout.write("thr");
  process.stdout.write("ee\\nfour");
  await new Promise((r) => setTimeout(r, 5));
  console.warn("five %d", 5);
  process.stderr.write(new TextEncoder().encode("six\\n"));
  return "done";
}`;

for (const isolation of ["thread", "process"] as const) {
  describe(`task logs and cancel (${isolation} isolation)`, () => {
    const options: ThreadPoolOptions = isolation === "thread" ? {} : { processes: { command: [copy.bin, "executor"], memoryMb: 256 } };
    const pool = new ThreadPool({ threads: 2, taskTimeoutMs: 20_000, ...options });
    afterAll(() => pool.close());

    test("console.log/error/warn/info and process.stdout|stderr.write come in order, with their streams and times", async () => {
      await pool.ready();
      const before = Date.now();
      const r = await runLogged(pool, job(`w-${isolation}`, writes));
      expect(value(r.outcome)).toBe("done");
      expect(r.text).toEqual(["stdout:one { a: 1 } [ 2 ]", "stderr:two", "stdout:three", "stderr:five 5", "stderr:six", "stdout:four"]);
      expect(r.truncated).toBe(false);
      for (const l of r.lines) expect(l.ts).toBeGreaterThanOrEqual(before - 1000);
      // More than one batch: lines stream out while the task runs, not only at its end.
      expect(r.batches.length).toBeGreaterThan(1);
    }, 30_000);

    test("the cap: the first maxLogLines lines are kept and the log says it was truncated; 64 KiB at most", async () => {
      const many = await runLogged(pool, job(`many-${isolation}`, "() => { for (let i = 0; i < 5000; i++) console.log('line', i); return 1 }", "[]", { maxLogLines: 10 }));
      expect(many.text).toEqual(Array.from({ length: 10 }, (_, i) => `stdout:line ${i}`));
      expect(many.truncated).toBe(true);
      const big = await runLogged(pool, job(`big-${isolation}`, "() => { for (let i = 0; i < 100; i++) console.log('x'.repeat(2000)); return 1 }"));
      expect(big.truncated).toBe(true);
      expect(big.lines.reduce((n, l) => n + l.text.length, 0)).toBeLessThanOrEqual(64 * 1024);
      const small = await runLogged(pool, job(`small-${isolation}`, "() => { console.log('only'); return 1 }"));
      expect(small).toMatchObject({ text: ["stdout:only"], truncated: false });
    }, 30_000);

    test("lines written before the executor dies are kept: process.exit, and (processes) a SIGKILL of itself", async () => {
      const exit = await runLogged(pool, job(`exit-${isolation}`, "() => { console.log('before exit'); console.error('last words'); process.exit(4) }"));
      expect(failure(exit.outcome).name).toBe("WorkerExitError");
      expect(exit.text.slice(0, 2)).toEqual(["stdout:before exit", "stderr:last words"]);
      if (isolation === "process") {
        const kill = await runLogged(pool, job("kill", "async () => { console.log('before kill'); await new Promise((r) => setTimeout(r, 300)); process.kill(process.pid, 'SIGKILL') }"));
        expect(failure(kill.outcome).name).toBe("WorkerCrashError");
        expect(kill.text[0]).toBe("stdout:before kill");
      }
    }, 30_000);

    test("one task's lines never appear in another's, running side by side on the pool's threads", async () => {
      const chatty = `async (me) => { for (let i = 0; i < 20; i++) { console.log(me, i); await new Promise((r) => setTimeout(r, 1)); } return me }`;
      const runs = await Promise.all(["a", "b", "c", "d"].map((me) => runLogged(pool, job(`chatty-${isolation}`, chatty, JSON.stringify([me])))));
      runs.forEach((r, k) => {
        const me = "abcd"[k];
        expect(value(r.outcome)).toBe(me);
        expect(r.text).toEqual(Array.from({ length: 20 }, (_, i) => `stdout:${me} ${i}`));
      });
    }, 30_000);

    test("cancel stops a running task within 1 s and replaces its executor; queued and other tasks still complete", async () => {
      const hang = "async () => { console.log('started'); await new Promise(() => {}); }";
      const logs: LogBatch[] = [];
      let startedAt = 0;
      const hung = job(`hang-${isolation}`, hang);
      const running = pool.run(hung, { logs: (b) => logs.push(b), started: () => (startedAt = Date.now()) });
      const neighbour = pool.run(job(`slow-${isolation}`, "async () => { await new Promise((r) => setTimeout(r, 500)); return 'neighbour' }"));
      const queued = Array.from({ length: 4 }, (_, i) => pool.run(job(`q-${isolation}`, "(x) => x * 2", `[${i}]`)));
      await eventually(async () => logs.length > 0, 10_000, "the task wrote its first line");
      const t0 = Date.now();
      expect(startedAt).toBeGreaterThan(0);
      expect(pool.cancel(hung.taskId)).toBe(true);
      const out = await running;
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(failure(out).name).toBe("CancelledError");
      expect(value(await neighbour)).toBe("neighbour");
      expect((await Promise.all(queued)).map((o) => value(o))).toEqual([0, 2, 4, 6]);
      expect(pool.cancel("no-such-task")).toBe(false);
    }, 30_000);

    test("cancel of a queued task: it never runs", async () => {
      const blockers = [1, 2].map(() => pool.run(job(`block-${isolation}`, "async () => { await new Promise((r) => setTimeout(r, 300)); return 'b' }")));
      const waiting = job(`never-${isolation}`, "() => { throw new Error('ran') }");
      const p = pool.run(waiting);
      expect(pool.cancel(waiting.taskId)).toBe(true);
      const out = await p;
      expect(failure(out).name).toBe("CancelledError");
      expect(out.executor).toBe("local/queue"); // a valid label: remote workers send it in their RESULT
      expect((await Promise.all(blockers)).map((o) => value(o))).toEqual(["b", "b"]);
    }, 30_000);

    if (isolation === "process") {
      test("cancel kills the task's process with its children (a spawned sleep 100)", async () => {
        const spawner = `async () => {
          const { spawn } = await import("node:child_process");
          const child = spawn("sleep", ["100"], { stdio: "ignore" });
          console.log("spawned", child.pid);
          await new Promise(() => {});
        }`;
        const j = job("spawner", spawner);
        const logs: LogBatch[] = [];
        const p = pool.run(j, { logs: (b) => logs.push(b) });
        await eventually(async () => logs.length > 0, 10_000, "the child spawned");
        await eventually(async () => sleepers().includes("sleep 100"), 5000, "sleep 100 running");
        const t0 = Date.now();
        expect(pool.cancel(j.taskId)).toBe(true);
        expect(failure(await p).name).toBe("CancelledError");
        expect(Date.now() - t0).toBeLessThan(1000);
        expect(logs[0]!.lines[0]!.text).toMatch(/^spawned \d+$/);
        await eventually(async () => !sleepers().includes("sleep 100"), 3000, "no sleep 100 left");
        expect(value(await pool.run(job("after", "() => 'next'")))).toBe("next");
      }, 30_000);
    }
  });
}

/** Command lines of the live (not zombie) processes on this machine. */
function sleepers(): string[] {
  const out = Bun.spawnSync(["ps", "-eo", "stat=,args="]).stdout.toString();
  return out.split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("Z")).map((l) => l.trim().replace(/^\S+\s+/, ""));
}

describe("cancel of a task posted behind a running one (postAhead)", () => {
  const pool = new ThreadPool({ threads: 1, taskTimeoutMs: 20_000, postAhead: true });
  afterAll(() => pool.close());

  test("the running task is untouched; the cancelled one is stopped as it starts; the next ones run", async () => {
    await pool.ready();
    const first = pool.run(job("ahead-first", "async () => { await new Promise((r) => setTimeout(r, 300)); return 'first' }"));
    const behind = job("ahead-behind", "async () => { console.log('should not finish'); await new Promise(() => {}); }");
    const second = pool.run(behind);
    const third = pool.run(job("ahead-third", "() => 'third'"));
    expect(pool.cancel(behind.taskId)).toBe(true);
    expect(value(await first)).toBe("first");
    expect(failure(await second).name).toBe("CancelledError");
    expect(value(await third)).toBe("third");
  }, 20_000);
});
