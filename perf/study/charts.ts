/** ECharts options of the study's graphs (latency, throughput, scaling efficiency), built from summary rows. */
import type { EChartsOption, SeriesOption } from "echarts";
import { KIND_SPECS, TASK_KINDS, type TaskKind } from "./task-kinds.ts";
import type { SummaryRow } from "./summarize.ts";

/** A graph: its file stem and its ECharts option. */
export interface Graph {
  name: string;
  option: EChartsOption;
  width: number;
  height: number;
}

const MODE_COLORS: Record<string, string> = { local: "#2f6fdb", pull: "#1e9e5a", push: "#e07b12" };
const FONT = "DejaVu Sans, Arial, sans-serif";
const WORKERS = [1, 2, 4, 8];
const X_NAME = "executors (local: threads · pull/push: processes × threads 1×1, 1×2, 2×2, 4×2)";

const modesOf = (s: readonly SummaryRow[]) => ["local", "pull", "push"].filter((m) => s.some((r) => r.mode === m));
const color = (mode: string) => MODE_COLORS[mode] ?? "#666";
const round = (v: number, d: number) => (Number.isFinite(v) ? Number(v.toFixed(d)) : null);

function base(title: string, subtitle: string): EChartsOption {
  return {
    backgroundColor: "#ffffff",
    textStyle: { fontFamily: FONT },
    animation: false,
    title: { text: title, subtext: subtitle, left: "center", textStyle: { fontSize: 17 }, subtextStyle: { fontSize: 12, color: "#555" } },
    legend: { bottom: 8, textStyle: { fontSize: 12 } },
  };
}

/** Three side-by-side panels, one per task kind, sharing the legend. */
function kindPanels(title: string, subtitle: string, yName: string, series: (kind: TaskKind, panel: number) => SeriesOption[], yMax?: number): EChartsOption {
  const kinds = TASK_KINDS;
  const w = 100 / kinds.length;
  return {
    ...base(title, subtitle),
    grid: kinds.map((_, i) => ({ left: `${i * w + 6}%`, width: `${w - 9}%`, top: 110, bottom: 95 })),
    xAxis: kinds.map((k, i) => ({
      type: "category", gridIndex: i, data: WORKERS.map(String), name: KIND_SPECS[k].label, nameLocation: "middle", nameGap: 28,
      nameTextStyle: { fontSize: 13, fontWeight: "bold" },
    })),
    yAxis: kinds.map((_, i) => ({ type: "value", gridIndex: i, name: i === 0 ? yName : "", max: yMax, nameTextStyle: { align: "left" } })),
    graphic: [{ type: "text", left: "center", bottom: 40, style: { text: X_NAME, fontSize: 12, fill: "#333", fontFamily: FONT } }],
    series: kinds.flatMap((k, i) => series(k, i)),
  };
}

function pick(summary: readonly SummaryRow[], mode: string, study: string, kind: string, f: (s: SummaryRow) => number, digits: number): (number | null)[] {
  return WORKERS.map((w) => {
    const s = summary.find((r) => r.mode === mode && r.study === study && r.kind === kind && r.workers === w);
    return s ? round(f(s), digits) : null;
  });
}

/** Latency of single tasks (p50 solid, p95 dashed, p99 dotted) per mode against executors. */
export function latencyGraph(summary: readonly SummaryRow[]): Graph {
  const series: SeriesOption[] = modesOf(summary).flatMap((mode) =>
    (["p50", "p95", "p99"] as const).map((p, i): SeriesOption => ({
      type: "line", name: `${mode} ${p}`, data: pick(summary, mode, "latency", "noop", (s) => s[p], 2),
      lineStyle: { color: color(mode), width: 2.5 - i * 0.5, type: (["solid", "dashed", "dotted"] as const)[i] },
      itemStyle: { color: color(mode) }, symbol: ["circle", "triangle", "diamond"][i], symbolSize: 7,
    })));
  return {
    name: "latency", width: 1000, height: 560,
    option: {
      ...base("Latency of one no-op task, submit → result (GET /result?wait)", "median of 3 repetitions × 150 sequential tasks; lower is better"),
      grid: { left: 70, right: 40, top: 95, bottom: 110 },
      xAxis: { type: "category", data: WORKERS.map(String), name: X_NAME, nameLocation: "middle", nameGap: 30 },
      yAxis: { type: "value", name: "ms" },
      legend: { bottom: 8, textStyle: { fontSize: 12 } },
      series,
    },
  };
}

/** Throughput per mode: no-op at saturation, and the 10 ms kinds in the strong-scaling runs. */
export function throughputGraph(summary: readonly SummaryRow[]): Graph {
  const modes = modesOf(summary);
  const option = kindPanels("Throughput end to end through HTTP (tasks/s)",
      "no-op: 10,000 tasks at saturation (dashed: 3,000/s target) · 10 ms kinds: 400 tasks (strong scaling) · higher is better",
      "tasks/s",
      (kind, panel) => modes.map((mode, mi): SeriesOption => ({
        type: "bar", name: mode, xAxisIndex: panel, yAxisIndex: panel, barGap: "10%",
        data: pick(summary, mode, kind === "noop" ? "saturation" : "strong", kind, (s) => s.tasksPerS, 0),
        itemStyle: { color: color(mode) },
        ...(kind === "noop" && mi === 0
          ? { markLine: { silent: true, symbol: "none", data: [{ yAxis: 3000 }], lineStyle: { color: "#c00", type: "dashed" }, label: { formatter: "3,000/s" } } }
          : {}),
      })));
  // Keep the 3,000/s target line in view on the no-op panel.
  const yAxes = option.yAxis as { max?: unknown }[];
  yAxes[0]!.max = (v: { max: number }) => Math.ceil((Math.max(v.max, 3000) * 1.1) / 500) * 500;
  return { name: "throughput", width: 1300, height: 560, option };
}

/** Scaling efficiency (tasks/s per executor ÷ 1-executor tasks/s) per mode and kind, weak or strong. */
export function efficiencyGraph(summary: readonly SummaryRow[], study: "weak" | "strong"): Graph {
  const modes = modesOf(summary);
  const subtitle = study === "weak"
    ? "tasks grow with the executors (250 no-op or 50 × 10 ms tasks each) · 100 % = perfect · grey: best possible on 2 cores for CPU work"
    : "fixed 2,000 no-op or 400 × 10 ms tasks · 100 % = perfect · grey: best possible on 2 cores for CPU work";
  return {
    name: `scaling-${study}`, width: 1300, height: 560,
    option: kindPanels(`${study === "weak" ? "Weak" : "Strong"} scaling efficiency`, subtitle, "efficiency %",
      (kind, panel) => [
        ...modes.map((mode): SeriesOption => ({
          type: "line", name: mode, xAxisIndex: panel, yAxisIndex: panel, symbolSize: 8,
          data: pick(summary, mode, study, kind, (s) => s.efficiency * 100, 0),
          lineStyle: { color: color(mode), width: 2.5 }, itemStyle: { color: color(mode) },
        })),
        ...(kind === "cpu10"
          ? [{
            type: "line", name: "2-core bound", xAxisIndex: panel, yAxisIndex: panel, symbol: "none",
            data: WORKERS.map((w) => Math.round((100 * Math.min(w, 2)) / w)),
            lineStyle: { color: "#999", type: "dashed", width: 1.5 }, itemStyle: { color: "#999" },
          } satisfies SeriesOption]
          : []),
      ], 120),
  };
}

/** Every graph of the study. */
export function studyGraphs(summary: readonly SummaryRow[]): Graph[] {
  return [latencyGraph(summary), throughputGraph(summary), efficiencyGraph(summary, "weak"), efficiencyGraph(summary, "strong")];
}
