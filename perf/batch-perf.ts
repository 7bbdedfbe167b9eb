/**
 * The batch path end to end through HTTP: N no-op tasks submitted with `POST /execute_batch` in batches of B and
 * collected with `POST /results?wait` (or the SSE stream of each batch), a few batches in flight; then "submit
 * alone": the same through /execute_batch with the stack's dispatchers paused (SIGSTOP), so the figure is what the
 * API and Redis accept, not what the whole stack finishes.
 * `bun perf/batch-perf.ts [--mode local|pull|push] [--workers THREADS] [--processes P] [--tasks 100000] [--batch 1000]
 *  [--inflight 4] [--collect results|sse] [--warmup 10000] [--submit-tasks 100000] [--url API] [--bin PATH]
 *  [--extra "ARGS"] [--auth] [--key KEY] [--cpu]`
 * Compare with `bun perf/bullmq-compare.ts` (BullMQ addBulk) in the same run, and `bun perf/e2e-perf.ts` (one task per request).
 */
import { readdirSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { readSse } from "../src/client/index.ts";
import { cpuByRole, formatCpu } from "./cpu-by-role.ts";
import { startStack, type Stack } from "./start-stack.ts";

const { values: o } = parseArgs({
  options: {
    url: { type: "string" },
    bin: { type: "string" },
    extra: { type: "string", default: "" },
    mode: { type: "string", default: "local" },
    workers: { type: "string", default: "2" },
    processes: { type: "string", default: "2" },
    tasks: { type: "string", default: "100000" },
    batch: { type: "string", default: "1000" },
    inflight: { type: "string", default: "4" },
    collect: { type: "string", default: "results" },
    warmup: { type: "string", default: "10000" },
    // Tasks of the "submit alone" phase (own stack only: it pauses the dispatchers); 0 skips it.
    "submit-tasks": { type: "string", default: "100000" },
    auth: { type: "boolean", default: false },
    key: { type: "string" },
    cpu: { type: "boolean", default: false },
  },
});
if (o.collect !== "results" && o.collect !== "sse") throw new Error(`--collect must be results or sse (got "${o.collect}")`);
const N = Number(o.tasks);
const B = Number(o.batch);
const INFLIGHT = Number(o.inflight);

let stack: Stack | null = null;
let base = o.url ?? "";
if (!base) {
  stack = await startStack({
    mode: o.mode as "local" | "pull" | "push", threads: Number(o.workers), processes: Number(o.processes), bin: o.bin,
    extra: [...(o.extra ? o.extra.split(" ").filter(Boolean) : []), "--max-queued", "10000000",
      ...(o.auth ? ["--auth", "required", "--rate-limit", "1000000000"] : [])],
  });
  base = stack.url;
}
let key = o.key;
if (o.auth && !key && stack?.dataDir) {
  const bin = o.bin ?? `${import.meta.dir}/../dist/faas`;
  const made = Bun.spawnSync([bin, "keys", "create", "--name", "perf", "--data-dir", stack.dataDir], { env: { ...process.env, REDIS_URL: "" } });
  if (made.exitCode !== 0) throw new Error(`faas keys create failed: ${made.stderr.toString()}`);
  key = made.stdout.toString().trim().split("\n").at(-1);
}
const headers: Record<string, string> = { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) };

async function post<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(base + path, { method: "POST", headers, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${text.slice(0, 200)}`);
  return JSON.parse(text) as T;
}

/** Submit `count` tasks of `fnId` in batches, `INFLIGHT` at a time; `collect` (if given) waits for each batch's results. */
async function run(fnId: string, count: number, collect: ((batchId: string, ids: string[]) => Promise<number>) | null): Promise<number> {
  const batches = Math.ceil(count / B);
  const tasks = Array.from({ length: B }, () => ({ function_id: fnId, payload: "[]" }));
  let next = 0;
  let failed = 0;
  await Promise.all(Array.from({ length: Math.min(INFLIGHT, batches) }, async () => {
    while (next < batches) {
      const i = next++;
      const size = Math.min(B, count - i * B);
      const r = await post<{ batch_id: string; task_ids: string[] }>("/execute_batch", { tasks: size === B ? tasks : tasks.slice(0, size) });
      if (collect) failed += await collect(r.batch_id, r.task_ids);
    }
  }));
  return failed;
}

/** Wait for every task of a batch with /results long-polls; returns how many did not complete. */
async function viaResults(_batchId: string, ids: string[]): Promise<number> {
  let open = ids;
  let failed = 0;
  while (open.length > 0) {
    const r = await post<{ results: { task_id: string; status: string }[] }>("/results", { task_ids: open, wait: 60 });
    open = r.results.filter((x) => x.status === "QUEUED" || x.status === "RUNNING").map((x) => x.task_id);
    failed += r.results.filter((x) => x.status === "FAILED" || x.status === "CANCELLED").length;
  }
  return failed;
}

/** Read a batch's event stream to its `done` event; returns how many tasks did not complete. */
async function viaSse(batchId: string): Promise<number> {
  const res = await fetch(`${base}/batches/${batchId}/events`, { headers: { accept: "text/event-stream", ...(key ? { authorization: `Bearer ${key}` } : {}) } });
  if (!res.ok || !res.body) throw new Error(`events: ${res.status} ${await res.text()}`);
  for await (const ev of readSse(res.body)) {
    if (ev.event === "done") {
      const d = JSON.parse(ev.data) as { total: number; completed: number };
      return d.total - d.completed;
    }
  }
  throw new Error(`the stream of batch ${batchId} ended before done`);
}

/** Pids of the processes playing `role` under this stack's `faas up` (found by its data dir, from /proc). */
function rolePids(dataDir: string, role: string): number[] {
  const procs = readdirSync("/proc").filter((d) => /^\d+$/.test(d)).flatMap((d) => {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const argv = readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0");
      return [{ pid: Number(d), ppid: Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]), argv }];
    } catch {
      return [];
    }
  });
  const root = procs.find((p) => p.argv[1] === "up" && p.argv.includes(dataDir));
  if (!root) return [];
  const tree = new Set([root.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of procs) if (!tree.has(p.pid) && tree.has(p.ppid)) { tree.add(p.pid); grew = true; }
  }
  return procs.filter((p) => tree.has(p.pid) && p.argv[1] === role).map((p) => p.pid);
}

try {
  const { function_id: noop } = await post<{ function_id: string }>("/register_function", { name: "noop", payload: "() => null" });
  const collect = o.collect === "sse" ? viaSse : viaResults;
  await run(noop, Number(o.warmup), collect);

  const cpu0 = o.cpu && stack?.dataDir ? cpuByRole(stack.dataDir) : null;
  const t0 = performance.now();
  const bad = await run(noop, N, collect);
  const secs = (performance.now() - t0) / 1000;
  console.log(`batch throughput (${o.mode}): ${N} no-op tasks in batches of ${B}, ${INFLIGHT} batches in flight, collected via ` +
    `${o.collect === "sse" ? "SSE" : "/results"}: ${secs.toFixed(2)} s, ${(N / secs).toFixed(0)} tasks/s end to end`);
  if (cpu0 && stack?.dataDir) console.log(`cpu per 1000 tasks: ${formatCpu(cpu0, cpuByRole(stack.dataDir), N)}`);
  if (bad > 0) console.log(`FAILED tasks: ${bad}`);

  const S = Number(o["submit-tasks"]);
  if (S > 0 && stack?.dataDir) {
    const paused = rolePids(stack.dataDir, "dispatcher");
    for (const pid of paused) process.kill(pid, "SIGSTOP");
    try {
      const s0 = performance.now();
      await run(noop, S, null);
      const ss = (performance.now() - s0) / 1000;
      console.log(`submit alone: ${S} tasks through /execute_batch (batches of ${B}, ${INFLIGHT} in flight, dispatchers paused): ` +
        `${ss.toFixed(2)} s, ${(S / ss).toFixed(0)} tasks/s accepted into Redis`);
    } finally {
      for (const pid of paused) process.kill(pid, "SIGCONT");
    }
  }
} finally {
  await stack?.stop();
}
