// Hostile user code against `faas up` with its defaults (process isolation, run as root here: the full sandbox).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { copyBinary, eventually, spawnFaas, type FaasCopy, type FaasProcess } from "../support/faas-binary.ts";

/** Live processes whose command line (NUL-separated) is exactly `cmdline`. */
function processesWith(cmdline: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, "utf8") === cmdline && !readFileSync(`/proc/${d}/stat`, "utf8").includes(") Z ")) pids.push(Number(d));
    } catch {
      // ended while we looked
    }
  }
  return pids;
}

/** Direct children of `pid` whose command line contains `word`. */
function childPids(pid: number, word: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid && readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0").includes(word)) out.push(Number(d));
    } catch {
      // ended while we looked
    }
  }
  return out;
}

const SECRET = "hostile-test-secret-5a1f";

/** A running `faas up` and how to talk to it. */
class Stack {
  up!: FaasProcess;
  url = "";
  constructor(readonly copy: FaasCopy, readonly dataDir: string, readonly args: string[]) {}

  async start(): Promise<void> {
    this.up = spawnFaas(this.copy.bin, ["up", "--port", "0", "-w", "2", "--data-dir", this.dataDir, "--task-timeout", "10", ...this.args], this.copy.dir);
    this.url = (await this.up.waitFor(/is up: (http:\/\/\S+)/, 30_000))[1]!;
  }

  async post(path: string, body: unknown): Promise<any> {
    const r = await fetch(this.url + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const json = (await r.json()) as any;
    if (r.status >= 300) throw new Error(`${path}: ${r.status} ${JSON.stringify(json)}`);
    return json;
  }

  async fn(payload: string): Promise<string> {
    return (await this.post("/register_function", { name: "f", payload })).function_id;
  }

  async submit(fnId: string, args: unknown[] = [], extra: Record<string, unknown> = {}): Promise<string> {
    return (await this.post("/execute_function", { function_id: fnId, payload: JSON.stringify(args), ...extra })).task_id;
  }

  async result(taskId: string): Promise<{ status: string; result: string }> {
    return eventually(async () => {
      const r = (await (await fetch(`${this.url}/result/${taskId}?wait=5`)).json()) as any;
      return r.status === "COMPLETED" || r.status === "FAILED" ? r : null;
    }, 40_000, `task ${taskId} to finish`);
  }

  /** Run `payload` once and wait for its outcome. */
  async run(payload: string, args: unknown[] = [], extra: Record<string, unknown> = {}): Promise<{ status: string; result: string }> {
    return this.result(await this.submit(await this.fn(payload), args, extra));
  }

  /** The pids of faas up's role children (dispatcher, workers, api) and the managed Redis. */
  platformPids(): number[] {
    const upPid = this.up.proc.pid;
    const redis = Number(readFileSync(join(this.dataDir, "redis.pid"), "utf8").trim());
    return [upPid, redis, ...["dispatcher", "worker", "api"].flatMap((role) => childPids(upPid, role))].sort();
  }
}

/** The hostile cases, against a stack started with `args`. */
function hostileSuite(name: string, args: string[], remote: boolean): void {
  describe(name, () => {
    let copy: FaasCopy;
    let stack: Stack;
    let before: number[] = [];
    beforeAll(async () => {
      copy = copyBinary();
      stack = new Stack(copy, join(copy.dir, "data"), args);
      await stack.start();
      before = stack.platformPids();
      expect(before.length).toBe(remote ? 5 : 4);
    }, 60_000);
    afterAll(async () => {
      await stack?.up.stop();
      copy?.remove();
    });

    describe("killing and wedging", () => {
      test("suicide, abort, killing the parent, exhausting memory: the guilty task fails, innocent ones complete, the platform stays", async () => {
        const innocent = await stack.fn("async (x) => { await new Promise((r) => setTimeout(r, 50)); return x + 1 }");
        const guilty = {
          kill: "() => { process.kill(process.pid, 'SIGKILL'); return 'survived' }",
          abort: "() => { process.abort() }",
          parent: "() => { process.kill(process.ppid); process.kill(process.ppid, 'SIGKILL'); return process.ppid }",
          memory: "() => { const keep = []; for (;;) keep.push(new Array(1 << 20).fill(7)) }",
        };
        const ids: Record<string, string> = {};
        const innocents: string[] = [];
        for (const [key, payload] of Object.entries(guilty)) {
          innocents.push(await stack.submit(innocent, [1]));
          ids[key] = await stack.submit(await stack.fn(payload));
          innocents.push(await stack.submit(innocent, [2]));
        }
        const kill = await stack.result(ids.kill!);
        expect(kill.status).toBe("FAILED");
        expect(JSON.parse(kill.result).value).toMatchObject({ name: "WorkerCrashError", message: expect.stringContaining("SIGKILL") });
        const abort = await stack.result(ids.abort!);
        expect(abort.status).toBe("FAILED");
        expect(JSON.parse(abort.result).value).toMatchObject({ name: "WorkerCrashError", message: expect.stringContaining("SIGABRT") });
        // The executor's parent is the init of its own PID namespace: signals to it do nothing.
        expect(await stack.result(ids.parent!)).toMatchObject({ status: "COMPLETED", result: "1" });
        const memory = await stack.result(ids.memory!);
        expect(memory.status).toBe("FAILED");
        expect(JSON.parse(memory.result).value).toMatchObject({ name: "MemoryLimitError", message: expect.stringContaining("512 MB") });
        for (const id of innocents) expect((await stack.result(id)).status).toBe("COMPLETED");
        // Tasks submitted after run, and every platform process is the one from before.
        expect(await stack.run("(x) => x * 2", [21])).toMatchObject({ status: "COMPLETED", result: "42" });
        expect(stack.platformPids()).toEqual(before);
        expect(await (await fetch(`${stack.url}/health`)).json()).toEqual({ status: "ok" });
      }, 90_000);

      test("a result over --max-result fails ResultTooLargeError in the executor; the link stays up and later tasks complete", async () => {
        const limit = args.includes("--max-result") ? Number(args[args.indexOf("--max-result") + 1]) : 10 * 1024 * 1024;
        const innocent = await stack.submit(await stack.fn("async (x) => { await new Promise((r) => setTimeout(r, 300)); return x }"), [5]);
        const huge = await stack.run("() => 'x'.repeat(20e6)");
        expect(huge.status).toBe("FAILED");
        expect(JSON.parse(huge.result).value).toMatchObject({ name: "ResultTooLargeError", message: expect.stringContaining(`limit of ${limit} bytes`) });
        expect(await stack.run("() => 'y'.repeat(100)")).toMatchObject({ status: "COMPLETED" });
        expect(await stack.result(innocent)).toMatchObject({ status: "COMPLETED", result: "5" });
        expect(stack.platformPids()).toEqual(before);
      }, 60_000);

      test("processes a task spawned die with it: on a timeout, and when it crashes", async () => {
        for (const [end, extra] of [["hang", { timeout_seconds: 1.5 }], ["abort", {}]] as const) {
          const arg = `123.${Math.floor(Math.random() * 1e6)}`;
          const id = await stack.submit(await stack.fn(`async (arg, end) => {
            const { spawn } = await import("node:child_process");
            spawn("sleep", [arg], { stdio: "ignore" });
            spawn("setsid", ["sleep", arg], { stdio: "ignore", detached: true });
            await new Promise((r) => setTimeout(r, 300));
            if (end === "abort") process.abort();
            return new Promise(() => {});
          }`), [arg, end], extra);
          await eventually(async () => processesWith(`sleep\0${arg}\0`).length === 2, 10_000, "the sleeps to run");
          const r = await stack.result(id);
          expect(r.status).toBe("FAILED");
          expect(JSON.parse(r.result).value.name).toBe(end === "hang" ? "TimeoutError" : "WorkerCrashError");
          await eventually(async () => processesWith(`sleep\0${arg}\0`).length === 0, 5000, "the sleeps to be gone");
        }
        expect(stack.platformPids()).toEqual(before);
      }, 60_000);
    });

    describe("secrets and private sockets", () => {
      test("no platform secret, Redis URL or data dir in the environment, argv or /proc the task can see", async () => {
        const r = await stack.run(`async () => {
          const fs = await import("node:fs");
          const read = (p) => { try { return fs.readFileSync(p, "utf8").replaceAll("\\0", " ") } catch (e) { return "unreadable: " + e.code } };
          const files = {};
          for (const p of ["/proc/self/cmdline", "/proc/self/environ", "/proc/1/cmdline", "/proc/1/environ",
            "/proc/" + process.ppid + "/cmdline", "/proc/" + process.ppid + "/environ"]) files[p] = read(p);
          const pids = fs.readdirSync("/proc").filter((d) => /^\\d+$/.test(d));
          return { env: process.env, argv: process.argv, execArgv: process.execArgv, ppid: process.ppid, uid: process.getuid(), pids, files };
        }`);
        expect(r.status).toBe("COMPLETED");
        const seen = JSON.parse(r.result);
        const text = r.result;
        expect(Object.keys(seen.env).filter((k) => k.startsWith("FAAS_") || k === "REDIS_URL")).toEqual([]);
        expect(text).not.toContain(SECRET);
        expect(text).not.toContain("secret");
        expect(text).not.toContain("redis");
        expect(text).not.toContain(stack.dataDir);
        expect(text).not.toContain(copy.dir);
        expect(seen.ppid).toBe(1);
        expect(seen.uid).toBe(65534);
        // Its own PID namespace: its init (the shell) and itself only.
        expect(seen.pids).toEqual(["1", "2"]);
      }, 30_000);

      test("the data dir, the managed Redis socket and the dispatcher's socket are out of reach", async () => {
        const sockets = [join(stack.dataDir, "redis.sock"), ...(remote ? [join(stack.dataDir, "dispatcher.sock")] : [])];
        const r = await stack.run(`async (dir, sockets) => {
          const fs = await import("node:fs");
          const out = {};
          try { out.list = fs.readdirSync(dir) } catch (e) { out.list = e.code }
          for (const path of sockets) {
            try {
              const s = await Bun.connect({ unix: path, socket: { data() {} } });
              s.end();
              out[path] = "connected";
            } catch (e) { out[path] = String(e.code ?? e.message) }
          }
          return out;
        }`, [stack.dataDir, sockets]);
        expect(r.status).toBe("COMPLETED");
        const out = JSON.parse(r.result);
        expect(out.list).toBe("EACCES");
        for (const path of sockets) expect(out[path]).not.toBe("connected");
        // They are there, and reachable by the platform itself.
        expect(readdirSync(stack.dataDir)).toEqual(expect.arrayContaining(sockets.map((p) => p.slice(stack.dataDir.length + 1))));
      }, 30_000);
    });
  });
}

hostileSuite("local mode (faas up defaults)", [], false);
hostileSuite("push mode, one worker process", ["-m", "push", "--workers", "1", "--secret", SECRET, "--max-result", "4000000"], true);
