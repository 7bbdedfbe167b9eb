/** What the study ran on: CPU, cores, memory, kernel, Bun and Redis versions, and the git commit measured. */
import { cpus, release, totalmem } from "node:os";

/** The machine and software versions of a study. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memGiB: number;
  kernel: string;
  bun: string;
  redis: string;
  commit: string;
}

function run(cmd: string[], cwd?: string): string {
  try {
    const r = Bun.spawnSync(cmd, { cwd, stdout: "pipe", stderr: "ignore" });
    return r.success ? r.stdout.toString().trim() : "";
  } catch {
    return "";
  }
}

/** Files the study itself writes: changes there do not make the measured tree "dirty". */
const STUDY_OUTPUTS = ["perf/results", "perf/graphs", "perf/perf.txt", "docs/performance.md"];

/**
 * The short commit of the repository at `repoDir`, with `-dirty` when files other than the study's own outputs
 * have uncommitted changes (so the second and third modes of a study are not marked dirty by the first one's
 * CSV); "unknown" outside git.
 */
export function gitCommit(repoDir: string): string {
  const head = run(["git", "rev-parse", "--short", "HEAD"], repoDir);
  if (!head) return "unknown";
  const changed = run(["git", "status", "--porcelain", "--", ".", ...STUDY_OUTPUTS.map((p) => `:(exclude)${p}`)], repoDir);
  return changed ? `${head}-dirty` : head;
}

/** Collect the machine facts (the CPU model from the first CPU's name, as /proc/cpuinfo reports it). */
export function machineInfo(repoDir: string): MachineInfo {
  const redis = /v=(\S+)/.exec(run(["redis-server", "--version"]))?.[1] ?? "not found";
  return {
    cpu: cpus()[0]?.model.trim() || "unknown",
    cores: navigator.hardwareConcurrency,
    memGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    bun: Bun.version,
    redis,
    commit: gitCommit(repoDir),
  };
}

/** One line: "AMD EPYC, 2 cores, 24 GiB, Linux 6.x, Bun 1.x, Redis 7.x, commit abc1234". */
export function machineLine(m: MachineInfo): string {
  return `${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB, Linux ${m.kernel}, Bun ${m.bun}, Redis ${m.redis}, commit ${m.commit}`;
}
