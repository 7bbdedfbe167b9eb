// The performance study's pure parts: statistics, the results CSV, medians and targets, report tables, graphs.
import { describe, expect, test } from "bun:test";
import { cpuDeltaMs } from "../../perf/cpu-by-role.ts";
import { studyGraphs } from "../../perf/study/charts.ts";
import { renderSvg } from "../../perf/study/render-graphs.ts";
import { markdownTable, modeTables, replaceBetweenMarkers, targetsTable, textTable } from "../../perf/study/report-tables.ts";
import { CSV_COLUMNS, csvHeader, csvLine, parseCsv, type ResultRow } from "../../perf/study/results-csv.ts";
import { executorEfficiency, latencySummary, median, medianOfFinite, percentile, scalingEfficiency } from "../../perf/study/stats.ts";
import { BATCH_SIZE, planRuns, plannedTasks, workerLayouts } from "../../perf/study/study-plan.ts";
import { checkTargets, summarize } from "../../perf/study/summarize.ts";

function row(p: Partial<ResultRow>): ResultRow {
  return {
    mode: "local", workers: 1, threads: 1, tasks: 100, kind: "noop", seconds: 1, tasks_per_s: 100, p50_ms: 1, p95_ms: 2, p99_ms: 3,
    commit: "abc1234", study: "strong", rep: 1, processes: 1, concurrency: 64, failed: 0, cpu_iterations: 1000, executor_efficiency: NaN, ...p,
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

  test("executor efficiency is executor CPU seconds over wall seconds × cores", () => {
    expect(executorEfficiency(3, 2, 2)).toBe(0.75);
    expect(executorEfficiency(NaN, 2, 2)).toBeNaN();
    expect(executorEfficiency(1, 0, 2)).toBeNaN();
    expect(medianOfFinite([NaN, 0.4, 0.6, NaN, 0.5])).toBe(0.5);
    expect(medianOfFinite([NaN])).toBeNaN();
  });

  test("executor CPU between two snapshots: per process alive at the end, new ones in full, none seen is NaN", () => {
    const before = new Map([[10, 500], [11, 300], [12, 900]]); // 12 exits meanwhile
    const after = new Map([[10, 1500], [11, 300], [13, 250]]); // 13 is a replacement executor
    expect(cpuDeltaMs(before, after)).toBe(1000 + 0 + 250);
    expect(cpuDeltaMs(new Map([[7, 100]]), new Map([[7, 90]]))).toBe(0); // a reused pid never counts negative
    expect(cpuDeltaMs(new Map(), new Map())).toBeNaN();
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

  test("executor_efficiency is the last column, empty where not measured, and optional in older CSVs", () => {
    expect(CSV_COLUMNS.at(-1)).toBe("executor_efficiency");
    expect(csvLine(row({})).endsWith(",1000,\n")).toBe(true);
    const rows = parseCsv(csvHeader() + csvLine(row({})) + csvLine(row({ kind: "cpu10", executor_efficiency: 0.8123 })));
    expect(rows[0]!.executor_efficiency).toBeNaN();
    expect(rows[1]!.executor_efficiency).toBeCloseTo(0.812, 3);
    const old = (csvHeader() + csvLine(row({ study: "saturation" }))).replace(/,executor_efficiency\n/, "\n").replace(/,1000,\n$/, ",1000\n");
    const back = parseCsv(old, "old.csv")[0]!;
    expect(back.study).toBe("saturation");
    expect(back.executor_efficiency).toBeNaN();
    const bad = csvHeader() + csvLine(row({})).replace(/,\n$/, ",much\n");
    expect(() => parseCsv(bad, "z.csv")).toThrow('z.csv:2: "executor_efficiency" is not a number: much');
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

  test("the batch study: 20,000 no-op tasks per layout in batches of 1,000, 4 in flight, scaled like the others", () => {
    const [batch, ...rest] = planRuns(4, { studies: ["batch"] });
    expect(rest).toEqual([]);
    expect(batch).toEqual({ study: "batch", kind: "noop", tasks: 20_000, concurrency: 4, batchSize: BATCH_SIZE, warmupTasks: 5000, reps: 3 });
    expect(planRuns(1).map((r) => r.study).filter((s, i, a) => a.indexOf(s) === i)).toEqual(["latency", "saturation", "batch", "weak", "strong"]);
    expect(planRuns(1).filter((r) => r.batchSize !== undefined).map((r) => r.study)).toEqual(["batch"]);
    const small = planRuns(1, { studies: ["batch"], scale: 0.02, reps: 1 })[0]!;
    expect(small.tasks).toBe(400);
    expect(small.batchSize).toBe(BATCH_SIZE); // the batch size does not scale
    // Time budget: the batch run sends twice the saturation run's tasks per layout.
    const one = (study: string) => plannedTasks(planRuns(1, { studies: [study as "batch"] }));
    expect(one("batch")).toBe(2 * one("saturation"));
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

  test("targets: throughput and p50 latency; the CPU ratio is reported with no target", () => {
    const checks = checkTargets(summarize(rows));
    expect(checks.map((c) => c.met)).toEqual([true, true, null]);
    expect(checks[2]!.noTarget).toBe(true);
    expect(checks[2]!.measured).toBe("1.80× (100 → 180 tasks/s)");
    const slow = checkTargets(summarize(rows.map((r) => (r.kind === "cpu10" && r.workers === 2 ? { ...r, tasks_per_s: 160 } : r))));
    expect(slow[2]!.measured).toContain("1.60×");
    expect(slow[2]!.met).toBeNull();
    const text = textTable(targetsTable(checks));
    expect(text).not.toContain("1.7×");
    expect(text).toContain("bounded by the whole stack's CPU per task");
    expect(text).toContain("no target");
    expect(checkTargets(summarize([row({ mode: "push", study: "weak" })])).every((c) => c.met === null)).toBe(true);
  });

  // Batch runs beside saturation, and the CPU kind's executor efficiency (measured in 2 of 3 repetitions of one run).
  const more = [
    ...rows,
    ...[1, 2, 3].map((rep) => row({ study: "batch", rep, workers: 2, threads: 2, tasks: 20_000, concurrency: 4, tasks_per_s: [9000, 9300, 9500][rep - 1]! })),
    row({ study: "batch", workers: 4, threads: 4, tasks: 20_000, concurrency: 4, tasks_per_s: 8000, failed: 2 }),
    row({ study: "weak", kind: "cpu10", executor_efficiency: 0.44 }),
  ].map((r) => (r.study === "strong" && r.kind === "cpu10" ? { ...r, executor_efficiency: r.workers === 1 ? 0.46 : 0.81 } : r));

  test("summary: executor efficiency is the median of the repetitions that measured it", () => {
    const s = summarize([...more, row({ study: "strong", kind: "cpu10", rep: 2, executor_efficiency: 0.5 }), row({ study: "strong", kind: "cpu10", rep: 3 })]);
    expect(s.find((r) => r.study === "strong" && r.kind === "cpu10" && r.workers === 1)!.executorEfficiency).toBeCloseTo(0.48, 5);
    expect(s.find((r) => r.study === "saturation")!.executorEfficiency).toBeNaN();
    expect(s.map((r) => r.study).filter((x, i, a) => a.indexOf(x) === i)).toEqual(["latency", "saturation", "batch", "weak", "strong"]);
    const checks = checkTargets(summarize(more));
    const batch = checks.find((c) => c.target.startsWith("batch"))!;
    expect(batch).toMatchObject({ noTarget: true, met: null, measured: "9,300 tasks/s (2 thr), 3.00× saturation" });
    expect(checks.find((c) => c.target.startsWith("CPU"))!.measured).toBe("1.80× (100 → 180 tasks/s); executor efficiency 46 % → 81 %");
  });

  test("tables: the batch figure per layout next to saturation, executor efficiency next to the CPU kind", () => {
    const tables = modeTables(summarize(more), "local");
    const sat = tables.find((t) => t.title.startsWith("Saturation"))!;
    expect(sat.title).toContain("batch: 20,000 no-op tasks via /execute_batch + /results, batches of up to 1,000, 4 in flight");
    expect(sat.header).toEqual(["workers", "layout", "tasks/s", "p50", "p95", "p99", "failed", "batch tasks/s", "batch ×", "batch failed"]);
    expect(sat.rows).toEqual([
      ["2", "2 thr", "3,100", "1.00", "2.00", "3.00", "0", "9,300", "3.00×", "0"],
      ["4", "4 thr", "–", "–", "–", "–", "–", "8,000", "–", "2"],
    ]);
    const strong = tables.find((t) => t.title.startsWith("Strong"))!;
    expect(strong.header.at(-1)).toBe("CPU ~10 ms: executor efficiency");
    expect(markdownTable(strong)).toContain("| 2 | 2 thr | 180 (90 %) | 81 % |");
    expect(strong.title).toContain("CPU s in executors ÷ (wall s × cores)");
    const weak = tables.find((t) => t.title.startsWith("Weak"))!;
    expect(weak.rows[0]!.at(-1)).toBe("44 %");
    // Without batch or efficiency data the tables keep their old columns.
    const plain = modeTables(summarize(rows), "local");
    expect(plain.find((t) => t.title.startsWith("Saturation"))!.header.length).toBe(7);
    expect(plain.find((t) => t.title.startsWith("Strong"))!.header).toEqual(["workers", "layout", "CPU ~10 ms"]);
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
