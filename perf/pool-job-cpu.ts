/**
 * CPU per no-op job of a ThreadPool on both sides: this process (the pool) and its executor processes, by thread
 * (executor main thread `bun`, user-code thread `Worker`, GC …), against the same pool with thread isolation.
 * `bun perf/pool-job-cpu.ts [--isolation process|thread] [--threads 2] [--rounds 3] [--jobs 3200]
 * [--sandbox true|false] [--bin dist/faas] [--memory-mb 512] [--batch 64]`
 * `--batch`: jobs posted together (64: trains form; 1: one job per message, as a pull worker's lanes often post).
 * Executors run from source unless `--bin`; they start with cwd `/`, so the source path is absolute. To profile one,
 * start it by hand under `bun --cpu-prof` with an ipc parent that ends it by disconnecting (a pool kills it with
 * SIGKILL, so no profile is written); without the sandbox it runs under `prlimit --as`, and the profiler needs more
 * address space than 512 MB (`--memory-mb`).
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ThreadPool } from "../src/workers/thread-pool.ts";

const { values: o } = parseArgs({
  options: {
    isolation: { type: "string", default: "process" }, threads: { type: "string", default: "2" }, rounds: { type: "string", default: "3" },
    jobs: { type: "string", default: "3200" }, sandbox: { type: "string", default: "true" }, bin: { type: "string" }, "memory-mb": { type: "string", default: "512" },
    batch: { type: "string", default: "64" },
  },
});
if (!/^[1-9]\d*$/.test(o.batch!)) throw new Error(`--batch must be a positive integer (got "${o.batch}")`);
const command = o.bin ? [o.bin, "executor"] : [process.execPath, fileURLToPath(new URL("../src/cli.ts", import.meta.url)), "executor"];
const processes = o.isolation === "process" ? { command, sandbox: o.sandbox !== "false", memoryMb: Number(o["memory-mb"]) } : undefined;
const pool = new ThreadPool({ threads: Number(o.threads), name: "bench", processes });
await pool.ready();

/** user and system ms of every thread of every process below this one, by "name:tid". */
function childThreads(): Map<string, [number, number]> {
  const parents = new Map<number, number>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    const stat = readStat(`/proc/${d}/stat`);
    if (stat !== null) parents.set(Number(d), Number(stat.fields[1]));
  }
  const tree = new Set([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parents) {
      if (tree.has(pid) || !tree.has(ppid)) continue;
      tree.add(pid);
      grew = true;
    }
  }
  tree.delete(process.pid);
  const out = new Map<string, [number, number]>();
  for (const pid of tree) {
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      const stat = readStat(`/proc/${pid}/task/${tid}/stat`);
      if (stat !== null) out.set(`${stat.name}:${tid}`, [Number(stat.fields[11]) * 10, Number(stat.fields[12]) * 10]);
    }
  }
  return out;
}

function readStat(path: string): { name: string; fields: string[] } | null {
  try {
    const s = readFileSync(path, "utf8");
    return { name: s.slice(s.indexOf("(") + 1, s.lastIndexOf(")")), fields: s.slice(s.lastIndexOf(")") + 2).split(" ") };
  } catch {
    return null;
  }
}

const jobs = Number(o.jobs);
const batch = Number(o.batch);
for (let round = 0; round < Number(o.rounds); round++) {
  const before = childThreads();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let done = 0; done < jobs; done += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, jobs - done) }, (_, j) => pool.run({ taskId: `t${done + j}`, functionId: "noop", code: "() => null", args: "[]" })));
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const byName = new Map<string, number[]>();
  for (const [key, [user, sys]] of childThreads()) {
    const [u0, s0] = before.get(key) ?? [0, 0];
    const name = key.slice(0, key.lastIndexOf(":"));
    const sum = byName.get(name) ?? [0, 0];
    sum[0]! += ((user - u0) * 1000) / jobs;
    sum[1]! += ((sys - s0) * 1000) / jobs;
    byName.set(name, sum);
  }
  const total = [...byName.values()].reduce((n, [u, s]) => n + u! + s!, 0);
  const parts = [...byName].filter(([, [u, s]]) => u! + s! >= 1).map(([name, [u, s]]) => `${name} ${u!.toFixed(0)}u/${s!.toFixed(0)}s`);
  console.log(`${o.isolation}: ${jobs} jobs in ${wall.toFixed(0)} ms (${((jobs * 1000) / wall).toFixed(0)}/s); pool ${((cpu.user + cpu.system) / jobs).toFixed(0)} µs/job; executors ${total.toFixed(0)} µs/job${parts.length > 0 ? ` (${parts.join(", ")})` : ""}`);
}
await pool.close();
process.exit(0);
