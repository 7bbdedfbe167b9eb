/** `GET /tasks/{task_id}/logs`: what a task wrote (`console.*`, `process.stdout|stderr`), for the caller's tenant. */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { FaasError } from "../../faas-error.ts";
import type { ApiStore } from "../../store/types.ts";
import { accessOf } from "../auth-middleware.ts";
import { BEARER_SECURITY, errorContent, isUuid, jsonContent, ROUTE_ERRORS, TaskIdParams } from "../schemas.ts";

/** The answer of `GET /tasks/{task_id}/logs`. */
export const TaskLogsResponse = z
  .object({
    task_id: z.string().openapi({ format: "uuid" }),
    lines: z.array(z.object({
      ts: z.string().openapi({ format: "date-time", description: "When the line was written (ISO 8601)" }),
      stream: z.enum(["stdout", "stderr"]),
      text: z.string().openapi({ description: "The line, without its newline" }),
    })).openapi({ description: "In the order written; console.log/info/debug are stdout, console.error/warn/trace stderr" }),
    truncated: z.boolean().openapi({ description: "Lines past the cap (--task-log-lines, default 1,000 lines, and 64 KiB) were dropped" }),
  })
  .openapi("TaskLogs");

export const taskLogsRoute = createRoute({
  method: "get",
  path: "/tasks/{task_id}/logs",
  tags: ["tasks"],
  summary: "What a task wrote",
  description:
    "The lines the task wrote with console.* or process.stdout/stderr.write, captured in its executor and stored with its " +
    "outcome (also when its executor died, and up to a cancel); empty until then. Kept as long as the task record.",
  security: BEARER_SECURITY,
  request: { params: TaskIdParams },
  responses: {
    200: jsonContent(TaskLogsResponse, "The task's log lines"),
    404: errorContent("Unknown, expired or malformed task id, or another tenant's task (TASK_NOT_FOUND)"),
    ...ROUTE_ERRORS,
  },
});

/** Add `GET /tasks/{task_id}/logs` to `app`. */
export function addTaskLogRoutes(app: OpenAPIHono, store: ApiStore): void {
  app.openAPIRegistry.registerPath(taskLogsRoute);
  app.get("/tasks/:task_id/logs", async (c) => {
    const task_id = c.req.param("task_id").toLowerCase();
    if (!isUuid(task_id)) throw new FaasError("TASK_NOT_FOUND", `no task with id ${JSON.stringify(task_id.slice(0, 80))} (task ids are uuids)`);
    const logs = await store.getTaskLogs(task_id, accessOf(c));
    if (logs === null) throw new FaasError("TASK_NOT_FOUND", `no task with id ${task_id} (unknown, or expired)`);
    const lines = logs.lines.map((l) => ({ ts: new Date(l.ts).toISOString(), stream: l.stream, text: l.text }));
    return c.json({ task_id, lines, truncated: logs.truncated }, 200);
  });
}
