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

/**
 * CPU milliseconds (user + system) per role (`up`, `api`, `dispatcher`, `worker`, `executor`, `redis`) of the process
 * tree under the `faas up` whose command line names `dataDir`. Processes that exited meanwhile are not counted.
 */
export function cpuByRole(dataDir: string): Record<string, number> {
  const procs = readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map((d) => readProc(Number(d))).filter((p): p is Proc => p !== null);
  const root = procs.find((p) => p.role === "up" && readFileSync(`/proc/${p.pid}/cmdline`, "utf8").includes(dataDir));
  const out: Record<string, number> = {};
  if (!root) return out;
  const tree = new Set([root.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of procs) if (!tree.has(p.pid) && tree.has(p.ppid)) { tree.add(p.pid); grew = true; }
  }
  for (const p of procs) if (tree.has(p.pid)) out[p.role] = (out[p.role] ?? 0) + p.cpuMs;
  return out;
}

/** `after - before` per role, as "role N ms" per `per` tasks, sorted by cost. */
export function formatCpu(before: Record<string, number>, after: Record<string, number>, tasks: number, per = 1000): string {
  return Object.keys(after)
    .map((role) => [role, ((after[role]! - (before[role] ?? 0)) * per) / tasks] as const)
    .sort((a, b) => b[1] - a[1])
    .map(([role, ms]) => `${role} ${ms.toFixed(0)} ms`)
    .join(", ");
}
