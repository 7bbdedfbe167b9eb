/** Finding and loading results CSVs: the newest `<date>-<mode>.csv` per mode in a directory, or given paths. */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseCsv, type ResultRow } from "./results-csv.ts";

/** The newest results file per mode in `dir` (names `YYYY-MM-DD-<mode>.csv`; the later date wins). */
export function latestCsvs(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const best = new Map<string, string>();
  for (const n of names.sort()) {
    const m = /^(\d{4}-\d{2}-\d{2})-([a-z]+)\.csv$/.exec(n);
    if (m) best.set(m[2]!, n);
  }
  return [...best.values()].map((n) => join(dir, n));
}

/** Parse and concatenate the rows of these CSV files. */
export function loadRows(paths: readonly string[]): ResultRow[] {
  return paths.flatMap((p) => parseCsv(readFileSync(p, "utf8"), p));
}

/**
 * The CSVs a command-line script works on: the paths given, else the newest per mode in `resultsDir`.
 * Exits the process with a message when there are none.
 */
export function csvSourcesOrExit(args: readonly string[], resultsDir: string): string[] {
  const sources = args.length > 0 ? args.map((a) => resolve(a)) : latestCsvs(resultsDir);
  if (sources.length === 0) {
    process.stderr.write("no results CSV found in perf/results (run perf/test_perf.sh first)\n");
    process.exit(1);
  }
  return sources;
}
