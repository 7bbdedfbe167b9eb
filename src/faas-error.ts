/** The one error base of bunfaas: every expected failure carries a stable `code`. */

/** Stable machine-readable error codes, each mapped to one HTTP status by the API. */
export type FaasErrorCode =
  | "BAD_REQUEST"
  | "INVALID_FUNCTION"
  | "INVALID_ARGUMENTS"
  | "FUNCTION_NOT_FOUND"
  | "TASK_NOT_FOUND"
  | "TASK_FINAL"
  | "BATCH_NOT_FOUND"
  | "NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
  | "HOST_NOT_ALLOWED"
  | "PAYLOAD_TOO_LARGE"
  | "STORE_UNAVAILABLE"
  | "NOT_READY"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "RATE_LIMITED"
  | "QUOTA_EXCEEDED"
  | "USAGE"
  | "CONFIG"
  | "INTERNAL";

/** An expected failure with a stable `code`; `status` is the HTTP status the API answers with. */
export class FaasError extends Error {
  override readonly name = "FaasError";
  constructor(
    readonly code: FaasErrorCode,
    message: string,
    readonly status: number = statusOf(code),
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options);
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
  /** For 429 answers: whole seconds the client should wait before trying again (the `Retry-After` header). */
  readonly retryAfterSeconds: number | undefined;
}

/** The HTTP status for an error code. */
export function statusOf(code: FaasErrorCode): number {
  switch (code) {
    case "BAD_REQUEST":
    case "INVALID_FUNCTION":
    case "INVALID_ARGUMENTS":
    case "USAGE":
    case "CONFIG":
      return 400;
    case "FUNCTION_NOT_FOUND":
    case "TASK_NOT_FOUND":
    case "BATCH_NOT_FOUND":
    case "NOT_FOUND":
      return 404;
    case "METHOD_NOT_ALLOWED":
      return 405;
    case "TASK_FINAL":
      return 409;
    case "HOST_NOT_ALLOWED":
      return 403;
    case "UNAUTHORIZED":
      return 401;
    case "FORBIDDEN":
      return 403;
    case "PAYLOAD_TOO_LARGE":
      return 413;
    case "RATE_LIMITED":
    case "QUOTA_EXCEEDED":
      return 429;
    case "STORE_UNAVAILABLE":
    case "NOT_READY":
      return 503;
    case "INTERNAL":
      return 500;
  }
}
