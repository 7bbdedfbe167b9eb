// Pull and push modes with real processes of the compiled binary: worker deaths, hangs, dispatcher restarts, floods.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FaasClient } from "../../src/client/index.ts";
import { createRedisStore } from "../../src/store/redis-store.ts";
import type { TaskRecord } from "../../src/store/types.ts";
import { copyBinary, eventually, spawnFaas, type FaasCopy, type FaasProcess } from "../support/faas-binary.ts";
import { startRedis, type TestRedis } from "../support/redis-server.ts";

let copy: FaasCopy;
let redis: TestRedis;
beforeAll(async () => {
  copy = copyBinary();
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
  copy.remove();
});

const SECRET = "s3cret";
const procs: FaasProcess[] = [];
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop("SIGKILL")));
  // Each test starts from an empty Redis.
  Bun.spawnSync(["redis-cli", "-s", redis.socket, "FLUSHALL"]);
});

function faas(args: string[]): FaasProcess {
  const p = spawnFaas(copy.bin, [...args, "--log-level", "warn"], copy.dir);
  procs.push(p);
  return p;
}

async function cluster(mode: "pull" | "push", workers: number, port = "0", workerArgs: string[] = []) {
  const dispatcher = faas(["dispatcher", "-m", mode, "-p", port, "--redis", redis.url, "--secret", SECRET, "--task-timeout", "20"]);
  const endpoint = (await dispatcher.waitFor(/ready dispatcher (tcp:\/\/\S+)/))[1]!;
  const api = faas(["api", "-p", "0", "--redis", redis.url]);
  const url = (await api.waitFor(/ready api (\S+)/))[1]!;
  const ws = await Promise.all(Array.from({ length: workers }, () => worker(mode, endpoint, 2, workerArgs)));
  return { dispatcher, endpoint, api, client: new FaasClient({ baseUrl: url }), workers: ws };
}

async function worker(mode: string, endpoint: string, threads = 2, extra: string[] = []) {
  // Thread isolation: these tasks kill their worker process on purpose and log its pid to a file.
  const w = faas(["worker", mode, String(threads), endpoint, "--secret", SECRET, "--isolation", "thread", ...extra]);
  await w.waitFor(/ready worker (\S+)/);
  return w;
}

async function results(client: FaasClient, ids: string[]) {
  return Promise.all(ids.map(async (id) => {
    for (;;) {
      const r = await client.result(id, { wait: 30 });
      if (r.status === "COMPLETED" || r.status === "FAILED") return r;
    }
  }));
}

const slow = "async (i) => { await new Promise((r) => setTimeout(r, 400)); return i * 10 }";

for (const mode of ["pull", "push"] as const) {
  describe(`${mode} mode`, () => {
    test("tasks run on remote workers; a wrong secret is refused", async () => {
      const c = await cluster(mode, 2);
      const fid = await c.client.register("(a, b) => a + b");
      const ids = await Promise.all(Array.from({ length: 50 }, (_, i) => c.client.execute(fid, [i, 1])));
      (await results(c.client, ids)).forEach((r, i) => expect(r).toMatchObject({ status: "COMPLETED", result: String(i + 1) }));
      const intruder = spawnFaas(copy.bin, ["worker", mode, "1", c.endpoint, "--secret", "wrong"], copy.dir);
      procs.push(intruder);
      expect(await intruder.proc.exited).not.toBe(0);
    });

    test("a worker killed with SIGKILL mid-task: its tasks are re-queued and completed by another", async () => {
      const c = await cluster(mode, 2);
      const fid = await c.client.register(slow);
      const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => c.client.execute(fid, [i])));
      await eventually(async () => (await Promise.all(ids.map((id) => c.client.status(id)))).filter((s) => s.status === "RUNNING").length >= 3, 20_000, "tasks RUNNING");
      await c.workers[0]!.stop("SIGKILL");
      (await results(c.client, ids)).forEach((r, i) => expect(r).toMatchObject({ status: "COMPLETED", result: String(i * 10) }));
    });

    test("a hung worker (SIGSTOP) is found by heartbeat; its late results do not flip anything", async () => {
      const c = await cluster(mode, 2);
      const fid = await c.client.register(slow);
      const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => c.client.execute(fid, [i])));
      await eventually(async () => (await Promise.all(ids.map((id) => c.client.status(id)))).filter((s) => s.status === "RUNNING").length >= 3, 20_000, "tasks RUNNING");
      const hung = c.workers[0]!.proc;
      hung.kill("SIGSTOP");
      try {
        const first = await results(c.client, ids);
        first.forEach((r, i) => expect(r).toMatchObject({ status: "COMPLETED", result: String(i * 10) }));
        hung.kill("SIGCONT");
        // Let the woken worker deliver whatever it still had; a new task proves the cluster still serves.
        const after = await c.client.execute(fid, [99]);
        expect((await results(c.client, [after]))[0]).toMatchObject({ status: "COMPLETED", result: "990" });
        expect(await results(c.client, ids)).toEqual(first);
      } finally {
        hung.kill("SIGCONT");
      }
    });

    test("2 workers × 2 threads (default queue), 60 one-second tasks, one worker SIGSTOPped: its running tasks complete elsewhere within 6 s; after SIGCONT no final state changes", async () => {
      const log = join(copy.dir, `lost-${mode}.log`);
      writeFileSync(log, "");
      // The default --queue 1: a rescued task waits for a free slot on the other worker (≤ 1 s), then behind the task
      // posted on that thread (1 s), then runs (1 s); heartbeat detection (500 ms / 2 s) takes 1.5–2.5 s.
      const c = await cluster(mode, 2);
      const store = await createRedisStore({ url: redis.url, ttlSeconds: 600 });
      try {
        const fid = await c.client.register(`async (i, log) => {
          const fs = process.getBuiltinModule("node:fs");
          fs.appendFileSync(log, i + " " + process.pid + " start\\n");
          await new Promise((r) => setTimeout(r, 1000));
          fs.appendFileSync(log, i + " " + process.pid + " end\\n");
          return process.pid;
        }`);
        const ids = await Promise.all(Array.from({ length: 60 }, (_, i) => c.client.execute(fid, [i, log])));
        const hung = c.workers[0]!.proc;
        /** Task numbers started by process `pid` and not finished there. */
        const runningOn = (pid: number) => {
          const open = new Set<string>();
          for (const line of readFileSync(log, "utf8").split("\n")) {
            const [i, p, what] = line.split(" ");
            if (Number(p) !== pid) continue;
            if (what === "start") open.add(i!);
            else open.delete(i!);
          }
          return [...open].map(Number);
        };
        await eventually(async () => runningOn(hung.pid).length === 2, 20_000, "both threads of the first worker running a task");
        hung.kill("SIGSTOP");
        const stoppedAt = Date.now();
        try {
          const lost = runningOn(hung.pid);
          expect(lost).toHaveLength(2);
          const rescued = await Promise.all(lost.map((i) => eventually(async () => {
            const t = await store.getTask(ids[i]!);
            return t?.status === "COMPLETED" || t?.status === "FAILED" ? t : null;
          }, 15_000, `task ${i} to finish elsewhere`)));
          for (const t of rescued) {
            expect(t.status).toBe("COMPLETED");
            expect(Number(t.result)).not.toBe(hung.pid);
            expect(t.finishedAt! - stoppedAt).toBeLessThanOrEqual(6000);
          }
          console.log(`${mode}: tasks running on the hung worker finished ${rescued.map((t) => t.finishedAt! - stoppedAt).join(", ")} ms after SIGSTOP`);
        } finally {
          hung.kill("SIGCONT");
        }
        const before = new Map<string, TaskRecord>();
        for (const id of ids) {
          const t = (await store.getTask(id))!;
          if (t.status === "COMPLETED" || t.status === "FAILED") before.set(id, t);
        }
        // The woken worker finishes what it held (its results are dropped), then serves again.
        await eventually(async () => runningOn(hung.pid).length === 0, 20_000, "the woken worker to finish what it held");
        const final = await results(c.client, ids);
        final.forEach((r) => expect(r.status).toBe("COMPLETED"));
        const after = await Promise.all(Array.from({ length: 8 }, (_, i) => c.client.execute(fid, [100 + i, log])));
        (await results(c.client, after)).forEach((r) => expect(r.status).toBe("COMPLETED"));
        for (const [id, t] of before) expect(await store.getTask(id)).toEqual(t);
      } finally {
        await store.close();
      }
    }, 120_000);

    test("a task whose worker dies every time fails after --max-attempts with the reason", async () => {
      const c = await cluster(mode, 3);
      const fid = await c.client.register("() => process.kill(process.pid, 'SIGKILL')");
      const [r] = await results(c.client, [await c.client.execute(fid, [])]);
      expect(r!.status).toBe("FAILED");
      expect(JSON.parse(r!.result!).value).toMatchObject({ name: "TaskLostError", message: expect.stringContaining("3 times") });
    });

    test("the dispatcher killed with SIGKILL and restarted: workers reconnect, no task is lost", async () => {
      const c = await cluster(mode, 2);
      const port = c.endpoint.slice(c.endpoint.lastIndexOf(":") + 1);
      const fid = await c.client.register(slow);
      const ids = await Promise.all(Array.from({ length: 12 }, (_, i) => c.client.execute(fid, [i])));
      await eventually(async () => (await Promise.all(ids.map((id) => c.client.status(id)))).some((s) => s.status === "RUNNING"), 20_000, "a task RUNNING");
      await c.dispatcher.stop("SIGKILL");
      const again = faas(["dispatcher", "-m", mode, "-p", port, "--redis", redis.url, "--secret", SECRET, "--task-timeout", "20"]);
      await again.waitFor(/ready dispatcher/);
      (await results(c.client, ids)).forEach((r, i) => expect(r).toMatchObject({ status: "COMPLETED", result: String(i * 10) }));
    });

    test("a flood of 5,000 tasks while workers join and leave: every task completes once", async () => {
      const log = join(copy.dir, `runs-${mode}.log`);
      writeFileSync(log, "");
      const c = await cluster(mode, 3);
      const fid = await c.client.register(
        `(i) => { process.getBuiltinModule("node:fs").appendFileSync(${JSON.stringify(log)}, i + "\\n"); return i * 2 }`);
      const ids: string[] = [];
      const submit = async (from: number, to: number) => {
        for (let i = from; i < to; i += 250) ids.push(...(await Promise.all(Array.from({ length: 250 }, (_, j) => c.client.execute(fid, [i + j])))));
      };
      await submit(0, 2500);
      await c.workers[1]!.stop("SIGKILL");
      const joining = Promise.all([worker(mode, c.endpoint), worker(mode, c.endpoint)]);
      await submit(2500, 5000);
      await joining;
      const rs = await results(c.client, ids);
      rs.forEach((r, i) => expect(r).toMatchObject({ status: "COMPLETED", result: String(i * 2) }));
      const runs = readFileSync(log, "utf8").trim().split("\n");
      const duplicates = runs.length - new Set(runs).size;
      console.log(`${mode} flood: 5000 tasks, ${runs.length} executions, ${duplicates} duplicates (one worker killed mid-run)`);
      expect(new Set(runs).size).toBe(5000);
    });
  });
}
