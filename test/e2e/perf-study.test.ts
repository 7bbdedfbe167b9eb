// The study runner end to end on the compiled binary: a tiny plan in local mode (batch study and executor efficiency
// included) gives a full CSV and leaves nothing behind.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseCsv } from "../../perf/study/results-csv.ts";

const repo = resolve(import.meta.dir, "../..");
const dir = mkdtempSync(join(tmpdir(), "faas-perf-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const stackDirs = () => new Set(readdirSync(tmpdir()).filter((n) => n.startsWith("faas-perf-") && !n.startsWith("faas-perf-test-")));

test("run-study measures every study and kind per layout and stops its stacks", async () => {
  if (!Bun.file(join(repo, "dist/faas")).size) throw new Error("dist/faas is missing: run `bun run build` first");
  const before = stackDirs();
  const out = join(dir, "local.csv");
  const proc = Bun.spawn([process.execPath, "perf/study/run-study.ts", "--mode", "local", "--layouts", "1x1,1x2", "--scale", "0.02",
    "--reps", "1", "--cpu-iterations", "1000", "--plain", "--out", out], { cwd: repo, stdout: "pipe", stderr: "pipe" });
  const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
  expect({ code, stderr: code === 0 ? "" : stderr }).toEqual({ code: 0, stderr: "" });
  expect(stderr).toContain("progress:");

  const rows = parseCsv(readFileSync(out, "utf8"));
  expect(rows.length).toBe(2 * 9);
  expect(new Set(rows.map((r) => `${r.study}/${r.kind}`)).size).toBe(9);
  // The batch study: /execute_batch + /results, 4 batches in flight, one row per layout (one repetition).
  const batch = rows.filter((r) => r.study === "batch");
  expect(batch.map((r) => [r.workers, r.kind, r.tasks, r.concurrency])).toEqual([[1, "noop", 400, 4], [2, "noop", 400, 4]]);
  // Executor efficiency is measured for the CPU kind only: the executor processes were found in /proc. /proc counts
  // CPU in 10 ms ticks, so each executor's share may read up to two ticks high in a run this short (a few hundred ms).
  const cores = availableParallelism();
  for (const r of rows) {
    if (r.kind === "cpu10") {
      expect(r.executor_efficiency).toBeGreaterThanOrEqual(0);
      expect(r.executor_efficiency).toBeLessThanOrEqual(1 + (0.02 * r.workers) / (r.seconds * cores));
    } else expect(r.executor_efficiency).toBeNaN();
  }
  expect(readFileSync(out, "utf8").split("\n")[1]!.endsWith(",")).toBe(true); // the latency row: an empty cell
  expect(new Set(rows.map((r) => r.workers))).toEqual(new Set([1, 2]));
  for (const r of rows) {
    expect(r.failed).toBe(0);
    expect(r.tasks_per_s).toBeGreaterThan(0);
    expect(r.p50_ms).toBeLessThanOrEqual(r.p99_ms);
    expect(r.cpu_iterations).toBe(1000);
  }
  // Every stack's temp dir (and so its processes, stopped first) is gone.
  const left = [...stackDirs()].filter((n) => !before.has(n));
  expect(left).toEqual([]);
}, 60_000);
