/**
 * End-to-end benchmark through HTTP: throughput of N no-op tasks and latency of sequential single tasks.
 * `bun perf/e2e-perf.ts [--mode local|pull|push] [--workers THREADS] [--processes P] [--tasks N] [--warmup N]
 *  [--client raw|fetch] [--url API] [--bin PATH] [--extra "ARGS"] [--auth] [--key KEY] [--cpu] [--curve on|off] [--python]`
 * `--python`: the no-op is a Python function (`def noop(): return None`, dill-serialized by /usr/bin/python3 as the
 * Python clients send it; arguments `((), {})`), run on the Python runners.
 * `--auth`: the stack runs `--auth required` (rate limit lifted) and every request sends a key made with `faas keys
 * create`; `--key`: the key to send to an API given with `--url`. `--curve on|off` (pull/push): the worker link runs
 * CURVE (faas up's default) or NULL with a shared secret, for a CURVE-against-NULL comparison; not given: faas up's default.
 */
import { parseArgs } from "node:util";
import { startStack, type Stack } from "./start-stack.ts";
import { FaasHttp, type HttpClientKind } from "./study/faas-http.ts";
import { cpuByRole, formatCpu } from "./cpu-by-role.ts";

const { values: o } = parseArgs({
  options: {
    url: { type: "string" },
    // Another build of `faas` to measure (e.g. an older commit's, for a same-run comparison). Default: dist/faas.
    bin: { type: "string" },
    // Extra flags for `faas up`, space-separated (e.g. "--isolation thread").
    extra: { type: "string", default: "" },
    tasks: { type: "string", default: "10000" },
    concurrency: { type: "string", default: "64" },
    latency: { type: "string", default: "200" },
    workers: { type: "string", default: "2" },
    mode: { type: "string", default: "local" },
    processes: { type: "string", default: "2" },
    // Tasks run before timing, so every process has JIT-compiled its hot paths (a cold stack spends a sixth of
    // the CPU in compiler threads during its first ~10,000 tasks).
    warmup: { type: "string", default: "5000" },
    // raw: the lean keep-alive client (perf/study/http-pool.ts); fetch: Bun's fetch(), which costs the load
    // generator about twice the CPU on the machine it shares with the stack.
    client: { type: "string", default: "raw" },
    auth: { type: "boolean", default: false },
    key: { type: "string" },
    // Print the CPU time each role of the stack spent per 1,000 tasks of the throughput phase (own stack only).
    cpu: { type: "boolean", default: false },
    // The worker link's mechanism in pull/push: on (CURVE) or off (NULL + shared secret). Default: faas up's (on).
    curve: { type: "string" },
    // The no-op as a Python function (needs /usr/bin/python3 with dill here and on the executors).
    python: { type: "boolean", default: false },
  },
});
if (o.curve !== undefined && o.curve !== "on" && o.curve !== "off") throw new Error(`--curve must be on or off (got "${o.curve}")`);
const N = Number(o.tasks);
const C = Number(o.concurrency);
const L = Number(o.latency);

let stack: Stack | null = null;
let base = o.url ?? "";
if (!base) {
  // local: -w threads in the dispatcher; pull/push: `processes` worker processes × `workers` threads each.
  stack = await startStack({
    mode: o.mode as "local" | "pull" | "push", threads: Number(o.workers), processes: Number(o.processes), bin: o.bin,
    curve: o.curve === undefined ? undefined : o.curve === "on",
    extra: [...(o.extra ? o.extra.split(" ").filter(Boolean) : []), ...(o.auth ? ["--auth", "required", "--rate-limit", "1000000000"] : [])],
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

const http = new FaasHttp(base, o.client as HttpClientKind, C, key);
/** The no-op function's payload and its arguments' payload: JavaScript, or dill pickles as the Python clients make them. */
function noopPayloads(): { fn: string; args: string } {
  if (!o.python) return { fn: "() => null", args: "[]" };
  const script = "import codecs, dill, json\ndef noop():\n    return None\n" +
    "enc = lambda v: codecs.encode(dill.dumps(v), 'base64').decode()\nprint(json.dumps({'fn': enc(noop), 'args': enc(((), {}))}))";
  const run = Bun.spawnSync(["/usr/bin/python3", "-c", script]);
  if (run.exitCode !== 0) throw new Error(`--python needs /usr/bin/python3 with dill: ${run.stderr.toString()}`);
  return JSON.parse(run.stdout.toString()) as { fn: string; args: string };
}
const payloads = noopPayloads();
const execute = (fnId: string) => http.execute(fnId, payloads.args);
const result = (id: string, wait: number) => http.result(id, wait);
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
  const noop = await http.register("noop", payloads.fn);
  // Warm-up: threads compile the function, connections open, the JIT settles.
  await pool(Array.from({ length: Number(o.warmup) }), C, async () => {
    await result(await execute(noop), 30);
  });

  const ids: string[] = new Array(N);
  const cpu0 = o.cpu && stack?.dataDir ? cpuByRole(stack.dataDir) : null;
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  await pool(Array.from({ length: N }), C, async (_x, i) => {
    ids[i] = await execute(noop);
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
  if (cpu0 && stack?.dataDir) {
    const self = process.cpuUsage(self0);
    console.log(`cpu per 1000 tasks: ${formatCpu(cpu0, cpuByRole(stack.dataDir), N)}, load generator ${(((self.user + self.system) / 1000) * 1000 / N).toFixed(0)} ms`);
  }

  const lat: number[] = [];
  for (let i = 0; i < L; i++) {
    const s = performance.now();
    const r = await result(await execute(noop), 10);
    if (r.status !== "COMPLETED") bad++;
    lat.push(performance.now() - s);
  }
  lat.sort((a, b) => a - b);
  if (o.curve !== undefined && o.mode !== "local") console.log(`worker link: ${o.curve === "on" ? "CURVE" : "NULL + shared secret"}`);
  if (o.python) console.log("functions: Python (dill) no-op on the Python runners");
  console.log(`throughput: ${N} no-op tasks, ${C} in flight: ${secs.toFixed(2)} s, ${(N / secs).toFixed(0)} tasks/s end to end ` +
    `(submitted in ${((tSubmitted - t0) / 1000).toFixed(2)} s: ${(N / ((tSubmitted - t0) / 1000)).toFixed(0)}/s)`);
  console.log(`latency: ${L} sequential tasks with ?wait: p50 ${pct(lat, 50).toFixed(2)} ms, p95 ${pct(lat, 95).toFixed(2)} ms, p99 ${pct(lat, 99).toFixed(2)} ms`);
  if (bad > 0) console.log(`FAILED tasks: ${bad}`);
} finally {
  http.close();
  await stack?.stop();
}
