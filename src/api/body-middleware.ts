/** Request-body middleware: the size limit (413) and JSON as the default media type. */
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { FaasError } from "../faas-error.ts";

/** Refuse bodies over `maxBytes` (by Content-Length, or while streaming) with 413 PAYLOAD_TOO_LARGE. */
export function limitBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new FaasError("PAYLOAD_TOO_LARGE", `request body is larger than the limit of ${maxBytes} bytes`);
    },
  });
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
