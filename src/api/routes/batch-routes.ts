/** Batch routes: `POST /execute_batch` (many tasks, one Redis round trip, all or none) and `POST /results` (many results, optional wait). */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { FaasError } from "../../faas-error.ts";
import type { BatchTask } from "../../store/create-batch.ts";
import { FINAL_STATUSES, type ApiStore, type TaskState } from "../../store/types.ts";
import { accessOf } from "../auth-middleware.ts";
import { argumentsProblem } from "../check-args.ts";
import { ExecuteBatchRequest, ExecuteBatchResponse, MAX_BATCH_TASKS, ResultsRequest, ResultsResponse } from "../batch-schemas.ts";
import { BEARER_SECURITY, errorContent, ExecuteFunctionHeaders, isUuid, jsonContent, MAX_WAIT_SECONDS, ROUTE_ERRORS } from "../schemas.ts";
import { parseJsonBody, parseWith } from "../validate.ts";

export const executeBatchRoute = createRoute({
  method: "post",
  path: "/execute_batch",
  tags: ["batches"],
  summary: "Run many tasks at once",
  description:
    `Queues up to ${MAX_BATCH_TASKS} tasks (or as many as --max-body allows) in one Redis round trip, all or none: one ` +
    "invalid task refuses the whole batch, and the error message names it (`tasks[i]`). Collect the results with " +
    "POST /results or the stream GET /batches/{batch_id}/events. Rate limit and --max-queued apply as for " +
    "/execute_function (the whole batch must fit).",
  security: BEARER_SECURITY,
  request: {
    headers: ExecuteFunctionHeaders,
    body: { content: { "application/json": { schema: ExecuteBatchRequest } }, required: true },
  },
  responses: {
    201: jsonContent(ExecuteBatchResponse, "Every task is queued (or, for a repeated Idempotency-Key, the earlier batch)"),
    400: errorContent("Malformed body, or a task whose arguments are not an array (BAD_REQUEST, INVALID_ARGUMENTS; the message names tasks[i])"),
    401: errorContent("No key, or an invalid or revoked one, with --auth required (UNAUTHORIZED)"),
    404: errorContent("A task's function_id is unknown or another tenant's (FUNCTION_NOT_FOUND, naming tasks[i])"),
    413: errorContent("Body over the size limit (PAYLOAD_TOO_LARGE)"),
    429: errorContent("Over the key's request rate (RATE_LIMITED) or no room for the batch under --max-queued (QUOTA_EXCEEDED)"),
    503: errorContent("Redis is unreachable or did not answer in time (STORE_UNAVAILABLE); no task was created"),
  },
});

export const resultsRoute = createRoute({
  method: "post",
  path: "/results",
  tags: ["batches"],
  summary: "Many tasks' results",
  description:
    `The status and result of each task, in the order asked. With wait (seconds, at most ${MAX_WAIT_SECONDS}) the answer comes ` +
    "as soon as every task is final, or at the deadline with the states then.",
  security: BEARER_SECURITY,
  request: { body: { content: { "application/json": { schema: ResultsRequest } }, required: true } },
  responses: {
    200: jsonContent(ResultsResponse, "One item per task id, in order; result null until the task ends"),
    400: errorContent("Malformed body (BAD_REQUEST)"),
    404: errorContent("A task id unknown, expired, malformed or another tenant's (TASK_NOT_FOUND, naming task_ids[i])"),
    ...ROUTE_ERRORS,
  },
});

/** Add the batch routes to `app`. Validated synchronously with the schemas above, like the task routes. */
export function addBatchRoutes(app: OpenAPIHono, store: ApiStore): void {
  for (const route of [executeBatchRoute, resultsRoute]) app.openAPIRegistry.registerPath(route);

  app.post("/execute_batch", async (c) => {
    const headers = parseWith(ExecuteFunctionHeaders, { "Idempotency-Key": c.req.header("idempotency-key") }, "header");
    const body = await parseJsonBody(c, ExecuteBatchRequest);
    const tasks: BatchTask[] = body.tasks.map((t, i) => {
      if (!isUuid(t.function_id)) {
        throw new FaasError("FUNCTION_NOT_FOUND", `tasks[${i}]: no function with id ${quote(t.function_id)} (function ids are uuids); no task was created`);
      }
      const why = argumentsProblem(t.payload);
      if (why !== null) {
        throw new FaasError("INVALID_ARGUMENTS", `tasks[${i}]: field "payload" must be the JSON text of an array of arguments: ${why}; no task was created`);
      }
      const s = t.timeout_seconds;
      return { functionId: t.function_id.toLowerCase(), args: t.payload, timeoutMs: s == null ? undefined : Math.max(1, Math.round(s * 1000)) };
    });
    const { batchId, taskIds } = await store.createBatch(tasks, { idempotencyKey: headers["Idempotency-Key"] }, accessOf(c));
    return c.json({ batch_id: batchId, task_ids: taskIds }, 201);
  });

  app.post("/results", async (c) => {
    const body = await parseJsonBody(c, ResultsRequest);
    const ids = body.task_ids.map((id, i) => {
      if (!isUuid(id)) throw new FaasError("TASK_NOT_FOUND", `task_ids[${i}]: no task with id ${quote(id)} (task ids are uuids)`);
      return id.toLowerCase();
    });
    const waitMs = Math.round(Math.min(body.wait ?? 0, MAX_WAIT_SECONDS) * 1000);
    const access = accessOf(c);
    const states = waitMs > 0 ? await waitForAll(store, ids, waitMs, c.req.raw.signal, access) : await store.getTaskStates(ids, access);
    const missing = states.indexOf(null);
    if (missing >= 0) throw new FaasError("TASK_NOT_FOUND", `task_ids[${missing}]: no task with id ${ids[missing]} (unknown, or expired)`);
    const results = (states as TaskState[]).map((s, i) => ({
      task_id: ids[i]!, status: s.status, result: FINAL_STATUSES.has(s.status) ? s.result : null,
    }));
    return c.json({ results }, 200);
  });
}

/** The states once every task is final, or at the deadline (the tasks not final then read again); null for unknown ones. */
async function waitForAll(store: ApiStore, ids: string[], waitMs: number, signal: AbortSignal, access: ReturnType<typeof accessOf>): Promise<(TaskState | null)[]> {
  const states: (TaskState | null)[] = new Array(ids.length).fill(null);
  const watch = await store.watchTasks(ids, access, (finals) => {
    for (const f of finals) states[f.index] = f.state;
  });
  try {
    watch.first.forEach((s, i) => {
      if (states[i] === null) states[i] = s;
    });
    if (watch.first.includes(null) || watch.pending() === 0) return states;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, waitMs);
      signal.addEventListener("abort", () => resolve(), { once: true });
    });
    await Promise.race([watch.settled, deadline]);
    clearTimeout(timer);
  } finally {
    watch.close();
  }
  const open = ids.map((_, i) => i).filter((i) => !FINAL_STATUSES.has(states[i]!.status));
  if (open.length > 0) {
    const now = await store.getTaskStates(open.map((i) => ids[i]!), access);
    open.forEach((i, j) => (states[i] = now[j] ?? states[i]!));
  }
  return states;
}

/** A client-supplied id for a message: JSON-quoted and cut to a readable length. */
function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
}
