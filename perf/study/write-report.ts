/** `bun perf/study/write-report.ts [csv...]`: perf/perf.txt and the tables of docs/performance.md from results CSVs. */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, relative, resolve } from "node:path";
import { csvSourcesOrExit, loadRows } from "./latest-results.ts";
import { machineInfo, machineLine } from "./machine-info.ts";
import { markdownTable, modeTables, replaceBetweenMarkers, targetsTable, textTable } from "./report-tables.ts";
import type { ResultRow } from "./results-csv.ts";
import { BATCH_SIZE, BATCHES_IN_FLIGHT } from "./study-plan.ts";
import { checkTargets, summarize } from "./summarize.ts";

const REPO = resolve(import.meta.dir, "../..");
const MODE_NOTE: Record<string, string> = {
  local: "workers = threads of the dispatcher's own pool (one process)",
  pull: "workers = worker processes × threads each, pulling from the dispatcher (ZeroMQ)",
  push: "workers = worker processes × threads each, pushed to by the dispatcher (ZeroMQ)",
};

/** The text of perf/perf.txt for these rows. */
export function perfText(rows: readonly ResultRow[], sources: readonly string[]): string {
  const summary = summarize(rows);
  const checks = checkTargets(summary);
  const modes = [...new Set(summary.map((s) => s.mode))];
  const commits = [...new Set(rows.map((r) => r.commit))].join(", ");
  const iters = [...new Set(rows.map((r) => r.cpu_iterations))].join(", ");
  const parts = [
    "bunfaas performance study",
    "=========================",
    `machine: ${machineLine(machineInfo(REPO)).replace(/, commit .*/, "")}`,
    `measured commit(s): ${commits}`,
    `sources: ${sources.map((s) => basename(s)).join(", ")}`,
    `cpu10 kind: ${iters} loop iterations (calibrated to ~10 ms per call in a Bun worker thread at study start)`,
    "method: each fresh stack first runs 3,000 no-op tasks (JIT warm-up); each run = 1 warm-up (a quarter of the",
    "  tasks, not recorded) + 3 repetitions; figures are medians of the repetitions. Timer: first submit → last result",
    "  received, end to end through HTTP (a lean keep-alive HTTP/1.1 client, at most 64 requests in flight: half",
    "  submit, half long-poll results). Latency: one task at a time, submit → result",
    `  with ?wait. Batch: no-op tasks through POST /execute_batch in batches of ${BATCH_SIZE.toLocaleString("en-US")}, ${BATCHES_IN_FLIGHT} batches in flight, each`,
    "  collected with POST /results (wait) until all are final; \"batch ×\" = batch tasks/s ÷ saturation tasks/s of the",
    "  layout. Executor efficiency (CPU kind): CPU seconds inside the executor processes (from /proc) ÷ (wall seconds",
    "  × cores). Everything (Redis, API, dispatcher, workers, this load generator) shares the same cores.",
    "",
  ];
  for (const mode of modes) {
    parts.push(`== ${mode} (${MODE_NOTE[mode] ?? "workers = processes × threads"}) ==`, "");
    for (const t of modeTables(summary, mode)) parts.push(textTable(t), "");
  }
  parts.push(textTable(targetsTable(checks)), "");
  return parts.join("\n");
}

/** Fill the generated sections of docs/performance.md (markers `perf:<mode>`, `perf:targets`, `perf:machine`). */
export function fillDoc(doc: string, rows: readonly ResultRow[], sources: readonly string[]): string {
  const summary = summarize(rows);
  let out = doc;
  for (const mode of ["local", "pull", "push"]) {
    const name = `perf:${mode}`;
    if (!out.includes(`<!-- ${name}:start -->`)) continue;
    const tables = modeTables(summary, mode);
    const src = sources.filter((s) => basename(s).endsWith(`-${mode}.csv`)).map((s) => `[${basename(s)}](../${relative(REPO, s)})`);
    const body = tables.length === 0
      ? `_No ${mode} results yet: run \`perf/test_perf.sh ${mode}\`._`
      : [`_${MODE_NOTE[mode]}. Medians of 3 repetitions; raw data: ${src.join(", ")}._`, ...tables.map(markdownTable)].join("\n\n");
    out = replaceBetweenMarkers(out, name, body);
  }
  if (out.includes("<!-- perf:targets:start -->")) out = replaceBetweenMarkers(out, "perf:targets", markdownTable(targetsTable(checkTargets(summary))));
  if (out.includes("<!-- perf:machine:start -->")) {
    const m = machineInfo(REPO);
    const iters = [...new Set(rows.map((r) => r.cpu_iterations))].join(", ");
    out = replaceBetweenMarkers(out, "perf:machine", [
      `- CPU: ${m.cpu}, ${m.cores} cores (virtual machine), ${m.memGiB} GiB of memory; Linux ${m.kernel}`,
      `- Bun ${m.bun} (the \`faas\` binary is compiled with it), Redis ${m.redis}`,
      `- Commit measured: ${[...new Set(rows.map((r) => r.commit))].join(", ")}`,
      `- CPU-bound kind: ${iters} loop iterations, calibrated at study start to ~10 ms per call in a Bun worker thread`,
    ].join("\n"));
  }
  return out;
}

if (import.meta.main) {
  const sources = csvSourcesOrExit(process.argv.slice(2), resolve(REPO, "perf/results"));
  const rows = loadRows(sources);
  writeFileSync(resolve(REPO, "perf/perf.txt"), perfText(rows, sources));
  const docPath = resolve(REPO, "docs/performance.md");
  if (existsSync(docPath)) writeFileSync(docPath, fillDoc(readFileSync(docPath, "utf8"), rows, sources));
  process.stderr.write(`wrote perf/perf.txt${existsSync(docPath) ? " and the tables of docs/performance.md" : ""} from ${sources.length} CSV file(s)\n`);
}
