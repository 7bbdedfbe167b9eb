/** `GET /metrics` (Prometheus text, prom-client), `GET /ready` (can the cluster take work?) and `GET /stats` (the same figures as JSON). */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { FaasError } from "../../faas-error.ts";
import type { ClusterStats } from "../../store/cluster-stats.ts";
import type { ApiStore } from "../../store/types.ts";
import type { ApiMetrics } from "../api-metrics.ts";
import { errorResponse } from "../error-handler.ts";
import { BEARER_SECURITY, errorContent, jsonContent } from "../schemas.ts";

const ReadyResponse = z.object({
  status: z.literal("ready"),
  dispatchers: z.number().int().openapi({ description: "Live dispatchers that can take work" }),
  workers: z.number().int().openapi({ description: "Workers connected to them (a local dispatcher's pool counts as one)" }),
}).openapi("Ready");

const WorkerStats = z.object({
  id: z.string(),
  slots: z.number().int().openapi({ description: "Task slots (threads, lanes or registered capacity)" }),
  busy: z.number().int().openapi({ description: "Slots running or holding a task now" }),
  runtimes: z.array(z.string()).optional().openapi({ description: "The runtimes its executors have (js, python); absent: js only" }),
});

const StatsResponse = z.object({
  at: z.string().openapi({ description: "When these were read (ISO 8601)" }),
  created: z.number().int().openapi({ description: "Tasks created so far (cluster-wide)" }),
  finished: z.record(z.string(), z.number().int()).openapi({ description: "Final tasks so far, by status" }),
  requeued: z.number().int(),
  queued: z.number().int().openapi({ description: "Tasks now QUEUED" }),
  running: z.number().int().openapi({ description: "Tasks now RUNNING" }),
  dispatchers: z.array(z.object({
    id: z.string(),
    mode: z.string(),
    held: z.number().int().openapi({ description: "Tasks it took from the queue and has not settled" }),
    capacity: z.number().int(),
    workers: z.array(WorkerStats),
  })),
}).openapi("Stats");

/** The route definitions (also document them in /openapi.json). */
export const metricsRoute = createRoute({
  method: "get",
  path: "/metrics",
  tags: ["service"],
  summary: "Prometheus metrics",
  description: "The Prometheus text exposition format. Task totals, queue depth, running tasks, workers and the run/wait "
    + "histograms are the cluster's, read from Redis (any API process answers the same); request durations are this process's.",
  security: BEARER_SECURITY,
  responses: {
    200: { content: { "text/plain": { schema: z.string() } }, description: "The metrics" },
    503: errorContent("Redis is unreachable (STORE_UNAVAILABLE)"),
  },
});

export const readyRoute = createRoute({
  method: "get",
  path: "/ready",
  tags: ["service"],
  summary: "Readiness check",
  description: "200 when Redis answers and at least one live dispatcher can take work (in pull and push modes: with at "
    + "least one worker connected); 503 NOT_READY with the reason otherwise. `/health` is the liveness check.",
  responses: {
    200: jsonContent(ReadyResponse, "Tasks submitted now will run"),
    503: errorContent("Not ready (NOT_READY): Redis unreachable, no live dispatcher, or no worker connected"),
  },
});

export const statsRoute = createRoute({
  method: "get",
  path: "/stats",
  tags: ["service"],
  summary: "Cluster figures as JSON",
  description: "What `/metrics` reports, as JSON, with each live dispatcher and its workers' load (the dashboard reads it).",
  security: BEARER_SECURITY,
  responses: {
    200: jsonContent(StatsResponse, "The figures"),
    503: errorContent("Redis is unreachable (STORE_UNAVAILABLE)"),
  },
});

/** Why the cluster cannot take work now, or null when it can. */
export function notReadyReason(stats: ClusterStats): string | null {
  if (stats.dispatchers.length === 0) return "no live dispatcher: start `faas dispatcher` (or `faas up`)";
  const pythonWaiting = stats.dispatchers.reduce((n, d) => n + (d.pythonWaiting ?? 0), 0);
  if (pythonWaiting > 0 && !stats.dispatchers.some((d) => d.workers.some((w) => w.runtimes?.includes("python")))) {
    return `${pythonWaiting} task(s) of Python functions wait: no worker has Python (python3 with dill on its executors' PATH)`;
  }
  const able = stats.dispatchers.filter((d) => d.capacity > 0 && d.workers.length > 0);
  if (able.length > 0) return null;
  const modes = [...new Set(stats.dispatchers.map((d) => d.mode))].join(", ");
  if (stats.dispatchers.every((d) => d.workers.length > 0)) return `the live dispatchers (${stats.dispatchers.length}) are stopping`;
  return `no worker connected to the live dispatchers (${stats.dispatchers.length}, mode ${modes}): start \`faas worker\``;
}

/** Add `/metrics`, `/ready` and `/stats` to `app`. */
export function addMetricsRoutes(app: OpenAPIHono, store: ApiStore, metrics: ApiMetrics): void {
  app.openapi(metricsRoute, async (c) => {
    const text = await metrics.render();
    return c.body(text, 200, { "content-type": metrics.registry.contentType }) as never;
  });
  app.openapi(readyRoute, async (c) => {
    let stats: ClusterStats;
    try {
      stats = await store.clusterStats();
    } catch {
      return errorResponse(c, new FaasError("NOT_READY", "the task store (Redis) is unavailable")) as never;
    }
    const reason = notReadyReason(stats);
    if (reason !== null) return errorResponse(c, new FaasError("NOT_READY", reason)) as never;
    const able = stats.dispatchers.filter((d) => d.capacity > 0 && d.workers.length > 0);
    return c.json({ status: "ready" as const, dispatchers: able.length, workers: able.reduce((n, d) => n + d.workers.length, 0) }, 200);
  });
  app.openapi(statsRoute, async (c) => {
    const s = await store.clusterStats();
    return c.json({
      at: new Date().toISOString(), created: s.totals.created, finished: s.totals.finished, requeued: s.totals.requeued,
      queued: s.queued, running: s.running,
      dispatchers: s.dispatchers.map((d) => ({ id: d.consumer, mode: d.mode, held: d.held, capacity: d.capacity, workers: d.workers })),
    }, 200);
  });
}
