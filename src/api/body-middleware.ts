/** Request-body middleware: the size limit (413) and JSON as the default media type. */
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { FaasError } from "../faas-error.ts";

/**
 * Refuse bodies over `maxBytes` with 413 PAYLOAD_TOO_LARGE: by Content-Length when the request has one (the
 * common case, checked without touching the body), else while streaming the body.
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  const tooLarge = () => {
    throw new FaasError("PAYLOAD_TOO_LARGE", `request body is larger than the limit of ${maxBytes} bytes`);
  };
  const streaming = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return async (c, next) => {
    const raw = c.req.raw;
    if (!raw.body) return next();
    const length = raw.headers.get("content-length");
    if (length === null || raw.headers.has("transfer-encoding")) return streaming(c, next);
    if (Number(length) > maxBytes) tooLarge();
    return next();
  };
}

/**
 * A body sent without Content-Type is read as JSON (as the Python design did); a body with
 * another media type is still refused by the route (415).
 */
export function assumeJsonContentType(): MiddlewareHandler {
  return async (c, next) => {
    const raw = c.req.raw;
    if (raw.body && !raw.headers.has("content-type")) {
      const headers = new Headers(raw.headers);
      headers.set("content-type", "application/json");
      c.req.raw = new Request(raw, { headers });
    }
    await next();
  };
}
