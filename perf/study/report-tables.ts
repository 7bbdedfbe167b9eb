/** Tables of a study's medians: plain text for perf/perf.txt and Markdown for docs/performance.md. */
import { KIND_SPECS, TASK_KINDS, type TaskKind } from "./task-kinds.ts";
import { BATCH_SIZE, BATCHES_IN_FLIGHT } from "./study-plan.ts";
import { layoutLabel, type SummaryRow, type TargetCheck } from "./summarize.ts";

/** A table: header cells and rows of cells. */
export interface Table {
  title: string;
  header: string[];
  rows: string[][];
}

const n0 = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString("en-US") : "–");
const n2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : "–");
const pct = (v: number) => (Number.isFinite(v) ? `${Math.round(v * 100)} %` : "–");

/**
 * The tables of one mode: latency, saturation (one task per request) with the batch figure of the same layout
 * beside it, weak and strong scaling with the CPU kind's executor efficiency (medians over the repetitions).
 */
export function modeTables(summary: readonly SummaryRow[], mode: string): Table[] {
  const of = (study: string) => summary.filter((s) => s.mode === mode && s.study === study);
  const tables: Table[] = [];
  const lat = of("latency");
  if (lat.length > 0) {
    tables.push({
      title: `Latency: ${lat[0]!.tasks} sequential no-op tasks, submit → result with ?wait (ms)`,
      header: ["workers", "layout", "p50", "p95", "p99"],
      rows: lat.map((s) => [String(s.workers), layoutLabel(s), n2(s.p50), n2(s.p95), n2(s.p99)]),
    });
  }
  const sat = of("saturation");
  const batch = of("batch");
  if (sat.length > 0 || batch.length > 0) {
    const layouts = [...new Map([...sat, ...batch].map((s) => [`${s.processes}x${s.threads}`, s])).values()]
      .sort((a, b) => a.workers - b.workers || a.processes - b.processes);
    const same = (list: readonly SummaryRow[], l: SummaryRow) => list.find((s) => s.processes === l.processes && s.threads === l.threads);
    const title = [
      sat.length > 0 ? `Saturation: ${n0(sat[0]!.tasks)} no-op tasks, one per request, 64 requests in flight (latency under load, ms)` : "",
      batch.length > 0 ? `batch: ${n0(batch[0]!.tasks)} no-op tasks via /execute_batch + /results, batches of up to ${n0(BATCH_SIZE)}, ${BATCHES_IN_FLIGHT} in flight` : "",
    ].filter(Boolean).join("; ");
    const header = ["workers", "layout", "tasks/s", "p50", "p95", "p99", "failed"];
    if (batch.length > 0) header.push("batch tasks/s", "batch ×", "batch failed");
    tables.push({
      title: title.charAt(0).toUpperCase() + title.slice(1),
      header,
      rows: layouts.map((l) => {
        const s = same(sat, l);
        const b = same(batch, l);
        const cells = [String(l.workers), layoutLabel(l), ...(s ? [n0(s.tasksPerS), n2(s.p50), n2(s.p95), n2(s.p99), String(s.failed)] : ["–", "–", "–", "–", "–"])];
        if (batch.length > 0) cells.push(b ? n0(b.tasksPerS) : "–", b && s ? `${n2(b.tasksPerS / s.tasksPerS)}×` : "–", b ? String(b.failed) : "–");
        return cells;
      }),
    });
  }
  for (const study of ["weak", "strong"] as const) {
    const rows = of(study);
    if (rows.length === 0) continue;
    const layouts = [...new Map(rows.map((s) => [s.workers, s])).values()].sort((a, b) => a.workers - b.workers);
    const kinds = TASK_KINDS.filter((k) => rows.some((s) => s.kind === k));
    const cell = (w: number, k: TaskKind) => {
      const s = rows.find((r) => r.workers === w && r.kind === k);
      return s ? `${n0(s.tasksPerS)} (${pct(s.efficiency)})` : "–";
    };
    const tasksOf = (k: TaskKind) => [...new Set(rows.filter((r) => r.kind === k).map((r) => r.tasks))].join("/");
    // Executor efficiency of the CPU kind: CPU seconds inside executors ÷ (wall seconds × cores).
    const cpuEff = rows.some((s) => s.kind === "cpu10" && Number.isFinite(s.executorEfficiency));
    const effCell = (w: number) => pct(rows.find((r) => r.workers === w && r.kind === "cpu10")?.executorEfficiency ?? NaN);
    tables.push({
      title: `${study === "weak" ? "Weak" : "Strong"} scaling: tasks/s (efficiency vs 1 worker); tasks: ` +
        kinds.map((k) => `${KIND_SPECS[k].label} ${study === "weak" ? perWorker(rows, k) : tasksOf(k)}`).join(", ") +
        (cpuEff ? `; ${EXECUTOR_EFFICIENCY}: CPU s in executors ÷ (wall s × cores)` : ""),
      header: ["workers", "layout", ...kinds.map((k) => KIND_SPECS[k].label), ...(cpuEff ? [EXECUTOR_EFFICIENCY] : [])],
      rows: layouts.map((l) => [String(l.workers), layoutLabel(l), ...kinds.map((k) => cell(l.workers, k)), ...(cpuEff ? [effCell(l.workers)] : [])]),
    });
  }
  return tables;
}

const EXECUTOR_EFFICIENCY = `${KIND_SPECS.cpu10.label}: executor efficiency`;

function perWorker(rows: readonly SummaryRow[], k: TaskKind): string {
  const one = rows.find((r) => r.kind === k);
  return one ? `${Math.round(one.tasks / one.workers)}/worker` : "";
}

/** Target checks as a table. */
export function targetsTable(checks: readonly TargetCheck[]): Table {
  return {
    title: "Targets of the study",
    header: ["mode", "target", "measured", "met"],
    rows: checks.map((c) => [c.mode, c.target, c.measured, c.noTarget ? "no target" : c.met === null ? "no data" : c.met ? "yes" : "no"]),
  };
}

/** A table as aligned plain text (title line, then columns). */
export function textTable(t: Table): string {
  const widths = t.header.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => "  " + cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [t.title, line(t.header), ...t.rows.map(line)].join("\n");
}

/** A table as Markdown (bold title paragraph, then the table). */
export function markdownTable(t: Table): string {
  const esc = (c: string) => c.replace(/\|/g, "\\|");
  return [`**${esc(t.title)}**`, "", `| ${t.header.map(esc).join(" | ")} |`, `|${t.header.map((_, i) => (i < 2 ? " --- " : " ---: ")).join("|")}|`,
    ...t.rows.map((r) => `| ${r.map(esc).join(" | ")} |`)].join("\n");
}

/** Replace the text between `<!-- NAME:start -->` and `<!-- NAME:end -->` in `doc`; throws when the markers are missing. */
export function replaceBetweenMarkers(doc: string, name: string, content: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end, i + start.length);
  if (i < 0 || j < 0) throw new Error(`markers ${start} … ${end} not found`);
  return doc.slice(0, i + start.length) + "\n" + content.trim() + "\n" + doc.slice(j);
}
