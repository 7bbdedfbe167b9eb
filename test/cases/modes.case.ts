/** What every dispatch mode (local, pull, push) must do the same way: one suite, run against each mode. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decode, encode } from "../../src/codec/index.ts";
import { Dispatcher } from "../../src/dispatcher/dispatcher.ts";
import type { DispatchMode } from "../../src/dispatcher/dispatch-mode.ts";
import { LocalMode } from "../../src/dispatcher/modes/local-mode.ts";
import { PullMode } from "../../src/dispatcher/modes/pull-mode.ts";
import { PushMode } from "../../src/dispatcher/modes/push-mode.ts";
import { silentLog } from "../../src/log.ts";
import { createRedisStore, type RedisStore } from "../../src/store/redis-store.ts";
import type { TaskRecord } from "../../src/store/types.ts";
import { startPullWorker } from "../../src/workers/pull-worker.ts";
import { startPushWorker } from "../../src/workers/push-worker.ts";
import type { RemoteWorker } from "../../src/workers/remote-worker.ts";
import { taskFailure } from "../../src/workers/task-failure.ts";
import { eventually } from "../support/faas-binary.ts";
import { startRedis, type TestRedis } from "../support/redis-server.ts";

/** The modes the suite runs against. */
export type ModeName = "local" | "pull" | "push";

const THREADS = 2;
const TIMEOUT_MS = 3000;

/** A dispatcher in `mode` with THREADS executor threads (remote: one in-process worker), over `store`. */
class ModeStack {
  dispatcher: Dispatcher | null = null;
  private mode: DispatchMode | null = null;
  private port = 0;
  private worker: RemoteWorker | null = null;

  constructor(
    readonly name: ModeName,
    readonly store: RedisStore,
  ) {}

  async start(): Promise<void> {
    if (this.name === "local") {
      this.mode = new LocalMode({ threads: THREADS, taskTimeoutMs: TIMEOUT_MS, log: silentLog });
    } else {
      const opts = { port: this.port, log: silentLog, heartbeatMs: 250, deadlineGraceMs: 1000, taskTimeoutMs: TIMEOUT_MS };
      const remote = this.name === "pull" ? new PullMode(opts) : new PushMode(opts);
      const { endpoint, port } = await remote.start();
      this.port = port;
      this.mode = remote;
      const start = this.name === "pull" ? startPullWorker : startPushWorker;
      this.worker ??= await start({ endpoint, threads: THREADS, id: `${this.name}-w`, log: silentLog, heartbeatMs: 250, taskTimeoutMs: TIMEOUT_MS });
    }
    this.dispatcher = new Dispatcher({ queue: this.store.queue, mode: this.mode, log: silentLog, blockMs: 500 });
    await this.dispatcher.start();
  }

  async stopDispatcher(graceMs: number): Promise<void> {
    await this.dispatcher?.stop(graceMs);
    this.dispatcher = null;
  }

  async stop(): Promise<void> {
    await this.stopDispatcher(0);
    await this.worker?.stop(1000);
  }
}

/** Register the shared mode cases for `name`. */
export function modeCases(name: ModeName): void {
  describe(`${name} mode (shared cases)`, () => {
    let redis: TestRedis;
    let store: RedisStore;
    let stack: ModeStack;

    beforeAll(async () => {
      redis = await startRedis();
      store = await createRedisStore({ url: redis.url, ttlSeconds: 60 });
      stack = new ModeStack(name, store);
      await stack.start();
    });
    afterAll(async () => {
      await stack.stop();
      await store.close();
      await redis.stop();
    });

    const fn = (code: string) => store.registerFunction({ name: "f", source: code, code });
    const submit = (fid: string, args: unknown[], timeoutMs?: number) => store.createTask({ functionId: fid, args: encode(args), timeoutMs });
    async function final(id: string, ms = 20_000): Promise<TaskRecord> {
      return eventually(async () => {
        const t = await store.waitForTask(id, 1000);
        return t !== null && (t.status === "COMPLETED" || t.status === "FAILED") && t;
      }, ms, `task ${id} final`);
    }
    const statuses = async (ids: string[]) => {
      const m = store.redis.multi();
      for (const id of ids) m.hget(store.keys.task(id), "status");
      return ((await m.exec()) ?? []).map(([, v]) => v as string | null);
    };

    test("values of every kind round-trip, sync and async", async () => {
      const mul = await fn("(a, b) => a * b");
      const later = await fn("async (n) => { await Bun.sleep(1); return n + 1 }");
      const map = await fn("(d) => new Map([['year', d.getUTCFullYear()]])");
      const [a, b, c] = await Promise.all([final(await submit(mul, [6n, 7n])), final(await submit(later, [1])), final(await submit(map, [new Date("2020-05-01T00:00:00Z")]))]);
      expect(decode(a.result!)).toBe(42n);
      expect(decode(b.result!)).toBe(2);
      expect((decode(c.result!) as Map<string, number>).get("year")).toBe(2020);
    });

    test("a function that throws or rejects ends FAILED once, not retried", async () => {
      const thrower = await fn("() => { throw new TypeError('bad input') }");
      const rejecter = await fn("async () => Promise.reject(new Error('later'))");
      for (const id of [await submit(thrower, []), await submit(rejecter, [])]) {
        const t = await final(id);
        expect(t).toMatchObject({ status: "FAILED", attempts: 1 });
      }
      const err = decode((await final(await submit(thrower, []))).result!) as Error;
      expect(err).toMatchObject({ name: "TypeError", message: "bad input" });
    });

    test("an infinite loop times out (per-call override), and the executor is replaced", async () => {
      const spin = await fn("() => { while (true) {} }");
      const t = await final(await submit(spin, [], 300));
      expect(t.status).toBe("FAILED");
      expect(JSON.parse(t.result!).value).toMatchObject({ name: "TimeoutError" });
      const one = await fn("(x) => x + 1");
      expect((await final(await submit(one, [1]))).result).toBe("2");
    });

    test("process.exit in user code fails that task only", async () => {
      const die = await fn("() => process.exit(3)");
      const ok = await fn("(x) => x");
      const dead = await submit(die, []);
      const others = await Promise.all(Array.from({ length: 20 }, (_, i) => submit(ok, [i])));
      const d = await final(dead);
      expect(d.status).toBe("FAILED");
      expect(d.result).toContain("code 3");
      for (const [i, id] of others.entries()) expect(await final(id)).toMatchObject({ status: "COMPLETED", result: String(i) });
    });

    test("300 concurrent tasks all return their own correct result; records say who ran them and when", async () => {
      const f = await fn("(a, b) => a * b + 1");
      const ids = await Promise.all(Array.from({ length: 300 }, (_, i) => submit(f, [i, 3])));
      const done = await Promise.all(ids.map((id) => final(id)));
      done.forEach((t, i) => expect(t).toMatchObject({ status: "COMPLETED", result: String(i * 3 + 1), attempts: 1 }));
      for (const t of done) {
        expect(t.executor).toMatch(/\/thread-\d+$/);
        expect(t.createdAt).toBeLessThanOrEqual(t.startedAt!);
        expect(t.startedAt!).toBeLessThanOrEqual(t.finishedAt!);
      }
    });

    test(`RUNNING means started: with ${THREADS} threads, never more than ${THREADS} tasks RUNNING, the others QUEUED and uncharged`, async () => {
      const nap = await fn("async () => { await Bun.sleep(300); return 1 }");
      const ids = await Promise.all(Array.from({ length: 10 }, () => submit(nap, [])));
      let most = 0;
      for (;;) {
        const s = await statuses(ids);
        most = Math.max(most, s.filter((x) => x === "RUNNING").length);
        if (s.every((x) => x === "COMPLETED")) break;
      }
      expect(most).toBeGreaterThan(0);
      expect(most).toBeLessThanOrEqual(THREADS);
      for (const id of ids) expect((await store.getTask(id))!.attempts).toBe(1);
    });

    test("what a task writes is stored with its outcome, in order with its streams; also when its executor dies", async () => {
      const chatty = await fn("async (me) => { console.log('hello', me); await Bun.sleep(5); console.error('oops', me); process.stdout.write('end\\n'); return me }");
      const ids = await Promise.all(["a", "b", "c"].map((me) => submit(chatty, [me])));
      for (const [k, id] of ids.entries()) {
        const me = "abc"[k];
        expect(await final(id)).toMatchObject({ status: "COMPLETED" });
        const logs = await eventually(async () => {
          const l = await store.getTaskLogs(id);
          return l !== null && l.lines.length === 3 && l;
        }, 5000, `task ${id} logs`);
        expect(logs.lines.map((l) => [l.stream, l.text])).toEqual([["stdout", `hello ${me}`], ["stderr", `oops ${me}`], ["stdout", "end"]]);
        expect(logs.truncated).toBe(false);
        expect(await store.redis.pttl(store.keys.taskLogs(id))).toBeGreaterThan(0);
      }
      const dies = await fn("() => { console.log('last words'); process.exit(3) }");
      const dead = await final(await submit(dies, []));
      expect(dead.status).toBe("FAILED");
      const deadLogs = await store.getTaskLogs(dead.id);
      expect(deadLogs!.lines[0]).toMatchObject({ stream: "stdout", text: "last words" });
      const quiet = await final(await submit(await fn("() => 1"), []));
      expect(await store.getTaskLogs(quiet.id)).toEqual({ lines: [], truncated: false });
    });

    test("cancel of running tasks: CANCELLED at once, their executors stopped within 1 s, the next tasks complete", async () => {
      // Each hang writes a line, lets a turn pass (its line leaves the thread then), and says so in a marker file.
      const dir = mkdtempSync(join(tmpdir(), "faas-cancel-"));
      const hang = await fn(`async (i, dir) => {
        console.log("hanging", i);
        await new Promise((r) => setImmediate(r));
        await new Promise((r) => setImmediate(r));
        process.getBuiltinModule("node:fs").writeFileSync(dir + "/" + i, "");
        await new Promise(() => {});
      }`);
      const ids = await Promise.all(Array.from({ length: THREADS }, (_, i) => submit(hang, [i, dir])));
      // Usually one hang per thread; one may wait behind another on a thread that was busy starting (a remote worker
      // posts a thread's next task ahead), and is cancelled there before it starts.
      await eventually(async () => ids.some((_, i) => existsSync(join(dir, String(i)))), 10_000, "a hang wrote its line");
      const wrote = ids.filter((_, i) => existsSync(join(dir, String(i))));
      rmSync(dir, { recursive: true, force: true });
      const quick = await fn("(x) => x + 1");
      // Queued behind the hangs (remote workers may hold it behind one on a thread): it runs once a thread is free.
      const waiting = await submit(quick, [1]);
      const t0 = Date.now();
      for (const id of ids) expect(await store.cancelTask(id, taskFailure("CancelledError", "cancelled by the test"))).toMatchObject({ cancelled: true });
      expect(await statuses(ids)).toEqual(ids.map(() => "CANCELLED"));
      const next = await Promise.all([waiting, ...(await Promise.all([2, 3, 4].map((x) => submit(quick, [x]))))].map((id) => final(id)));
      // Well before the 3 s timeout would have freed the threads.
      expect(Date.now() - t0).toBeLessThan(1500);
      expect(next.map((t) => t.result)).toEqual(["2", "3", "4", "5"]);
      for (const t of next) expect(t).toMatchObject({ status: "COMPLETED", attempts: 1 });
      // The executors' own outcome (CancelledError) changes nothing: the tasks stay CANCELLED, with the cancel's result.
      for (const id of ids) {
        const t = await store.getTask(id);
        expect(t).toMatchObject({ status: "CANCELLED" });
        expect(JSON.parse(t!.result!).value.message).toBe("cancelled by the test");
      }
      // A hang that wrote its line before the cancel has it stored (the cancel refuses the outcome, not its lines).
      for (const id of wrote) {
        const logs = await eventually(async () => (await store.getTaskLogs(id))?.lines.length === 1 && store.getTaskLogs(id), 3000, "the lines up to the cancel");
        expect(logs!.lines[0]!.text).toMatch(/^hanging \d$/);
      }
    });

    test("graceful stop: nothing is left RUNNING or charged for a start it never had; a new dispatcher finishes the rest", async () => {
      const nap = await fn("async (i) => { await Bun.sleep(400); return i }");
      const ids = await Promise.all(Array.from({ length: 12 }, (_, i) => submit(nap, [i])));
      await eventually(async () => (await statuses(ids)).includes("RUNNING"), 10_000, "a task running");
      await stack.stopDispatcher(5000);
      const after = await Promise.all(ids.map((id) => store.getTask(id)));
      for (const t of after) {
        expect(["COMPLETED", "QUEUED"]).toContain(t!.status);
        if (t!.status === "QUEUED") expect(t!.attempts).toBe(0);
      }
      expect(after.some((t) => t!.status === "QUEUED")).toBe(true);
      await stack.start();
      const done = await Promise.all(ids.map((id) => final(id)));
      done.forEach((t, i) => expect(t).toMatchObject({ status: "COMPLETED", result: String(i), attempts: 1 }));
    });
  });
}
