/** Task record routes: `GET /tasks/{task_id}` (the whole record), `GET /tasks` (a page, filtered), `POST /tasks/{task_id}/cancel`, each for the caller's tenant. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { FaasError } from "../../faas-error.ts";
import { FINAL_STATUSES, type ApiStore, type TaskInfo } from "../../store/types.ts";
import { accessOf } from "../auth-middleware.ts";
import { CANCELLED_RESULT, PYTHON_CANCELLED_RESULT } from "../cancelled-error.ts";
import { CancelResponse, pageLimit, TaskListQuery, TaskListResponse, TaskRecordResponse } from "../record-schemas.ts";
import { BEARER_SECURITY, errorContent, isUuid, jsonContent, ROUTE_ERRORS, TaskIdParams } from "../schemas.ts";

const NOT_FOUND = errorContent("Unknown, expired or malformed task id, or another tenant's task (TASK_NOT_FOUND)");

/** The route definitions (also document them in /openapi.json). */
export const taskRecordRoute = createRoute({
  method: "get",
  path: "/tasks/{task_id}",
  tags: ["tasks"],
  summary: "A task's record",
  description: "Status, attempts, executor, times (ISO 8601; null until they happen), timeout and result (as in /result).",
  security: BEARER_SECURITY,
  request: { params: TaskIdParams },
  responses: { 200: jsonContent(TaskRecordResponse, "The task's record"), 404: NOT_FOUND, ...ROUTE_ERRORS },
});

export const listTasksRoute = createRoute({
  method: "get",
  path: "/tasks",
  tags: ["tasks"],
  summary: "List tasks",
  description:
    "The caller's tenant's tasks created within the result TTL (`--result-ttl`), newest first (an admin key: every tenant's), " +
    "optionally only those now in one status or of one function. Pages: pass `next_cursor` as `cursor`. A page may hold " +
    "fewer than `limit` tasks when a filter matches few (then `next_cursor` goes on); it is the last when `next_cursor` is null.",
  security: BEARER_SECURITY,
  request: { query: TaskListQuery },
  responses: {
    200: jsonContent(TaskListResponse, "A page of tasks"),
    400: errorContent("Invalid status, function_id, limit or cursor (BAD_REQUEST)"),
    ...ROUTE_ERRORS,
  },
});

export const cancelTaskRoute = createRoute({
  method: "post",
  path: "/tasks/{task_id}/cancel",
  tags: ["tasks"],
  summary: "Cancel a task",
  description:
    "A queued task never runs; a running one has its executor stopped. Either ends CANCELLED at once, with a CancelledError " +
    "as its result; long-polls on /result return. A task already COMPLETED, FAILED or CANCELLED answers 409.",
  security: BEARER_SECURITY,
  request: { params: TaskIdParams },
  responses: {
    200: jsonContent(CancelResponse, "The task is CANCELLED"),
    404: NOT_FOUND,
    409: errorContent("The task is final already: COMPLETED, FAILED or CANCELLED (TASK_FINAL)"),
    ...ROUTE_ERRORS,
  },
});

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The JSON shape of a task record. */
export function taskRecordJson(t: TaskInfo) {
  return {
    task_id: t.id,
    function_id: t.functionId,
    status: t.status,
    attempts: t.attempts,
    executor: t.executor,
    created_at: new Date(t.createdAt).toISOString(),
    started_at: iso(t.startedAt),
    finished_at: iso(t.finishedAt),
    duration_ms: t.startedAt !== null && t.finishedAt !== null ? Math.max(0, t.finishedAt - t.startedAt) : null,
    timeout_seconds: t.timeoutMs === null ? null : t.timeoutMs / 1000,
    result: FINAL_STATUSES.has(t.status) ? t.result : null,
  };
}

/** Add the task record routes to `app`. */
export function addTaskRecordRoutes(app: OpenAPIHono, store: ApiStore): void {
  app.openapi(listTasksRoute, async (c) => {
    const q = c.req.valid("query");
    const page = await store.listTasks(
      { status: q.status, functionId: q.function_id?.toLowerCase(), limit: pageLimit(q.limit), cursor: q.cursor },
      accessOf(c),
    );
    return c.json({ tasks: page.items.map(taskRecordJson), next_cursor: page.nextCursor }, 200);
  });

  app.openapi(taskRecordRoute, async (c) => {
    const id = taskId(c.req.valid("param").task_id);
    const task = await store.getTaskInfo(id, accessOf(c));
    if (task === null) throw taskNotFound(id);
    return c.json(taskRecordJson(task), 200);
  });

  app.openapi(cancelTaskRoute, async (c) => {
    const id = taskId(c.req.valid("param").task_id);
    const outcome = await store.cancelTask(id, { js: CANCELLED_RESULT, python: PYTHON_CANCELLED_RESULT }, accessOf(c));
    if (outcome === null) throw taskNotFound(id);
    if (!outcome.cancelled) throw new FaasError("TASK_FINAL", `task ${id} is ${outcome.status} already; only a queued or running task can be cancelled`);
    const previous: "QUEUED" | "RUNNING" = outcome.from === "RUNNING" ? "RUNNING" : "QUEUED";
    return c.json({ task_id: id, status: "CANCELLED" as const, previous_status: previous }, 200);
  });
}

/** The lower-case id, or TASK_NOT_FOUND for a malformed one (without asking the store). */
function taskId(raw: string): string {
  const id = raw.toLowerCase();
  if (!isUuid(id)) throw new FaasError("TASK_NOT_FOUND", `no task with id ${JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw)} (task ids are uuids)`);
  return id;
}

function taskNotFound(id: string): FaasError {
  return new FaasError("TASK_NOT_FOUND", `no task with id ${id} (unknown, or expired)`);
}
