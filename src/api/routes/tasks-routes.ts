/** Task routes: `POST /execute_function`, `GET /status/{task_id}`, `GET /result/{task_id}` (long-poll), each for the caller's tenant. */
import { createRoute, type OpenAPIHono, type z } from "@hono/zod-openapi";
import { FaasError } from "../../faas-error.ts";
import { FINAL_STATUSES, type ApiStore } from "../../store/types.ts";
import { accessOf } from "../auth-middleware.ts";
import { argumentsProblem } from "../check-args.ts";
import { parseJsonBody, parseWith } from "../validate.ts";
import {
  BEARER_SECURITY, errorContent, ExecuteFunctionHeaders, ExecuteFunctionRequest, ExecuteFunctionResponse, isUuid,
  jsonContent, MAX_TIMEOUT_SECONDS, MAX_WAIT_SECONDS, ResultQuery, ResultResponse, ROUTE_ERRORS, StatusResponse,
  TaskIdParams,
} from "../schemas.ts";

/** The route definitions (also document them in /openapi.json). */
export const executeFunctionRoute = createRoute({
  method: "post",
  path: "/execute_function",
  tags: ["tasks"],
  summary: "Run a registered function",
  description:
    "Queues a task calling the function with the given arguments; poll /status or /result with the task id. " +
    "An error answer (503 included) means no task was created, now or later (unless the reply was held up over ~0.75 s " +
    "in transit); with an Idempotency-Key a retry is always safe.",
  security: BEARER_SECURITY,
  request: {
    headers: ExecuteFunctionHeaders,
    body: { content: { "application/json": { schema: ExecuteFunctionRequest } }, required: true },
  },
  responses: {
    201: jsonContent(ExecuteFunctionResponse, "The task is queued (or, for a repeated Idempotency-Key, was queued earlier)"),
    400: errorContent("Malformed body or Idempotency-Key (BAD_REQUEST) or arguments that are not an array (INVALID_ARGUMENTS)"),
    401: errorContent("No key, or an invalid or revoked one, with --auth required (UNAUTHORIZED)"),
    404: errorContent("Unknown function_id, or another tenant's (FUNCTION_NOT_FOUND)"),
    429: errorContent("Over the key's request rate (RATE_LIMITED) or the tenant's --max-queued (QUOTA_EXCEEDED); see Retry-After"),
    413: errorContent("Body over the size limit (PAYLOAD_TOO_LARGE)"),
    503: errorContent("Redis is unreachable or did not answer in time (STORE_UNAVAILABLE); no task was created"),
  },
});

export const statusRoute = createRoute({
  method: "get",
  path: "/status/{task_id}",
  tags: ["tasks"],
  summary: "A task's status",
  security: BEARER_SECURITY,
  request: { params: TaskIdParams },
  responses: {
    200: jsonContent(StatusResponse, "QUEUED, RUNNING, COMPLETED or FAILED (CANCELLED only for a task someone cancelled)"),
    404: errorContent("Unknown, expired or malformed task id, or another tenant's task (TASK_NOT_FOUND)"),
    ...ROUTE_ERRORS,
  },
});

export const resultRoute = createRoute({
  method: "get",
  path: "/result/{task_id}",
  tags: ["tasks"],
  summary: "A task's result",
  description: `result is null until the task ends. With ?wait=SECONDS the answer comes as soon as the task ends or after the wait (at most ${MAX_WAIT_SECONDS} s).`,
  security: BEARER_SECURITY,
  request: { params: TaskIdParams, query: ResultQuery },
  responses: {
    200: jsonContent(ResultResponse, "The task's status and, once it ended, its result"),
    400: errorContent("Invalid wait (BAD_REQUEST)"),
    404: errorContent("Unknown, expired or malformed task id, or another tenant's task (TASK_NOT_FOUND)"),
    ...ROUTE_ERRORS,
  },
});

/**
 * Add the task routes to `app`. These are the hot paths (every task passes through them), so they validate with
 * the routes' zod schemas synchronously instead of through the async validator middleware; the route definitions
 * above still document them in /openapi.json.
 */
export function addTaskRoutes(app: OpenAPIHono, store: ApiStore): void {
  for (const route of [executeFunctionRoute, statusRoute, resultRoute]) app.openAPIRegistry.registerPath(route);

  app.post("/execute_function", async (c) => {
    const key = c.req.header("idempotency-key");
    const idempotencyKey = key === undefined ? undefined : parseWith(ExecuteFunctionHeaders, { "Idempotency-Key": key }, "header")["Idempotency-Key"];
    const body = await parseJsonBody(c, ExecuteFunctionRequest, isPlainExecuteBody);
    checkArgs(body.payload);
    if (!isUuid(body.function_id)) throw functionNotFound(body.function_id);
    // Ids are lower-case uuids; an upper-case spelling names the same function.
    const functionId = body.function_id.toLowerCase();
    const seconds = body.timeout_seconds;
    const timeoutMs = seconds == null ? undefined : Math.max(1, Math.round(seconds * 1000));
    const taskId = await store.createTask({ functionId, args: body.payload, timeoutMs, idempotencyKey }, accessOf(c));
    return c.json({ task_id: taskId }, 201);
  });

  app.get("/status/:task_id", async (c) => {
    const task_id = c.req.param("task_id").toLowerCase();
    checkTaskId(task_id);
    const status = await store.getTaskStatus(task_id, accessOf(c));
    if (status === null) throw taskNotFound(task_id);
    return c.json({ task_id, status }, 200);
  });

  app.get("/result/:task_id", async (c) => {
    const task_id = c.req.param("task_id").toLowerCase();
    const { wait } = plainWaitQuery(c.req.url) ?? parseWith(ResultQuery, c.req.query(), "query");
    const waitMs = wait === undefined ? 0 : Math.round(Math.min(Number(wait), MAX_WAIT_SECONDS) * 1000);
    checkTaskId(task_id);
    const access = accessOf(c);
    const task = waitMs > 0 ? await store.waitForTaskState(task_id, waitMs, access) : await store.getTaskState(task_id, access);
    if (task === null) throw taskNotFound(task_id);
    const result = FINAL_STATUSES.has(task.status) ? task.result : null;
    return c.json({ task_id, status: task.status, result }, 200);
  });
}

type ExecuteBody = z.infer<typeof ExecuteFunctionRequest>;

/**
 * True for a body ExecuteFunctionRequest accepts as it is (the common case, checked without zod): an object with
 * string `function_id` and `payload`, and `timeout_seconds` absent, null or in (0, MAX_TIMEOUT_SECONDS]. Anything
 * else goes through the schema, which refuses it or strips it; the handler reads only these three fields.
 */
function isPlainExecuteBody(v: unknown): v is ExecuteBody {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const b = v as Record<string, unknown>;
  if (typeof b.function_id !== "string" || typeof b.payload !== "string") return false;
  const t = b.timeout_seconds;
  return t === undefined || t === null || (typeof t === "number" && t > 0 && t <= MAX_TIMEOUT_SECONDS);
}

const PLAIN_WAIT = /^wait=([0-9]{1,9}(?:\.[0-9]{1,9})?)$/;

/**
 * The query of `url` when it is nothing or exactly `wait=N` (the long-poll's, read without zod); null for any other,
 * which ResultQuery then parses.
 */
function plainWaitQuery(url: string): { wait?: string } | null {
  const q = url.indexOf("?");
  if (q < 0) return {};
  const m = PLAIN_WAIT.exec(url.slice(q + 1));
  return m ? { wait: m[1] } : null;
}

/** A malformed task id is TASK_NOT_FOUND without asking the store. */
function checkTaskId(id: string): void {
  if (!isUuid(id)) throw new FaasError("TASK_NOT_FOUND", `no task with id ${quote(id)} (task ids are uuids)`);
}

/** The error for a well-formed id the store does not know (never existed, or expired). */
function taskNotFound(id: string): FaasError {
  return new FaasError("TASK_NOT_FOUND", `no task with id ${id} (unknown, or expired)`);
}

function checkArgs(payload: string): void {
  const why = argumentsProblem(payload);
  if (why !== null) {
    throw new FaasError("INVALID_ARGUMENTS", `field "payload" must be the JSON text of an array of arguments, e.g. "[1, 2]" (or, for a Python function, base64 of a pickle): ${why}`);
  }
}

function functionNotFound(id: string): FaasError {
  return new FaasError("FUNCTION_NOT_FOUND", `no function with id ${quote(id)} (function ids are uuids returned by /register_function)`);
}

/** A client-supplied id for a message: JSON-quoted and cut to a readable length. */
function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
}
