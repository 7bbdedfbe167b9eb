// ThreadPool with process isolation: executor processes of the compiled binary (copied away, as CI's clone may sit in a
// directory `nobody` cannot read, where source files could not be loaded), sandboxed as root.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PoolJob } from "../../src/workers/outcome.ts";
import { ThreadPool } from "../../src/workers/thread-pool.ts";
import { copyBinary, eventually } from "../support/faas-binary.ts";

const copy = copyBinary();
afterAll(() => copy.remove());
const command = [copy.bin, "executor"];
let n = 0;
const job = (code: string, args = "[]", extra: Partial<PoolJob> = {}): PoolJob => ({ taskId: `t${++n}`, functionId: code, code, args, ...extra });
const errorOf = (result: string) => JSON.parse(result).value as { name: string; message: string };

describe("process isolation (sandboxed: root here)", () => {
  let pool: ThreadPool;
  beforeAll(async () => {
    pool = new ThreadPool({ threads: 2, taskTimeoutMs: 5000, processes: { command, memoryMb: 256 } });
    await pool.ready();
  }, 20_000);
  afterAll(() => pool.close());

  test("runs jobs in processes of their own, as nobody, PID 2 of a namespace, with a scrubbed environment", async () => {
    const out = await pool.run(job("() => ({ pid: process.pid, ppid: process.ppid, uid: process.getuid(), env: process.env, cwd: process.cwd() })"));
    expect(out.status).toBe("COMPLETED");
    const seen = JSON.parse(out.result);
    expect(seen).toMatchObject({ pid: 2, ppid: 1, uid: 65534, cwd: "/" });
    const allowed = ["HOME", "LANG", "NODE_CHANNEL_FD", "NODE_CHANNEL_SERIALIZATION_MODE", "PATH", "PWD"];
    expect(Object.keys(seen.env).filter((k) => !allowed.includes(k))).toEqual([]);
    expect(seen.env).toMatchObject({ HOME: "/tmp", PATH: expect.any(String) });
    expect(pool.isolation).toBe("process");
  });

  test("an executor that kills itself, aborts or exits fails its job with the reason and is replaced", async () => {
    const kill = await pool.run(job("() => process.kill(process.pid, 'SIGKILL')"));
    expect(errorOf(kill.result)).toMatchObject({ name: "WorkerCrashError", message: expect.stringContaining("killed by SIGKILL") });
    const abort = await pool.run(job("() => process.abort()"));
    expect(errorOf(abort.result)).toMatchObject({ name: "WorkerCrashError", message: expect.stringContaining("SIGABRT") });
    const exit = await pool.run(job("() => process.exit(3)"));
    expect(errorOf(exit.result)).toMatchObject({ name: "WorkerExitError", message: expect.stringContaining("code 3") });
    const results = await Promise.all([1, 2, 3, 4].map((i) => pool.run(job("(x) => x * 2", `[${i}]`))));
    expect(results.map((r) => r.result)).toEqual(["2", "4", "6", "8"]);
  }, 20_000);

  test("over its memory limit: MemoryLimitError naming the limit; a job's memoryMb overrides the pool's", async () => {
    const hog = "() => { const keep = []; for (;;) keep.push(new Array(1 << 20).fill(7)) }";
    const out = await pool.run(job(hog));
    expect(errorOf(out.result)).toMatchObject({ name: "MemoryLimitError", message: expect.stringContaining("256 MB") });
    const small = await pool.run(job(hog, "[]", { memoryMb: 128 }));
    expect(errorOf(small.result)).toMatchObject({ name: "MemoryLimitError", message: expect.stringContaining("128 MB") });
    expect((await pool.run(job("() => 'fine'"))).result).toBe('"fine"');
  }, 30_000);

  test("a timeout kills the executor with everything it spawned; processes left by a completed job are reaped", async () => {
    const spawnSleep = `async (end) => {
      const { spawn } = await import("node:child_process");
      spawn("setsid", ["sleep", "77"], { stdio: "ignore", detached: true });
      await new Promise((r) => setTimeout(r, 200));
      const fs = await import("node:fs");
      const pids = fs.readdirSync("/proc").filter((d) => /^\\d+$/.test(d)).length;
      return end === "hang" ? new Promise(() => {}) : pids;
    }`;
    const timedOut = await pool.run(job(spawnSleep, '["hang"]', { timeoutMs: 500 }));
    expect(errorOf(timedOut.result).name).toBe("TimeoutError");
    expect((await pool.run(job(spawnSleep, '["done"]'))).result).toBe("3"); // init, the executor, the sleep
    // Reaped: the SIGKILL is sent as the job ends (a killed child may stay a zombie a moment; those do not count).
    const live = "async () => { const fs = await import('node:fs'); return fs.readdirSync('/proc').filter((d) => /^\\d+$/.test(d)).filter((d) => { try { return !fs.readFileSync('/proc/' + d + '/stat', 'utf8').includes(') Z ') } catch { return false } }).length }";
    await eventually(async () => (await pool.run(job(live))).result === "2", 5000, "only init and the executor");
  }, 20_000);

  test("a job that writes to its channel's descriptor forges nothing: its executor is replaced, the next jobs complete", async () => {
    const forge = `() => {
      const fs = process.getBuiltinModule("node:fs");
      const fd = Number(process.env.NODE_CHANNEL_FD);
      for (let seq = 0; seq < 50; seq++) fs.writeSync(fd, JSON.stringify({ kind: "done", seq, status: "COMPLETED", result: '"forged"' }) + "\\n");
      return "mine";
    }`;
    const out = await pool.run(job(forge));
    expect(out.result).not.toBe('"forged"');
    const results = await Promise.all([1, 2, 3, 4].map((i) => pool.run(job("(x) => x * 3", `[${i}]`))));
    expect(results.map((r) => r.result)).toEqual(["3", "6", "9", "12"]);
  }, 20_000);

  test("code a job left reading its channel sees only ciphertext; the job it robbed runs again and completes", async () => {
    const one = new ThreadPool({ threads: 1, taskTimeoutMs: 20_000, processes: { command, memoryMb: 256 } });
    try {
      await one.ready();
      const dir = mkdtempSync(join(tmpdir(), "faas-steal-"));
      chmodSync(dir, 0o777);
      const stolen = join(dir, "stolen");
      // A nested worker outlives its job and reads the channel in a tight loop, saving what it gets.
      const thief = `(path) => {
        const src = \`const fs = require("node:fs"); const b = Buffer.alloc(65536);
          const fds = fs.readdirSync("/proc/self/fd").map(Number).filter((f) => { try { return fs.readlinkSync("/proc/self/fd/" + f).startsWith("socket:") } catch { return false } });
          for (;;) for (const fd of fds) { try { const n = fs.readSync(fd, b); if (n > 0) fs.appendFileSync(${"${JSON.stringify(path)}"}, b.subarray(0, n)); } catch {} }\`;
        new Worker(URL.createObjectURL(new Blob([src], { type: "application/javascript" })));
        return new Promise((r) => setTimeout(() => r("left"), 300));
      }`;
      expect((await one.run(job(thief, JSON.stringify([stolen])))).result).toBe('"left"');
      const secret = "SECRET-ARGUMENT-of-another-tenant";
      const results = [];
      for (let i = 0; i < 3; i++) results.push(await one.run(job("(s, i) => s.length + i", JSON.stringify([secret, i]))));
      expect(results.map((r) => r.status)).toEqual(["COMPLETED", "COMPLETED", "COMPLETED"]);
      expect(results.map((r) => r.result)).toEqual([0, 1, 2].map((i) => String(secret.length + i)));
      const seen = existsSync(stolen) ? readFileSync(stolen, "latin1") : "";
      expect(seen).not.toContain("SECRET");
      expect(seen).not.toContain("functionId");
      rmSync(dir, { recursive: true, force: true });
    } finally {
      await one.close();
    }
  }, 60_000);

  test("output the user prints does not disturb the channel", async () => {
    const out = await pool.run(job("() => { console.log('{\"kind\":\"done\",\"seq\":1}'); process.stdout.write('x'.repeat(100000)); console.error('noise'); return 5 }"));
    expect(out).toMatchObject({ status: "COMPLETED", result: "5" });
  });
});

describe("trains: jobs of one function posted together to an executor process", () => {
  let pool: ThreadPool;
  beforeAll(async () => {
    pool = new ThreadPool({ threads: 1, taskTimeoutMs: 5000, trainLength: 4, processes: { command, memoryMb: 256 } });
    await pool.ready();
  }, 20_000);
  afterAll(() => pool.close());
  const nap = "async (ms, x) => { await new Promise((r) => setTimeout(r, ms)); return [x, process.pid]; }";

  test("up to trainLength jobs of the running job's function go to its executor; another function's job waits in the pool", async () => {
    const train = [1, 2, 3, 4, 5].map((i) => pool.run(job(nap, `[${i === 1 ? 300 : 1}, ${i}]`, { functionId: "nap" })));
    const other = pool.run(job("(x) => x", "[9]"));
    // One running + three behind it on the executor (trainLength 4); the fifth and the other function's job wait here.
    expect(pool.pending).toBe(2);
    const done = await Promise.all(train);
    expect(done.map((d) => JSON.parse(d.result)[0])).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(done.map((d) => JSON.parse(d.result)[1])).size).toBe(1); // one executor ran them all
    expect((await other).result).toBe("9");
  }, 20_000);

  test("once a function's jobs are known to be long (80 ms), they go to the executor one at a time, not as a train", async () => {
    const code = "async (ms, x) => { await new Promise((r) => setTimeout(r, ms)); return x; }";
    await pool.run(job(code, "[80, 0]", { functionId: "long" })); // learns: 80 ms ≥ 10 ms of work → trains of 1
    const three = [1, 2, 3].map((i) => pool.run(job(code, `[80, ${i}]`, { functionId: "long" })));
    expect(pool.pending).toBe(2); // one on the executor, two waiting here (a train would have taken all three)
    expect((await Promise.all(three)).map((r) => r.result)).toEqual(["1", "2", "3"]);
    // Short jobs of another function still go as a train (its length known or not).
    const quick = [1, 2, 3, 4].map((i) => pool.run(job("(x) => x", `[${i}]`, { functionId: "quick" })));
    expect(pool.pending).toBe(0);
    expect((await Promise.all(quick)).map((r) => r.result)).toEqual(["1", "2", "3", "4"]);
  }, 20_000);

  test("a train job cancelled before it starts never runs; the jobs around it complete on the same executor", async () => {
    const marker = join(mkdtempSync(join(tmpdir(), "faas-train-")), "ran");
    chmodSync(join(marker, ".."), 0o777);
    const code = `async (ms, x, path) => { if (path) await Bun.write(path, "x"); await new Promise((r) => setTimeout(r, ms)); return [x, process.pid]; }`;
    const head = pool.run(job(code, "[400, 1, null]", { functionId: "mark", taskId: "head" }));
    const victim = pool.run(job(code, `[1, 2, ${JSON.stringify(marker)}]`, { functionId: "mark", taskId: "victim" }));
    const after = pool.run(job(code, "[1, 3, null]", { functionId: "mark", taskId: "after" }));
    expect(pool.pending).toBe(0); // all three are on the executor
    expect(pool.cancel("victim")).toBe(true);
    const cancelled = await victim;
    expect(errorOf(cancelled.result)).toMatchObject({ name: "CancelledError", message: expect.stringContaining("before it started") });
    const [h, a] = await Promise.all([head, after]);
    expect(JSON.parse(h.result)[0]).toBe(1);
    expect(JSON.parse(a.result)[0]).toBe(3);
    expect(JSON.parse(a.result)[1]).toBe(JSON.parse(h.result)[1]); // not replaced
    expect(existsSync(marker)).toBe(false);
    // The same job not cancelled does write its marker (so the check above could fail).
    const control = `${marker}-control`;
    await pool.run(job(code, `[1, 4, ${JSON.stringify(control)}]`, { functionId: "mark" }));
    expect(existsSync(control)).toBe(true);
    rmSync(join(marker, ".."), { recursive: true, force: true });
  }, 20_000);

  test("the executor dies under the first job of a train: that job fails, the others run again uncharged and complete", async () => {
    const code = "(die, x) => { if (die) process.exit(5); return x; }";
    const first = pool.run(job(code, "[true, 1]", { functionId: "die" }));
    const rest = [2, 3, 4].map((i) => pool.run(job(code, `[false, ${i}]`, { functionId: "die" })));
    expect(errorOf((await first).result)).toMatchObject({ name: "WorkerExitError", message: expect.stringContaining("code 5") });
    expect((await Promise.all(rest)).map((r) => r.result)).toEqual(["2", "3", "4"]);
  }, 20_000);

  test("a job that times out at the head of a train fails alone; the jobs behind it complete", async () => {
    const code = "async (ms, x) => { await new Promise((r) => setTimeout(r, ms)); return x; }";
    const slow = pool.run(job(code, "[60000, 1]", { functionId: "slow", timeoutMs: 300 }));
    const rest = [2, 3].map((i) => pool.run(job(code, `[1, ${i}]`, { functionId: "slow" })));
    expect(errorOf((await slow).result)).toMatchObject({ name: "TimeoutError" });
    expect((await Promise.all(rest)).map((r) => r.result)).toEqual(["2", "3"]);
  }, 20_000);
});

describe("process isolation without the sandbox", () => {
  test("runs jobs in executor processes as this user; close() leaves no cgroup behind", async () => {
    const warnings: string[] = [];
    const log = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {}, child: () => log };
    const pool = new ThreadPool({ threads: 1, processes: { command, sandbox: false, log } });
    await pool.ready();
    const out = await pool.run(job("() => [process.pid !== 2, process.getuid(), Object.keys(process.env).some((k) => k.startsWith('FAAS'))]"));
    expect(JSON.parse(out.result)).toEqual([true, process.getuid!(), false]);
    expect(warnings.join("\n")).toContain("not fully isolated");
    await pool.close();
  }, 20_000);

  test("a sandboxed pool removes its cgroups on close", async () => {
    const pool = new ThreadPool({ threads: 1, name: "cgtest", processes: { command } });
    await pool.ready();
    await pool.run(job("() => 1"));
    const own = (await Bun.file("/proc/self/cgroup").text()).split("\n").find((l) => l.split(":")[1]?.split(",").includes("memory"))!.split(":")[2]!;
    const dir = `/sys/fs/cgroup/memory${own === "/" ? "" : own}/faas-${process.pid}`;
    const mine = () => Array.from(new Bun.Glob(`${dir}-*-cgtest`).scanSync({ onlyFiles: false, absolute: true }));
    expect(mine().length).toBe(1);
    await pool.close();
    expect(mine().filter((d) => existsSync(d))).toEqual([]);
  }, 20_000);
});
