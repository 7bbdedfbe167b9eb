/** CPU time per role of a running stack (the `faas up` whose data dir is given, and every process under it), from /proc. */
import { readdirSync, readFileSync } from "node:fs";

const TICK_MS = 10; // USER_HZ is 100 on Linux

interface Proc { pid: number; ppid: number; role: string; cpuMs: number }

function readProc(pid: number): Proc | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    const exe = argv[0]?.split("/").at(-1) ?? "";
    const role = (argv[0] ?? "").includes("redis-server") ? "redis" : argv[1] && !argv[1].startsWith("-") ? argv[1] : exe;
    return { pid, ppid: Number(rest[1]), role, cpuMs: (Number(rest[11]) + Number(rest[12])) * TICK_MS };
  } catch {
    return null; // gone meanwhile
  }
}

/** Every process of the tree under the `faas up` whose command line names `dataDir` (empty when there is none). */
function stackProcesses(dataDir: string): Proc[] {
  const procs = readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map((d) => readProc(Number(d))).filter((p): p is Proc => p !== null);
  const root = procs.find((p) => p.role === "up" && readFileSync(`/proc/${p.pid}/cmdline`, "utf8").includes(dataDir));
  if (!root) return [];
  const tree = new Set([root.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of procs) if (!tree.has(p.pid) && tree.has(p.ppid)) { tree.add(p.pid); grew = true; }
  }
  return procs.filter((p) => tree.has(p.pid));
}

/**
 * CPU milliseconds (user + system) per role (`up`, `api`, `dispatcher`, `worker`, `executor`, `redis`) of the process
 * tree under the `faas up` whose command line names `dataDir`. Processes that exited meanwhile are not counted.
 */
export function cpuByRole(dataDir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of stackProcesses(dataDir)) out[p.role] = (out[p.role] ?? 0) + p.cpuMs;
  return out;
}

/**
 * CPU milliseconds so far of each process playing `role` in that tree, by pid (e.g. `executor`: `faas executor`,
 * or `/proc/self/fd/9 executor --reap` under unshare/sh in a sandbox, both have "executor" as argv[1]).
 */
export function cpuByPid(dataDir: string, role: string): Map<number, number> {
  return new Map(stackProcesses(dataDir).filter((p) => p.role === role).map((p) => [p.pid, p.cpuMs]));
}

/**
 * CPU milliseconds spent between two {@link cpuByPid} snapshots: per process alive at the end, its CPU minus its CPU
 * at the start (all of it for a process started meanwhile). A process that exited meanwhile is not counted.
 * NaN when no process was seen in either snapshot (nothing to measure, e.g. thread isolation).
 */
export function cpuDeltaMs(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>): number {
  if (before.size === 0 && after.size === 0) return NaN;
  let ms = 0;
  for (const [pid, cpu] of after) ms += Math.max(0, cpu - (before.get(pid) ?? 0));
  return ms;
}

/** `after - before` per role, as "role N ms" per `per` tasks, sorted by cost. */
export function formatCpu(before: Record<string, number>, after: Record<string, number>, tasks: number, per = 1000): string {
  return Object.keys(after)
    .map((role) => [role, ((after[role]! - (before[role] ?? 0)) * per) / tasks] as const)
    .sort((a, b) => b[1] - a[1])
    .map(([role, ms]) => `${role} ${ms.toFixed(0)} ms`)
    .join(", ");
}
