/** The REST API application: routes, validation, docs and the error mapping, around an ApiStore. */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Log } from "../log.ts";
import type { ApiStore } from "../store/types.ts";
import { authenticate, type AuthOptions } from "./auth-middleware.ts";
import { assumeJsonContentType, limitBody } from "./body-middleware.ts";
import { corsFor } from "./cors.ts";
import { DEFAULT_DISCARD_BYTES, discardUnreadBody } from "./discard-body.ts";
import { ApiMetrics } from "./api-metrics.ts";
import { createErrorHandler, validationHook } from "./error-handler.ts";
import { guardStore } from "./guard-store.ts";
import { createNotFoundHandler } from "./not-found.ts";
import { addBatchRoutes } from "./routes/batch-routes.ts";
import { addDocsRoutes } from "./routes/docs-routes.ts";
import { addEventRoutes } from "./routes/events-routes.ts";
import { addFunctionRoutes } from "./routes/functions-routes.ts";
import { addHealthRoutes } from "./routes/health-routes.ts";
import { addMetricsRoutes } from "./routes/metrics-routes.ts";
import { addUiRoutes } from "./routes/ui-routes.ts";
import { addKeyRoutes } from "./routes/keys-routes.ts";
import { addTaskRecordRoutes } from "./routes/task-records-routes.ts";
import { addTaskRoutes } from "./routes/tasks-routes.ts";
import { addTaskLogRoutes } from "./routes/task-logs-routes.ts";
import { BEARER_SCHEME } from "./schemas.ts";
import { timeRequests } from "./time-requests.ts";

/** Default request-body limit: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** What {@link createApp} needs. */
export interface ApiDeps {
  /** Where functions and tasks live. */
  store: ApiStore;
  /** Server-side failures (5xx) are logged here. */
  log: Log;
  /** Largest accepted request body, in bytes. Default: 1 MiB (1048576). */
  maxBodyBytes?: number;
  /** Most of a refused request's unread body read and dropped before answering, in bytes. Default: 16 MiB. */
  discardBytes?: number;
  /** Origins allowed to call from browsers (`--cors-origin`; `*` for any). Default: none (no CORS headers). */
  corsOrigins?: readonly string[];
  /** Bearer-key authentication and the per-key rate limit. Default: off (every request is tenant "default"). */
  auth?: AuthOptions;
  /** Version shown in the OpenAPI document. Default: "0.1.0". */
  version?: string;
}

/** The Hono app of the REST API; serve it with `serveApi` or call `app.request(...)` directly. */
export function createApp(deps: ApiDeps): OpenAPIHono {
  const store = guardStore(deps.store);
  const app = new OpenAPIHono({ defaultHook: validationHook });
  const metrics = new ApiMetrics(() => store.clusterStats());
  app.use("*", timeRequests(metrics));
  const corsMiddleware = corsFor(deps.corsOrigins);
  if (corsMiddleware) app.use("*", corsMiddleware);
  const discardBytes = deps.discardBytes ?? DEFAULT_DISCARD_BYTES;
  app.use("*", discardUnreadBody(discardBytes));
  app.use("*", limitBody(deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, discardBytes));
  app.use("*", assumeJsonContentType());
  // With auth off every request is tenant "default" (accessOf's fallback): no middleware at all on the hot path.
  if ((deps.auth?.mode ?? "off") !== "off") app.use("*", authenticate(store, deps.auth));
  app.openAPIRegistry.registerComponent("securitySchemes", BEARER_SCHEME, { type: "http", scheme: "bearer", description: "An API key from `faas keys create`" });
  addFunctionRoutes(app, store);
  addTaskRoutes(app, store);
  addTaskLogRoutes(app, store);
  addTaskRecordRoutes(app, store);
  addBatchRoutes(app, store);
  addEventRoutes(app, store);
  addHealthRoutes(app, store);
  addMetricsRoutes(app, store, metrics);
  addUiRoutes(app);
  addKeyRoutes(app, store);
  addDocsRoutes(app, { title: "bunfaas", version: deps.version ?? "0.1.0" });
  app.onError(createErrorHandler(deps.log));
  app.notFound(createNotFoundHandler(() => app.routes));
  return app;
}
