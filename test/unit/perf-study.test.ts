// The performance study's pure parts: statistics, the results CSV, medians and targets, report tables, graphs.
import { describe, expect, test } from "bun:test";
import { studyGraphs } from "../../perf/study/charts.ts";
import { renderSvg } from "../../perf/study/render-graphs.ts";
import { markdownTable, modeTables, replaceBetweenMarkers, textTable } from "../../perf/study/report-tables.ts";
import { csvHeader, csvLine, parseCsv, type ResultRow } from "../../perf/study/results-csv.ts";
import { latencySummary, median, percentile, scalingEfficiency } from "../../perf/study/stats.ts";
import { planRuns, plannedTasks, workerLayouts } from "../../perf/study/study-plan.ts";
import { checkTargets, summarize } from "../../perf/study/summarize.ts";

function row(p: Partial<ResultRow>): ResultRow {
  return {
    mode: "local", workers: 1, threads: 1, tasks: 100, kind: "noop", seconds: 1, tasks_per_s: 100, p50_ms: 1, p95_ms: 2, p99_ms: 3,
    commit: "abc1234", study: "strong", rep: 1, processes: 1, concurrency: 64, failed: 0, cpu_iterations: 1000, ...p,
  };
}

describe("stats", () => {
  test("nearest-rank percentiles and medians", () => {
    const v = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    expect(percentile(v, 50)).toBe(50);
    expect(percentile(v, 95)).toBe(95);
    expect(percentile(v, 99)).toBe(99);
    expect(percentile(v, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(latencySummary([1, 2, 3, 4])).toEqual({ p50: 2, p95: 4, p99: 4 });
  });

  test("scaling efficiency compares throughput per executor with the 1-executor run", () => {
    expect(scalingEfficiency(200, 2, 100)).toBe(1);
    expect(scalingEfficiency(100, 4, 100)).toBe(0.25);
    expect(scalingEfficiency(100, 0, 100)).toBeNaN();
  });
});

describe("results CSV", () => {
  test("round trip keeps every column, numbers and quoted text", () => {
    const r = row({ commit: 'a,"b"', seconds: 1.23456, p99_ms: NaN });
    const back = parseCsv(csvHeader() + csvLine(r))[0]!;
    expect(back.commit).toBe('a,"b"');
    expect(back.seconds).toBeCloseTo(1.235, 3);
    expect(back.p99_ms).toBeNaN();
    expect({ ...back, seconds: 0, p99_ms: 0 }).toEqual({ ...r, seconds: 0, p99_ms: 0 });
  });

  test("a missing column or a bad number is a clear error", () => {
    expect(() => parseCsv("mode,workers\nlocal,1\n", "x.csv")).toThrow('x.csv: missing column "threads"');
    const bad = csvHeader() + csvLine(row({})).replace(/^local,1,/, "local,one,");
    expect(() => parseCsv(bad, "y.csv")).toThrow('y.csv:2: "workers" is not a number: one');
  });
});

describe("plan", () => {
  test("layouts give 1, 2, 4, 8 executors; weak scaling grows with them, strong does not", () => {
    expect(workerLayouts("local").map((l) => l.processes * l.threads)).toEqual([1, 2, 4, 8]);
    expect(workerLayouts("push").map((l) => `${l.processes}x${l.threads}`)).toEqual(["1x1", "1x2", "2x2", "4x2"]);
    const one = planRuns(1);
    const four = planRuns(4);
    const tasks = (runs: typeof one, study: string, kind: string) => runs.find((r) => r.study === study && r.kind === kind)!.tasks;
    expect(tasks(four, "weak", "noop")).toBe(4 * tasks(one, "weak", "noop"));
    expect(tasks(four, "strong", "noop")).toBe(2000);
    expect(tasks(four, "strong", "cpu10")).toBe(tasks(one, "strong", "cpu10"));
    expect(one.find((r) => r.study === "latency")!.concurrency).toBe(1);
    expect(plannedTasks(planRuns(1, { studies: ["latency"], reps: 3 }))).toBe(150 * 3 + Math.round(150 / 4));
  });
});

describe("summary, targets and tables", () => {
  const rows = [
    ...[1, 2, 3].map((rep) => row({ study: "saturation", rep, workers: 2, threads: 2, tasks_per_s: [3100, 2900, 3300][rep - 1]! })),
    row({ study: "latency", concurrency: 1, p50_ms: 1.5 }),
    row({ study: "strong", kind: "cpu10", tasks_per_s: 100 }),
    row({ study: "strong", kind: "cpu10", workers: 2, threads: 2, tasks_per_s: 180 }),
  ];

  test("medians over repetitions and efficiency against 1 worker", () => {
    const s = summarize(rows);
    const sat = s.find((r) => r.study === "saturation")!;
    expect(sat.reps).toBe(3);
    expect(sat.tasksPerS).toBe(3100);
    expect(s.find((r) => r.kind === "cpu10" && r.workers === 2)!.efficiency).toBeCloseTo(0.9, 5);
  });

  test("targets: throughput, p50 latency and the CPU ratio", () => {
    const checks = checkTargets(summarize(rows));
    expect(checks.map((c) => c.met)).toEqual([true, true, true]);
    const slow = checkTargets(summarize(rows.map((r) => (r.kind === "cpu10" && r.workers === 2 ? { ...r, tasks_per_s: 160 } : r))));
    expect(slow[2]!.met).toBe(false);
    expect(slow[2]!.measured).toContain("1.60×");
    expect(checkTargets(summarize([row({ mode: "push", study: "weak" })])).every((c) => c.met === null)).toBe(true);
  });

  test("tables render as text and Markdown, and replace the text between markers", () => {
    const tables = modeTables(summarize(rows), "local");
    expect(tables.map((t) => t.title.split(":")[0])).toEqual(["Latency", "Saturation", "Strong scaling"]);
    expect(textTable(tables[1]!)).toContain("3,100");
    const md = markdownTable(tables[2]!);
    expect(md).toContain("| 2 | 2 thr | 180 (90 %) |");
    const doc = "a\n<!-- perf:local:start -->\nold\n<!-- perf:local:end -->\nb\n";
    expect(replaceBetweenMarkers(doc, "perf:local", "new")).toBe("a\n<!-- perf:local:start -->\nnew\n<!-- perf:local:end -->\nb\n");
    expect(() => replaceBetweenMarkers("no markers", "perf:pull", "x")).toThrow("not found");
  });

  test("graphs render to SVG with their titles and series", () => {
    const graphs = studyGraphs(summarize(rows));
    expect(graphs.map((g) => g.name)).toEqual(["latency", "throughput", "scaling-weak", "scaling-strong"]);
    const svg = renderSvg(graphs[1]!);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("Throughput end to end through HTTP");
    expect(svg).toContain("3,000/s");
  });
});
