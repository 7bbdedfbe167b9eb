// The pure parts of the cluster figures: the stats hash parsed into totals and histograms, and /ready's reasons.
import { expect, test } from "bun:test";
import { notReadyReason } from "../../src/api/routes/metrics-routes.ts";
import type { ClusterStats } from "../../src/store/cluster-stats.ts";
import type { DispatcherFigures } from "../../src/store/dispatcher-figures.ts";
import { parseTaskTotals, TASK_SECONDS_BUCKETS } from "../../src/store/task-stats.ts";

test("the stats hash: per-status totals, requeues, non-cumulative buckets with their sum", () => {
  const t = parseTaskTotals({
    "finished:COMPLETED": "7", "finished:FAILED": "2", requeued: "3",
    "run:b1": "4", "run:b3": "1", [`run:b${TASK_SECONDS_BUCKETS.length + 1}`]: "2", "run:sum_ms": "2500",
    "wait:b2": "5", "wait:sum_ms": "40", unrelated: "x",
  }, 12);
  expect(t.created).toBe(12);
  expect(t.finished).toEqual({ COMPLETED: 7, FAILED: 2 });
  expect(t.requeued).toBe(3);
  expect(t.run.buckets).toHaveLength(TASK_SECONDS_BUCKETS.length + 1);
  expect(t.run.buckets.slice(0, 3)).toEqual([4, 0, 1]);
  expect(t.run.count).toBe(7);
  expect(t.run.sumSeconds).toBe(2.5);
  expect(t.wait).toMatchObject({ count: 5, sumSeconds: 0.04 });
  expect(parseTaskTotals({}, 0)).toMatchObject({ created: 0, finished: {}, requeued: 0, run: { count: 0, sumSeconds: 0 } });
});

const dispatcher = (mode: string, workers: number, capacity = 10): DispatcherFigures => ({
  consumer: `d-${mode}`, mode, at: 0, held: 0, capacity,
  workers: Array.from({ length: workers }, (_, i) => ({ id: `w${i}`, slots: 2, busy: 0 })),
});
const stats = (...dispatchers: DispatcherFigures[]): ClusterStats => ({
  totals: parseTaskTotals({}, 0), queued: 0, running: 0, dispatchers,
});

test("ready needs a live dispatcher that can take work: with capacity and, remote, a worker", () => {
  expect(notReadyReason(stats())).toContain("no live dispatcher");
  expect(notReadyReason(stats(dispatcher("pull", 0, 0)))).toContain("no worker connected");
  expect(notReadyReason(stats(dispatcher("push", 0, 0), dispatcher("pull", 0, 0)))).toContain("mode push, pull");
  expect(notReadyReason(stats(dispatcher("local", 1, 0)))).toBe("the live dispatchers (1) are stopping");
  expect(notReadyReason(stats(dispatcher("local", 1)))).toBeNull();
  expect(notReadyReason(stats(dispatcher("pull", 0, 0), dispatcher("push", 2)))).toBeNull();
});
