/**
 * How fast a dead executor is replaced: a ThreadPool with process isolation (from source, sandboxed when root),
 * one job that kills its executor, then one that must wait for the replacement; prints the time per cycle.
 * `bun perf/executor-replace.ts [--rounds N] [--sandbox true|false] [--bin dist/faas]`
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { ThreadPool } from "../src/workers/thread-pool.ts";

const { values: o } = parseArgs({ options: { rounds: { type: "string", default: "20" }, sandbox: { type: "string", default: "true" }, bin: { type: "string" } } });
const command = o.bin ? [o.bin, "executor"] : [process.execPath, fileURLToPath(new URL("../src/cli.ts", import.meta.url)), "executor"];
const pool = new ThreadPool({ threads: 1, processes: { command, sandbox: o.sandbox !== "false" } });
let t = performance.now();
await pool.ready();
console.log(`first executor ready in ${(performance.now() - t).toFixed(0)} ms`);
const job = (code: string) => pool.run({ taskId: "t", functionId: code, code, args: "[]" });
await job("() => 1");
const times: number[] = [];
for (let i = 0; i < Number(o.rounds); i++) {
  const died = job("() => process.kill(process.pid, 'SIGKILL')");
  await died;
  t = performance.now(); // from the death being reported to the next job done on the replacement
  await job("() => 1");
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
const pct = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(0);
console.log(`replacement (death reported → next job done on the new executor): p50 ${pct(0.5)} ms, p90 ${pct(0.9)} ms, max ${pct(1)} ms over ${times.length}`);
await pool.close();
