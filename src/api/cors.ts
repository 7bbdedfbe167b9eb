/** CORS for browser clients on other origins (`--cors-origin`): hono's `cors` middleware with the API's methods and headers. */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";

/** Methods a cross-origin page may use. */
export const CORS_METHODS = ["GET", "HEAD", "POST", "DELETE", "OPTIONS"];
/** Request headers a cross-origin page may send (`Last-Event-ID`: the client resuming an event stream). */
export const CORS_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "Last-Event-ID"];
/** Response headers a cross-origin page may read. */
export const CORS_EXPOSED_HEADERS = ["Retry-After"];
/** Seconds a browser may cache a preflight answer. */
export const CORS_MAX_AGE_SECONDS = 600;

/**
 * The CORS middleware for `origins` (exact origins such as `https://app.example.com`, or `*` for any), or
 * null when there are none (the default: no CORS headers, and OPTIONS is 405 like any unsupported method).
 * With origins, every OPTIONS request is answered 204 with the allowed methods and headers; responses to an
 * allowed origin carry `Access-Control-Allow-Origin`.
 */
export function corsFor(origins: readonly string[] | undefined): MiddlewareHandler | null {
  if (!origins || origins.length === 0) return null;
  return cors({
    origin: origins.includes("*") ? "*" : [...origins],
    allowMethods: CORS_METHODS,
    allowHeaders: CORS_HEADERS,
    exposeHeaders: CORS_EXPOSED_HEADERS,
    maxAge: CORS_MAX_AGE_SECONDS,
  });
}
