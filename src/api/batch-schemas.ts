/** The zod schemas of the batch and stream routes (`/execute_batch`, `/results`, the SSE streams). */
import { z } from "@hono/zod-openapi";
import { ExecuteFunctionRequest, MAX_WAIT_SECONDS } from "./schemas.ts";

/** Most tasks in one `POST /execute_batch` (and ids in one `POST /results`); `--max-body` may bound it lower. */
export const MAX_BATCH_TASKS = 10_000;

const TASK_STATUSES = ["QUEUED", "RUNNING", "COMPLETED", "FAILED"] as const;

/** Body of `POST /execute_batch`. */
export const ExecuteBatchRequest = z
  .object({
    tasks: z.array(ExecuteFunctionRequest).min(1).max(MAX_BATCH_TASKS).openapi({
      description: `1–${MAX_BATCH_TASKS} tasks, each as the body of /execute_function. All are created, or none.`,
    }),
  })
  .openapi("ExecuteBatchRequest");

/** Answer of `POST /execute_batch`. */
export const ExecuteBatchResponse = z
  .object({
    batch_id: z.string().openapi({ format: "uuid" }),
    task_ids: z.array(z.string().openapi({ format: "uuid" })).openapi({ description: "One per task, in the order of the request." }),
  })
  .openapi("ExecuteBatchResponse");

/** Body of `POST /results`. */
export const ResultsRequest = z
  .object({
    task_ids: z.array(z.string()).min(1).max(MAX_BATCH_TASKS),
    wait: z.number().min(0).optional().openapi({
      description: `Answer as soon as every task is final, or after this many seconds (clamped to ${MAX_WAIT_SECONDS}). Default: 0 (no wait).`,
      example: 30,
    }),
  })
  .openapi("ResultsRequest");

/** One task's state, as `/results` and the SSE streams show it. */
export const TaskResultItem = z
  .object({
    task_id: z.string().openapi({ format: "uuid" }),
    status: z.enum(TASK_STATUSES),
    result: z.string().nullable().openapi({ description: "Null until the task ends; then codec JSON text, as in /result." }),
  })
  .openapi("TaskResultItem");

/** Answer of `POST /results`. */
export const ResultsResponse = z.object({ results: z.array(TaskResultItem).openapi({ description: "In the order of task_ids." }) }).openapi("Results");

/** The `{batch_id}` path parameter. */
export const BatchIdParams = z.object({
  batch_id: z.string().openapi({ param: { name: "batch_id", in: "path" }, format: "uuid" }),
});

/** The `Last-Event-ID` header of the SSE streams. */
export const LastEventIdHeaders = z.object({
  "Last-Event-ID": z.string().optional().openapi({
    param: { name: "Last-Event-ID", in: "header" },
    description: "Resume a stream: the `id` of the last event received (see the route's description).",
    example: "120",
  }),
});
