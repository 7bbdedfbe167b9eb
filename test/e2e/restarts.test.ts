// Honest task states with real processes of the compiled binary: rolling restarts cost nothing, RUNNING means running.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FaasClient } from "../../src/client/index.ts";
import { createRedisStore, type RedisStore } from "../../src/store/redis-store.ts";
import { copyBinary, eventually, spawnFaas, type FaasCopy, type FaasProcess } from "../support/faas-binary.ts";
import { startRedis, type TestRedis } from "../support/redis-server.ts";

let copy: FaasCopy;
let redis: TestRedis;
let store: RedisStore;
let sockDir: string;
beforeAll(async () => {
  copy = copyBinary();
  redis = await startRedis();
  store = await createRedisStore({ url: redis.url, ttlSeconds: 600 });
  sockDir = mkdtempSync(join(tmpdir(), "faas-rs-"));
});
afterAll(async () => {
  await store.close();
  await redis.stop();
  copy.remove();
  rmSync(sockDir, { recursive: true, force: true });
});

const procs: FaasProcess[] = [];
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop("SIGKILL")));
  await store.redis.flushall();
});

function faas(args: string[]): FaasProcess {
  const p = spawnFaas(copy.bin, [...args, "--log-level", "warn"], copy.dir);
  procs.push(p);
  return p;
}

async function api(): Promise<FaasClient> {
  const p = faas(["api", "-p", "0", "--redis", redis.url]);
  return new FaasClient({ baseUrl: (await p.waitFor(/ready api (\S+)/))[1]! });
}

/** A dispatcher (and, remote, one worker with `threads` threads on the dispatcher's unix socket). */
async function dispatcher(mode: "local" | "push" | "pull", threads: number, ipc: string): Promise<FaasProcess[]> {
  if (mode === "local") {
    const d = faas(["dispatcher", "-m", "local", "-w", String(threads), "--redis", redis.url]);
    await d.waitFor(/ready dispatcher/);
    return [d];
  }
  const d = faas(["dispatcher", "-m", mode, "-p", "0", "--ipc", ipc, "--redis", redis.url]);
  await d.waitFor(/ready dispatcher/);
  const w = faas(["worker", mode, String(threads), `ipc://${ipc}`]);
  await w.waitFor(/ready worker/);
  return [d, w];
}

const statuses = async (ids: string[]) => {
  // One MULTI: a consistent snapshot of every task's status.
  const m = store.redis.multi();
  for (const id of ids) m.hget(store.keys.task(id), "status");
  return ((await m.exec()) ?? []).map(([, v]) => v as string | null);
};

describe.each(["local", "push"] as const)("%s mode", (mode) => {
  test("three graceful restarts while tasks run: every task completes, none is charged for a start it never had", async () => {
    const client = await api();
    const fn = await client.register("async (i) => { await new Promise((r) => setTimeout(r, 1000)); return i }", "sleep1");
    const n = mode === "local" ? 40 : 30;
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push(await client.execute(fn, [i]));
    const ipc = join(sockDir, `${mode}.sock`);
    for (let round = 0; round < 3; round++) {
      const ps = await dispatcher(mode, 1, ipc);
      await eventually(async () => (await statuses(ids)).includes("RUNNING"), 10_000, "a task running");
      await Bun.sleep(750); // the scenario: SIGTERM while a task is mid-run
      expect(await ps[0]!.stop("SIGTERM")).toBe(0);
      for (const p of ps.slice(1)) await p.stop("SIGTERM");
      // Nothing is left RUNNING by a graceful stop.
      expect((await statuses(ids)).filter((s) => s === "RUNNING")).toEqual([]);
    }
    await dispatcher(mode, 8, ipc);
    const done = await eventually(async () => {
      const s = await statuses(ids);
      return s.every((x) => x === "COMPLETED" || x === "FAILED") && s;
    }, 60_000, "all final");
    expect(done.filter((s) => s === "COMPLETED")).toHaveLength(n);
    // A task is charged once per real start: at most one per restart round plus the last run.
    for (const id of ids) {
      const t = await store.getTask(id);
      expect(t!.result).toBe(String(ids.indexOf(id)));
      expect(t!.attempts).toBeGreaterThanOrEqual(1);
      expect(t!.attempts).toBeLessThanOrEqual(2);
    }
  }, 120_000);

  test("with 2 executor threads and 30 queued 2 s tasks, at most 2 tasks report RUNNING at any moment", async () => {
    const client = await api();
    const fn = await client.register("async () => { await new Promise((r) => setTimeout(r, 2000)); return 1 }", "sleep2");
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await client.execute(fn, []));
    await dispatcher(mode, 2, join(sockDir, `${mode}-2.sock`));
    let most = 0;
    let samples = 0;
    let completed = 0;
    let apiChecks = 0;
    // Watch until 4 tasks have completed (two rounds of both threads), snapshotting every task's status.
    while (completed < 4) {
      const s = await statuses(ids);
      const runningNow = s.filter((x) => x === "RUNNING").length;
      most = Math.max(most, runningNow);
      completed = s.filter((x) => x === "COMPLETED").length;
      samples++;
      // The API reports the same states. Its 30 reads are not one snapshot, so a sample is compared only when no
      // task changed state while they were made (the same snapshot before and after).
      if (samples % 25 === 0) {
        const viaApi = await Promise.all(ids.map(async (id) => (await client.status(id)).status));
        const after = await statuses(ids);
        if (after.join() === s.join()) {
          expect(viaApi as (string | null)[]).toEqual(s);
          apiChecks++;
        }
      }
    }
    expect(samples).toBeGreaterThan(50);
    expect(apiChecks).toBeGreaterThan(0);
    expect(most).toBe(2);
    const queuedAttempts = await Promise.all(ids.map((id) => store.getTask(id)));
    for (const t of queuedAttempts) if (t!.status === "QUEUED") expect(t!.attempts).toBe(0);
  }, 60_000);
});
