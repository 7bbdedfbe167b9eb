/** Medians over repetitions of the raw study rows, scaling efficiencies and the issue's target checks. */
import type { ResultRow, StudyName } from "./results-csv.ts";
import { median, medianOfFinite, scalingEfficiency } from "./stats.ts";

/** The median of every measured repetition of one run (mode, study, kind, worker layout, tasks). */
export interface SummaryRow {
  mode: string;
  study: StudyName;
  kind: string;
  workers: number;
  threads: number;
  processes: number;
  tasks: number;
  reps: number;
  seconds: number;
  tasksPerS: number;
  p50: number;
  p95: number;
  p99: number;
  /** Sum over the repetitions. */
  failed: number;
  /** Against the 1-worker run of the same mode, study and kind (weak/strong only; NaN otherwise). */
  efficiency: number;
  /** Median executor efficiency of the repetitions that measured it (the CPU-bound kind; NaN otherwise). */
  executorEfficiency: number;
}

/** Group rows by run and take medians; sorted by mode, study, kind, workers. */
export function summarize(rows: readonly ResultRow[]): SummaryRow[] {
  const groups = new Map<string, ResultRow[]>();
  for (const r of rows) {
    const key = [r.mode, r.study, r.kind, r.workers, r.threads, r.processes, r.tasks].join("|");
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(r);
  }
  const out: SummaryRow[] = [...groups.values()].map((g) => {
    const f = g[0]!;
    return {
      mode: f.mode, study: f.study, kind: f.kind, workers: f.workers, threads: f.threads, processes: f.processes, tasks: f.tasks,
      reps: g.length,
      seconds: median(g.map((r) => r.seconds)),
      tasksPerS: median(g.map((r) => r.tasks_per_s)),
      p50: median(g.map((r) => r.p50_ms)),
      p95: median(g.map((r) => r.p95_ms)),
      p99: median(g.map((r) => r.p99_ms)),
      failed: g.reduce((n, r) => n + r.failed, 0),
      efficiency: NaN,
      executorEfficiency: medianOfFinite(g.map((r) => r.executor_efficiency)),
    };
  });
  for (const s of out) {
    if (s.study !== "weak" && s.study !== "strong") continue;
    const base = out.find((b) => b.mode === s.mode && b.study === s.study && b.kind === s.kind && b.workers === 1);
    if (base) s.efficiency = scalingEfficiency(s.tasksPerS, s.workers, base.tasksPerS);
  }
  const order = ["local", "pull", "push"];
  const studies = ["latency", "saturation", "batch", "weak", "strong"];
  const kinds = ["noop", "sleep10", "cpu10"];
  const rank = (list: string[], v: string) => (list.includes(v) ? list.indexOf(v) : list.length);
  return out.sort((a, b) =>
    rank(order, a.mode) - rank(order, b.mode) || a.mode.localeCompare(b.mode) ||
    rank(studies, a.study) - rank(studies, b.study) || rank(kinds, a.kind) - rank(kinds, b.kind) || a.workers - b.workers);
}

/** The result of one target of the issue, for one mode. */
export interface TargetCheck {
  mode: string;
  target: string;
  /** What was measured, in words, e.g. "3,120 tasks/s (1×2)". */
  measured: string;
  /** null when the study has no data for it (or, with `noTarget`, always). */
  met: boolean | null;
  /** A figure reported as measured, with no target to meet. Default: false. */
  noTarget?: boolean;
}

/** A worker layout in words: threads for local, processes × threads for pull/push. */
export function layoutLabel(s: { mode: string; processes: number; threads: number }): string {
  return s.mode === "local" ? `${s.threads} thr` : `${s.processes}×${s.threads}`;
}

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

const pct = (v: number) => (Number.isFinite(v) ? `${Math.round(v * 100)} %` : "–");

/**
 * The issue's targets per mode: ≥ 3,000 no-op tasks/s end to end (best saturation run), p50 latency under 2 ms
 * (local) or 3 ms (pull/push) (best latency run); then two figures reported as measured, with no target: the best
 * batch run against the best saturation run, and 2 threads against 1 on the CPU kind (strong scaling) with the
 * executor efficiency of each (on 2 shared cores the ratio is bounded by the whole stack's CPU per task).
 */
export function checkTargets(summary: readonly SummaryRow[]): TargetCheck[] {
  const modes = [...new Set(summary.map((s) => s.mode))];
  const checks: TargetCheck[] = [];
  for (const mode of modes) {
    const of = (study: string, kind: string) => summary.filter((s) => s.mode === mode && s.study === study && s.kind === kind);
    const sat = of("saturation", "noop").sort((a, b) => b.tasksPerS - a.tasksPerS)[0];
    checks.push({
      mode, target: "≥ 3,000 no-op tasks/s",
      measured: sat ? `${fmt(sat.tasksPerS)} tasks/s (${layoutLabel(sat)})` : "no data",
      met: sat ? sat.tasksPerS >= 3000 : null,
    });
    const limit = mode === "local" ? 2 : 3;
    const lat = of("latency", "noop").sort((a, b) => a.p50 - b.p50)[0];
    checks.push({
      mode, target: `p50 latency < ${limit} ms`,
      measured: lat ? `${fmt(lat.p50, 2)} ms (${layoutLabel(lat)})` : "no data",
      met: lat ? lat.p50 < limit : null,
    });
    const batch = of("batch", "noop").sort((a, b) => b.tasksPerS - a.tasksPerS)[0];
    if (batch) {
      checks.push({
        mode, target: "batch path (/execute_batch + /results), no-op tasks/s", noTarget: true, met: null,
        measured: `${fmt(batch.tasksPerS)} tasks/s (${layoutLabel(batch)})${sat ? `, ${fmt(batch.tasksPerS / sat.tasksPerS, 2)}× saturation` : ""}`,
      });
    }
    const cpu = of("strong", "cpu10");
    const one = cpu.find((s) => s.processes === 1 && s.threads === 1);
    const two = cpu.find((s) => s.processes === 1 && s.threads === 2);
    const ratio = one && two ? two.tasksPerS / one.tasksPerS : NaN;
    const effs = one && two && (Number.isFinite(one.executorEfficiency) || Number.isFinite(two.executorEfficiency))
      ? `; executor efficiency ${pct(one.executorEfficiency)} → ${pct(two.executorEfficiency)}` : "";
    checks.push({
      mode, target: "CPU: 2 threads vs 1 (bounded by the whole stack's CPU per task on 2 shared cores)", noTarget: true, met: null,
      measured: Number.isNaN(ratio) ? "no data" : `${fmt(ratio, 2)}× (${fmt(one!.tasksPerS)} → ${fmt(two!.tasksPerS)} tasks/s)${effs}`,
    });
  }
  return checks;
}
