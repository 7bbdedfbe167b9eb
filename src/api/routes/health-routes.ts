/** `GET /health`: a Redis round trip. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { ApiStore } from "../../store/types.ts";
import { errorContent, HealthResponse, jsonContent } from "../schemas.ts";

/** The route definition (also documents it in /openapi.json). */
export const healthRoute = createRoute({
  method: "get",
  path: "/health",
  tags: ["service"],
  summary: "Health check",
  description: "200 once Redis answered a round trip; 503 when it fails or takes over 1.5 s.",
  responses: {
    200: jsonContent(HealthResponse, "The API and Redis are up"),
    503: errorContent("Redis is unreachable or did not answer in time (STORE_UNAVAILABLE)"),
  },
});

/** Add the health route to `app`. */
export function addHealthRoutes(app: OpenAPIHono, store: ApiStore): void {
  app.openapi(healthRoute, async (c) => {
    await store.ping();
    return c.json({ status: "ok" as const }, 200);
  });
}
