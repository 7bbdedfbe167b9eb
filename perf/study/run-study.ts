/** The study runner: `bun perf/study/run-study.ts --mode local|pull|push [options]` measures one mode into a CSV. */
import { renameSync, rmSync } from "node:fs";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { cpuByPid, cpuDeltaMs } from "../cpu-by-role.ts";
import { startStack, stopAllStacks, type Stack } from "../start-stack.ts";
import { runBatch } from "./batch-run.ts";
import { calibrateCpuLoop } from "./calibrate-cpu.ts";
import { FaasHttp } from "./faas-http.ts";
import { runLatency, runLoad, type LoadResult } from "./load-run.ts";
import { gitCommit } from "./machine-info.ts";
import { createProgress, type Progress } from "./progress.ts";
import { appendCsv, startCsv, type ResultRow } from "./results-csv.ts";
import { parseStudyArgs } from "./study-args.ts";
import { executorEfficiency, latencySummary, median, medianOfFinite } from "./stats.ts";
import { planRuns, plannedTasks, type PlannedRun } from "./study-plan.ts";
import { KIND_SPECS, TASK_KINDS, type TaskKind } from "./task-kinds.ts";

const REPO = resolve(import.meta.dir, "../..");
const { mode, dispatcher, api, out, layouts, scale, reps, studies, kinds, bin, plain, ...args } = parseStudyArgs(process.argv.slice(2), REPO);

// ---- run ----
let currentStack: Stack | null = null;
let progress: Progress | null = null;
let interrupted = false;
const onSignal = (sig: NodeJS.Signals) => {
  if (interrupted) return;
  interrupted = true;
  progress?.stop();
  process.stderr.write(`\n${sig}: stopping the stack…\n`);
  void stopAllStacks().finally(() => process.exit(sig === "SIGINT" ? 130 : 143));
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

const commit = gitCommit(REPO);
process.stderr.write(`calibrating the CPU kind… `);
const cpuIterations = args.cpuIterations ?? (await calibrateCpuLoop()).iterations;
process.stderr.write(`${cpuIterations} loop iterations ≈ 10 ms in a worker thread\n`);

/** Cores the executor efficiency is measured against (the whole machine's). */
const CORES = availableParallelism();
/** No-op tasks each fresh stack runs before its first measured run (JIT warm-up, not recorded). */
const STACK_WARMUP_TASKS = Math.max(20, Math.round(3000 * scale));
const plans = layouts.map((l) => ({ layout: l, runs: planRuns(l.processes * l.threads, { scale, reps, studies, kinds }) }));
progress = createProgress({ total: plans.reduce((n, p) => n + plannedTasks(p.runs), 0), plain });
// Rows go to `<out>.partial` as they are measured; it becomes `<out>` when the study ends (an interrupted or
// failed-to-start study leaves the previous results in place).
const partial = `${out}.partial`;
startCsv(partial);
let rowsWritten = 0;
const errors: string[] = [];

async function measure(http: FaasHttp, fnId: string, run: PlannedRun, tasks: number): Promise<LoadResult> {
  const args = KIND_SPECS[run.kind].args(cpuIterations);
  const onProgress = (n: number) => progress!.tick(n);
  // Generous deadline: ten times the 1-executor ideal plus 30 s, so only lost or stuck tasks trip it.
  const timeoutMs = 30_000 + tasks * (run.kind === "noop" ? 2 : 100);
  if (run.study === "batch") {
    return runBatch({ http, functionId: fnId, args, tasks, batchSize: run.batchSize, inFlight: run.concurrency, timeoutMs, onProgress });
  }
  return run.concurrency === 1
    ? runLatency({ http, functionId: fnId, args, tasks, timeoutMs, onProgress })
    : runLoad({ http, functionId: fnId, args, tasks, concurrency: run.concurrency, timeoutMs, onProgress });
}

for (const { layout, runs } of plans) {
  if (interrupted) break;
  const workers = layout.processes * layout.threads;
  const tag = mode === "local" ? `local ${layout.threads} thr` : `${mode} ${layout.processes}×${layout.threads}`;
  progress.step(`${tag}: starting`);
  try {
    currentStack = await startStack({ mode, threads: layout.threads, processes: layout.processes, dispatcherUrl: dispatcher, apiUrl: api, bin });
    const http = new FaasHttp(currentStack.url);
    const fnIds = new Map<TaskKind, string>();
    for (const k of TASK_KINDS) fnIds.set(k, await http.register(`perf-${k}`, KIND_SPECS[k].source));
    // A fresh stack spends a sixth of the machine in JIT compiler threads over its first ~10,000 tasks: settle
    // that once per stack (not recorded) so the first measured runs are not penalised against the later ones.
    progress.step(`${tag}: JIT warm-up`);
    await runLoad({ http, functionId: fnIds.get("noop")!, args: "[]", tasks: STACK_WARMUP_TASKS, concurrency: 64, timeoutMs: 120_000 });
    for (const run of runs) {
      if (interrupted) break;
      const label = `${tag} ${run.study} ${run.kind}`;
      progress.step(`${label} warm-up`);
      await measure(http, fnIds.get(run.kind)!, run, run.warmupTasks);
      const results: LoadResult[] = [];
      const effs: number[] = [];
      for (let rep = 1; rep <= run.reps && !interrupted; rep++) {
        progress.step(`${label} ${rep}/${run.reps}`);
        // The CPU-bound kind: executor efficiency from the executors' CPU in /proc (own stacks only).
        // Its wall time is the window between the two /proc snapshots, so no CPU counted falls outside it.
        const dataDir = run.kind === "cpu10" ? currentStack.dataDir : null;
        const window0 = performance.now();
        const cpu0 = dataDir ? cpuByPid(dataDir, "executor") : null;
        const r = await measure(http, fnIds.get(run.kind)!, run, run.tasks);
        const execMs = dataDir && cpu0 ? cpuDeltaMs(cpu0, cpuByPid(dataDir, "executor")) : NaN;
        const windowS = (performance.now() - window0) / 1000;
        results.push(r);
        const lat = latencySummary(r.latenciesMs);
        const row: ResultRow = {
          mode, workers, threads: layout.threads, tasks: run.tasks, kind: run.kind, seconds: r.seconds, tasks_per_s: r.tasksPerS,
          p50_ms: lat.p50, p95_ms: lat.p95, p99_ms: lat.p99, commit, study: run.study, rep, processes: layout.processes,
          concurrency: run.concurrency, failed: r.failed, cpu_iterations: cpuIterations,
          executor_efficiency: executorEfficiency(execMs / 1000, windowS, CORES),
        };
        effs.push(row.executor_efficiency);
        appendCsv(partial, row);
        rowsWritten++;
      }
      if (results.length === 0) break;
      const med = (f: (r: LoadResult) => number) => median(results.map(f));
      const failed = results.reduce((n, r) => n + r.failed, 0);
      progress.note(`${label.padEnd(34)} ${String(run.tasks).padStart(5)} tasks  ${med((r) => r.tasksPerS).toFixed(0).padStart(6)} tasks/s  ` +
        `p50 ${med((r) => latencySummary(r.latenciesMs).p50).toFixed(2)} ms` +
        `${effs.some(Number.isFinite) ? `  executor efficiency ${(medianOfFinite(effs) * 100).toFixed(0)} %` : ""}${failed > 0 ? `  FAILED ${failed}` : ""}`);
      if (failed > 0) errors.push(`${label}: ${failed} tasks FAILED`);
    }
  } catch (err) {
    if (!interrupted) {
      const tail = currentStack?.stderrTail().trim().split("\n").slice(-10).join("\n") ?? "";
      progress.note(`${tag}: ${(err as Error).message}${tail ? `\n  stack stderr:\n${tail}` : ""}`);
      errors.push(`${tag}: ${(err as Error).message.split("\n")[0]}`);
    }
  } finally {
    await currentStack?.stop();
    currentStack = null;
  }
}
progress.stop();
if (interrupted) await new Promise(() => {}); // the signal handler exits once the stack is stopped
if (rowsWritten > 0) {
  renameSync(partial, out);
  process.stderr.write(`results: ${out}\n`);
} else {
  rmSync(partial, { force: true });
  errors.push("nothing was measured");
}
if (errors.length > 0) {
  process.stderr.write(`${errors.length} problem(s):\n  ${errors.join("\n  ")}\n`);
  process.exit(1);
}
