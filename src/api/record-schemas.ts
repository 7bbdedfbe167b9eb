/** The zod schemas of the record routes (`/tasks`, `/tasks/{task_id}`, cancel, `/functions`): requests and answers, also in the OpenAPI document. */
import { z } from "@hono/zod-openapi";
import { TASK_STATUSES } from "./schemas.ts";

/** Rows of a page when `limit` is not given. */
export const DEFAULT_PAGE_LIMIT = 20;
/** Most rows of one page. */
export const MAX_PAGE_LIMIT = 100;

const isoTime = (description: string) => z.string().nullable().openapi({ format: "date-time", description });

/** A task's record: `GET /tasks/{task_id}`, and each item of `GET /tasks`. */
export const TaskRecordResponse = z
  .object({
    task_id: z.string().openapi({ format: "uuid" }),
    function_id: z.string().openapi({ format: "uuid" }),
    status: z.enum(TASK_STATUSES),
    attempts: z.number().int().openapi({ description: "How many times an executor started it (a lost executor costs one)." }),
    executor: z.string().nullable().openapi({ description: "Who ran it last, e.g. `local/thread-2`; null until it started.", example: "local/thread-2" }),
    created_at: z.string().openapi({ format: "date-time" }),
    started_at: isoTime("When its (last) attempt started; null until one did."),
    finished_at: isoTime("When it ended (COMPLETED, FAILED or CANCELLED); null until then."),
    duration_ms: z.number().nullable().openapi({ description: "finished_at − started_at, in ms; null unless both are known." }),
    timeout_seconds: z.number().nullable().openapi({ description: "The per-call timeout it was given; null for the executor's default." }),
    result: z.string().nullable().openapi({
      description:
        "As in /result: null until it ends, then the codec JSON text of the value or of the error. In a listing, null for a " +
        "result over 64 KiB (read the task itself).",
    }),
  })
  .openapi("TaskRecord");

const limitParam = z
  .string()
  .regex(/^\s*\d{1,6}\s*$/, { message: "must be a whole number" })
  .refine((s) => Number(s) >= 1 && Number(s) <= MAX_PAGE_LIMIT, { message: `must be 1 to ${MAX_PAGE_LIMIT}` })
  .optional()
  .openapi({ param: { name: "limit", in: "query" }, description: `Rows per page (1–${MAX_PAGE_LIMIT}). Default: ${DEFAULT_PAGE_LIMIT}.`, example: "20" });

const cursorParam = z
  .string()
  .max(100)
  .optional()
  .openapi({ param: { name: "cursor", in: "query" }, description: "The `next_cursor` of the page before; none for the newest." });

const nextCursor = z.string().nullable().openapi({ description: "Pass as `cursor` for the next page; null on the last page." });

/** Query of `GET /tasks`. */
export const TaskListQuery = z.object({
  status: z.enum(TASK_STATUSES).optional().openapi({ param: { name: "status", in: "query" }, description: "Only tasks now in this status." }),
  function_id: z
    .string()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, { message: "must be a function id (a uuid)" })
    .optional()
    .openapi({ param: { name: "function_id", in: "query" }, description: "Only tasks of this function.", format: "uuid" }),
  limit: limitParam,
  cursor: cursorParam,
});

/** Answer of `GET /tasks`. */
export const TaskListResponse = z.object({ tasks: z.array(TaskRecordResponse), next_cursor: nextCursor }).openapi("TaskList");

/** Answer of `POST /tasks/{task_id}/cancel`. */
export const CancelResponse = z
  .object({
    task_id: z.string().openapi({ format: "uuid" }),
    status: z.literal("CANCELLED"),
    previous_status: z.enum(["QUEUED", "RUNNING"]).openapi({ description: "What it was when cancelled." }),
  })
  .openapi("CancelledTask");

/** Query of `GET /functions`. */
export const FunctionListQuery = z.object({ limit: limitParam, cursor: cursorParam });

/** One function in `GET /functions`. */
export const FunctionInfoResponse = z
  .object({
    function_id: z.string().openapi({ format: "uuid" }),
    name: z.string().openapi({ example: "double" }),
    created_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("FunctionInfo");

/** Answer of `GET /functions`. */
export const FunctionListResponse = z.object({ functions: z.array(FunctionInfoResponse), next_cursor: nextCursor }).openapi("FunctionList");

/** Answer of `GET /functions/{function_id}`. */
export const FunctionRecordResponse = FunctionInfoResponse.extend({
  source: z.string().openapi({ description: "The payload as registered (TypeScript before type stripping).", example: "(x: number) => x * 2" }),
}).openapi("FunctionRecord");

/** The `{function_id}` path parameter; a malformed id is answered like an unknown one (404). */
export const FunctionIdParams = z.object({
  function_id: z.string().openapi({ param: { name: "function_id", in: "path" }, format: "uuid" }),
});

/** The rows of a page's `limit` parameter as a number. */
export function pageLimit(limit: string | undefined): number {
  return limit === undefined ? DEFAULT_PAGE_LIMIT : Number(limit);
}
