/** Middleware timing each request into `faas_http_request_duration_seconds`, labelled by its route pattern and status. */
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { ApiMetrics } from "./api-metrics.ts";

/** The route label of requests no route matched (a raw path would make a label value per URL). */
export const UNMATCHED_ROUTE = "unmatched";

/** Time every request, its route being the pattern that answered it (`/status/:task_id`), never the raw path. */
export function timeRequests(metrics: ApiMetrics): MiddlewareHandler {
  return async (c, next) => {
    const t0 = performance.now();
    try {
      await next();
    } finally {
      const route = routePath(c, -1);
      metrics.observeRequest(route === "" || route.endsWith("*") ? UNMATCHED_ROUTE : route, c.res.status, (performance.now() - t0) / 1000);
    }
  };
}
