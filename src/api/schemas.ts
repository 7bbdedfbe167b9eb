/** The zod schemas of the REST API: they validate requests and generate the OpenAPI document. */
import { z } from "@hono/zod-openapi";

/** Longest accepted long-poll wait, in seconds; longer waits are clamped to it. */
export const MAX_WAIT_SECONDS = 60;
/** Longest accepted per-task timeout override, in seconds (one day). */
export const MAX_TIMEOUT_SECONDS = 86_400;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a canonical 8-4-4-4-12 hex uuid (any version). */
export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}

/** Every task status; CANCELLED only for tasks someone cancelled (`POST /tasks/{task_id}/cancel`). */
export const TASK_STATUSES = ["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"] as const;

/** Every error response: `{"error": {"code", "message"}}`. */
export const ErrorResponse = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "TASK_NOT_FOUND" }),
      message: z.string().openapi({ example: "no task with id 9b2f0c8e-…" }),
    }),
  })
  .openapi("Error");

/** Body of `POST /register_function`. */
export const RegisterFunctionRequest = z
  .object({
    name: z.string().min(1).max(256).openapi({ example: "double" }),
    payload: z.string().openapi({
      description: "Source of one JavaScript or TypeScript function expression or arrow function.",
      example: "(x: number) => x * 2",
    }),
  })
  .openapi("RegisterFunctionRequest");

/** Answer of `POST /register_function`. */
export const RegisterFunctionResponse = z
  .object({ function_id: z.string().openapi({ format: "uuid" }) })
  .openapi("RegisterFunctionResponse");

/** Body of `POST /execute_function`. */
export const ExecuteFunctionRequest = z
  .object({
    function_id: z.string().openapi({ format: "uuid", example: "3f1c2a9e-8a5b-4c1d-9e2f-0a1b2c3d4e5f" }),
    payload: z.string().openapi({
      description: "The arguments: codec JSON text of an array (plain JSON arrays are valid).",
      example: "[21]",
    }),
    timeout_seconds: z
      .number()
      .positive()
      .max(MAX_TIMEOUT_SECONDS)
      .nullish()
      .openapi({ description: "Per-call task timeout override, in seconds (0 < t ≤ 86400). Default: the executor's." }),
  })
  .openapi("ExecuteFunctionRequest");

/** Longest accepted `Idempotency-Key` header, in characters. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

/** Headers of `POST /execute_function`: the optional `Idempotency-Key` (1–200 printable ASCII characters). */
export const ExecuteFunctionHeaders = z.object({
  "Idempotency-Key": z
    .string()
    .min(1)
    .max(MAX_IDEMPOTENCY_KEY_LENGTH)
    .regex(/^[\x20-\x7e]*$/, { message: "must be printable ASCII" })
    .optional()
    .openapi({
      param: { name: "Idempotency-Key", in: "header" },
      description:
        `Makes the call safe to retry: the same key within 24 h answers with the same task_id and creates no second task ` +
        `(the body of a repeat is not compared). 1–${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters.`,
      example: "order-1234-attempt",
    }),
});

/** Answer of `POST /execute_function`. */
export const ExecuteFunctionResponse = z
  .object({ task_id: z.string().openapi({ format: "uuid" }) })
  .openapi("ExecuteFunctionResponse");

/** The `{task_id}` path parameter; a malformed id is answered like an unknown one (404). */
export const TaskIdParams = z.object({
  task_id: z.string().openapi({ param: { name: "task_id", in: "path" }, format: "uuid" }),
});

/** Answer of `GET /status/{task_id}`. */
export const StatusResponse = z
  .object({
    task_id: z.string().openapi({ format: "uuid" }),
    status: z.enum(TASK_STATUSES),
  })
  .openapi("TaskStatus");

/** Query of `GET /result/{task_id}`. */
export const ResultQuery = z.object({
  wait: z
    .string()
    .refine((s) => /^\s*[0-9]*\.?[0-9]+([eE][+-]?[0-9]+)?\s*$/.test(s) && Number.isFinite(Number(s)), {
      message: "must be a number of seconds ≥ 0",
    })
    .optional()
    .openapi({
      param: { name: "wait", in: "query" },
      description: `Long-poll: answer as soon as the task ends, or after this many seconds (0 ≤ wait; clamped to ${MAX_WAIT_SECONDS}).`,
      example: "30",
    }),
});

/** Answer of `GET /result/{task_id}`. */
export const ResultResponse = z
  .object({
    task_id: z.string().openapi({ format: "uuid" }),
    status: z.enum(TASK_STATUSES),
    result: z.string().nullable().openapi({
      description:
        "Null until the task ends; then the codec JSON text of the value (COMPLETED) or of the error (FAILED; CANCELLED: a CancelledError).",
    }),
  })
  .openapi("TaskResult");

/** Answer of `GET /health`. */
export const HealthResponse = z.object({ status: z.literal("ok") }).openapi("Health");

/** JSON response content for a schema, for `createRoute`. */
export function jsonContent<T extends z.ZodType>(schema: T, description: string) {
  return { content: { "application/json": { schema } }, description };
}

/** The error response content, for `createRoute`. */
export function errorContent(description: string) {
  return jsonContent(ErrorResponse, description);
}

/** The errors any keyed route that reads Redis may answer: 401, 429 (rate) and 503, as the OpenAPI document lists them. */
export const ROUTE_ERRORS = {
  401: errorContent("No key, or an invalid or revoked one, with --auth required (UNAUTHORIZED)"),
  429: errorContent("Over the key's request rate (RATE_LIMITED); see Retry-After"),
  503: errorContent("Redis is unreachable or did not answer in time (STORE_UNAVAILABLE)"),
};

/** Name of the bearer security scheme in the OpenAPI document. */
export const BEARER_SCHEME = "bearer";

/** `security` of a route that needs a key (when the API runs with `--auth required`). */
export const BEARER_SECURITY = [{ [BEARER_SCHEME]: [] }];

/** One API key as `GET /keys` shows it (never the key itself). */
export const ApiKeyInfo = z
  .object({
    id: z.string().openapi({ example: "key_3f9a1c2b4d5e" }),
    name: z.string().openapi({ example: "ci" }),
    tenant: z.string().openapi({ example: "acme" }),
    admin: z.boolean(),
    created: z.string().openapi({ format: "date-time" }),
    last_used: z.string().nullable().openapi({ format: "date-time", description: "To within a few seconds; null when never used." }),
  })
  .openapi("ApiKey");

/** Answer of `GET /keys`. */
export const ApiKeyList = z.object({ keys: z.array(ApiKeyInfo) }).openapi("ApiKeyList");

/** The `{key_id}` path parameter. */
export const KeyIdParams = z.object({ key_id: z.string().openapi({ param: { name: "key_id", in: "path" }, example: "key_3f9a1c2b4d5e" }) });

/** Answer of `DELETE /keys/{key_id}`. */
export const RevokedResponse = z.object({ revoked: z.string() }).openapi("Revoked");
