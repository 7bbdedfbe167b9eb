/** The raw results CSV of the performance study: one row per measured repetition; writing, appending and parsing. */
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** Which study a row belongs to. */
export type StudyName = "latency" | "saturation" | "batch" | "weak" | "strong";

/** Every study, in report order. */
export const STUDIES: readonly StudyName[] = ["latency", "saturation", "batch", "weak", "strong"];

/** One measured repetition. */
export interface ResultRow {
  /** "local", "pull" or "push". */
  mode: string;
  /** Executors in total: processes × threads. */
  workers: number;
  /** Threads per process. */
  threads: number;
  tasks: number;
  /** Task kind: noop, sleep10, cpu10. */
  kind: string;
  /** First submit → last result received. */
  seconds: number;
  tasks_per_s: number;
  /** Per-task submit → result latency percentiles (under load for throughput studies). */
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  /** `git describe --always --dirty` of the tree measured. */
  commit: string;
  study: StudyName;
  /** Repetition number, 1-based (warm-ups are not written). */
  rep: number;
  /** Worker processes (local: 1, the dispatcher itself). */
  processes: number;
  /** HTTP requests in flight at most (1 for the latency study; the batch study: batches in flight). */
  concurrency: number;
  /** Tasks that ended FAILED. */
  failed: number;
  /** Loop count of the cpu10 kind (calibrated at study start). */
  cpu_iterations: number;
  /**
   * CPU seconds inside the executor processes ÷ (wall seconds × cores), measured for the CPU-bound kind only; NaN
   * (an empty cell) where not measured. Older CSVs without the column read as NaN.
   */
  executor_efficiency: number;
}

/** Column order of the CSV: the columns first, then the study's own. */
export const CSV_COLUMNS: readonly (keyof ResultRow)[] = [
  "mode", "workers", "threads", "tasks", "kind", "seconds", "tasks_per_s", "p50_ms", "p95_ms", "p99_ms", "commit",
  "study", "rep", "processes", "concurrency", "failed", "cpu_iterations", "executor_efficiency",
];

const TEXT_COLUMNS: ReadonlySet<keyof ResultRow> = new Set(["mode", "kind", "commit", "study"]);
/** Columns measured in some rows only: NaN is written as an empty cell, and a CSV without the column reads as NaN. */
const OPTIONAL_COLUMNS: ReadonlySet<keyof ResultRow> = new Set(["executor_efficiency"]);

function cell(v: string | number, optional: boolean): string {
  if (typeof v === "number") {
    if (optional && Number.isNaN(v)) return "";
    return Number.isInteger(v) ? String(v) : v.toFixed(3);
  }
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** The header line (with newline). */
export function csvHeader(): string {
  return CSV_COLUMNS.join(",") + "\n";
}

/** One row as a CSV line (with newline). */
export function csvLine(row: ResultRow): string {
  return CSV_COLUMNS.map((c) => cell(row[c], OPTIONAL_COLUMNS.has(c))).join(",") + "\n";
}

/** Create (or truncate) `path` with the header only. */
export function startCsv(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, csvHeader());
}

/** Append one row to `path` (written at once, so an interrupted study keeps what it measured). */
export function appendCsv(path: string, row: ResultRow): void {
  appendFileSync(path, csvLine(row));
}

function splitLine(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++; }
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") { out.push(cur); cur = ""; }
    else cur += ch;
  }
  out.push(cur);
  return out;
}

/**
 * Parse a results CSV. Columns are found by header name (unknown ones ignored; missing ones throw, except the
 * optional `executor_efficiency`: NaN); a malformed line throws with its line number.
 */
export function parseCsv(text: string, source = "csv"): ResultRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length === 0) return [];
  const header = splitLine(lines[0]!);
  const index = new Map(header.map((h, i) => [h.trim(), i]));
  for (const c of CSV_COLUMNS) if (!index.has(c) && !OPTIONAL_COLUMNS.has(c)) throw new Error(`${source}: missing column "${c}"`);
  return lines.slice(1).map((line, n) => {
    const cells = splitLine(line);
    const row: Record<string, string | number> = {};
    for (const c of CSV_COLUMNS) {
      const at = index.get(c);
      if (at === undefined) { row[c] = NaN; continue; } // an optional column this CSV predates
      const raw = cells[at];
      if (OPTIONAL_COLUMNS.has(c) && (raw === undefined || raw.trim() === "")) { row[c] = NaN; continue; }
      if (raw === undefined) throw new Error(`${source}:${n + 2}: missing value for "${c}"`);
      if (TEXT_COLUMNS.has(c)) row[c] = raw;
      else {
        const v = Number(raw);
        if (raw.trim() === "" || Number.isNaN(v) && raw !== "NaN") throw new Error(`${source}:${n + 2}: "${c}" is not a number: ${raw}`);
        row[c] = v;
      }
    }
    return row as unknown as ResultRow;
  });
}
