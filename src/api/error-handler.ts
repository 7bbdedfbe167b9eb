/** The one place API errors become HTTP responses: `{"error": {"code", "message"}}` with the code's status. */
import type { Context, ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import { FaasError } from "../faas-error.ts";
import type { Log } from "../log.ts";

/** Normalise anything thrown while handling a request into a FaasError (unknown errors become INTERNAL). */
export function toFaasError(err: unknown): FaasError {
  if (err instanceof FaasError) return err;
  if (err instanceof HTTPException) return fromHttpException(err);
  return new FaasError("INTERNAL", "internal server error; see the server log", 500, { cause: err });
}

/** The JSON error response for `err`. */
export function errorResponse(c: Context, err: FaasError): Response {
  if (err.status === 401) c.header("WWW-Authenticate", 'Bearer realm="bunfaas"');
  if (err.retryAfterSeconds !== undefined) c.header("Retry-After", String(Math.max(1, Math.ceil(err.retryAfterSeconds))));
  return c.json({ error: { code: err.code, message: err.message } }, err.status as 400);
}

/** The same JSON error answer outside Hono (the server's own refusals and its last-resort error handler). */
export function plainErrorResponse(err: FaasError, headers?: Record<string, string>): Response {
  return Response.json({ error: { code: err.code, message: err.message } }, { status: err.status, headers });
}

/** Hono `onError` handler: maps, logs server-side failures, answers in the error shape. */
export function createErrorHandler(log: Log): ErrorHandler {
  return (err, c) => {
    const fe = toFaasError(err);
    if (fe.status >= 500) {
      const cause = fe.cause ?? err;
      log.error("request failed", {
        method: c.req.method,
        path: c.req.path,
        code: fe.code,
        err: cause instanceof Error ? cause.message : String(cause),
        stack: fe.code === "INTERNAL" && cause instanceof Error ? cause.stack : undefined,
      });
    }
    return errorResponse(c, fe);
  };
}

/**
 * OpenAPIHono `defaultHook`: turns a failed zod validation into a 400 BAD_REQUEST naming the fields.
 * Thrown, so that `onError` stays the only place writing error responses.
 */
export function validationHook(result: { success: boolean; target: string; error?: ZodError }): void {
  if (result.success || !result.error) return;
  throw new FaasError("BAD_REQUEST", describeZodError(result.target, result.error));
}

/** E.g. `invalid request body: field "name": Invalid input: expected string, received number`. */
export function describeZodError(target: string, error: ZodError): string {
  const where = target === "json" ? "request body" : target === "query" ? "query parameter" : target;
  const parts = error.issues.map((issue) => {
    const msg = issue.message.replace(/, received undefined$/, " (missing)");
    if (issue.path.length === 0) return msg;
    const field = issue.path.map(String).join(".");
    return target === "json" ? `field "${field}": ${msg}` : `"${field}" ${msg}`;
  });
  return `invalid ${where}: ${parts.join("; ")}`;
}

function fromHttpException(err: HTTPException): FaasError {
  switch (err.status) {
    case 400:
      return err.message.startsWith("Malformed JSON")
        ? new FaasError("BAD_REQUEST", "request body is not valid JSON")
        : new FaasError("BAD_REQUEST", err.message || "bad request");
    case 404:
      return new FaasError("NOT_FOUND", err.message || "not found");
    case 413:
      return new FaasError("PAYLOAD_TOO_LARGE", err.message || "request body too large");
    case 415:
      return new FaasError("BAD_REQUEST", "request body must be JSON: send Content-Type: application/json", 415);
    default:
      return err.status >= 500
        ? new FaasError("INTERNAL", err.message || "internal server error", err.status, { cause: err })
        : new FaasError("BAD_REQUEST", err.message || "bad request", err.status);
  }
}
