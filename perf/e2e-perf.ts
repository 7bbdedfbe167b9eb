/**
 * End-to-end benchmark through HTTP: throughput of N no-op tasks and latency of sequential single tasks.
 * `bun perf/e2e-perf.ts [--mode local|pull|push] [--workers THREADS] [--processes P] [--tasks N] [--url API]`
 */
import { parseArgs } from "node:util";
import { startStack, type Stack } from "./start-stack.ts";

const { values: o } = parseArgs({
  options: {
    url: { type: "string" },
    tasks: { type: "string", default: "10000" },
    concurrency: { type: "string", default: "64" },
    latency: { type: "string", default: "200" },
    workers: { type: "string", default: "2" },
    mode: { type: "string", default: "local" },
    processes: { type: "string", default: "2" },
  },
});
const N = Number(o.tasks);
const C = Number(o.concurrency);
const L = Number(o.latency);

let stack: Stack | null = null;
let base = o.url ?? "";
if (!base) {
  // local: -w threads in the dispatcher; pull/push: `processes` worker processes × `workers` threads each.
  stack = await startStack({ mode: o.mode as "local" | "pull" | "push", threads: Number(o.workers), processes: Number(o.processes) });
  base = stack.url;
}

async function post(path: string, body: unknown): Promise<any> {
  const r = await fetch(base + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r.json();
}
async function result(id: string, wait: number): Promise<{ status: string; result: string | null }> {
  const r = await fetch(`${base}/result/${id}?wait=${wait}`);
  return r.json() as any;
}
async function pool<T>(items: T[], c: number, fn: (x: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: c }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  }));
}
function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

try {
  const { function_id: noop } = await post("/register_function", { name: "noop", payload: "() => null" });
  // Warm-up: threads compile the function, connections open.
  await pool(Array.from({ length: 200 }), C, async () => {
    const { task_id } = await post("/execute_function", { function_id: noop, payload: "[]" });
    await result(task_id, 30);
  });

  const ids: string[] = new Array(N);
  const t0 = performance.now();
  await pool(Array.from({ length: N }), C, async (_x, i) => {
    ids[i] = (await post("/execute_function", { function_id: noop, payload: "[]" })).task_id;
  });
  const tSubmitted = performance.now();
  let bad = 0;
  await pool(ids, C, async (id) => {
    for (;;) {
      const r = await result(id, 60);
      if (r.status === "COMPLETED") return;
      if (r.status === "FAILED") { bad++; return; }
    }
  });
  const t1 = performance.now();
  const secs = (t1 - t0) / 1000;

  const lat: number[] = [];
  for (let i = 0; i < L; i++) {
    const s = performance.now();
    const { task_id } = await post("/execute_function", { function_id: noop, payload: "[]" });
    const r = await result(task_id, 10);
    if (r.status !== "COMPLETED") bad++;
    lat.push(performance.now() - s);
  }
  lat.sort((a, b) => a - b);
  console.log(`throughput: ${N} no-op tasks, ${C} in flight: ${secs.toFixed(2)} s, ${(N / secs).toFixed(0)} tasks/s end to end ` +
    `(submitted in ${((tSubmitted - t0) / 1000).toFixed(2)} s: ${(N / ((tSubmitted - t0) / 1000)).toFixed(0)}/s)`);
  console.log(`latency: ${L} sequential tasks with ?wait: p50 ${pct(lat, 50).toFixed(2)} ms, p95 ${pct(lat, 95).toFixed(2)} ms, p99 ${pct(lat, 99).toFixed(2)} ms`);
  if (bad > 0) console.log(`FAILED tasks: ${bad}`);
} finally {
  await stack?.stop();
}
