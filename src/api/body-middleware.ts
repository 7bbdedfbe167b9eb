/** Request-body middleware: the size limit (413) and JSON as the default media type. */
import type { Context, MiddlewareHandler } from "hono";
import { FaasError } from "../faas-error.ts";
import { type ChunkReader, DEFAULT_DISCARD_BYTES, discardStream } from "./discard-body.ts";

/**
 * Refuse bodies over `maxBytes` with 413 PAYLOAD_TOO_LARGE: by Content-Length when the request has one (the
 * common case, checked without touching the body; `discardUnreadBody` then reads and drops it), else while
 * reading the body, which is then read on and dropped up to `discardBytes` (default 16 MiB) before the answer;
 * past that the answer closes the connection.
 */
export function limitBody(maxBytes: number, discardBytes: number = DEFAULT_DISCARD_BYTES): MiddlewareHandler {
  return async (c, next) => {
    const raw = c.req.raw;
    if (!raw.body) return next();
    const length = raw.headers.get("content-length");
    if (length === null || raw.headers.has("transfer-encoding")) await readLimited(c, raw.body, maxBytes, discardBytes);
    else if (Number(length) > maxBytes) throw tooLarge(maxBytes);
    return next();
  };
}

function tooLarge(maxBytes: number): FaasError {
  return new FaasError("PAYLOAD_TOO_LARGE", `request body is larger than the limit of ${maxBytes} bytes`);
}

/** Read a body of unknown length into memory (it is read whole anyway); over the limit, discard the rest and throw. */
async function readLimited(c: Context, body: ReadableStream<Uint8Array>, maxBytes: number, discardBytes: number): Promise<void> {
  const reader = body.getReader() as ChunkReader;
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      if (!(await discardStream(reader, discardBytes, total))) c.header("Connection", "close");
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  reader.releaseLock();
  c.req.raw = new Request(c.req.raw, { body: Buffer.concat(chunks, total) });
}

/**
 * A body sent without Content-Type is read as JSON (as the Python design did); a body with
 * another media type is still refused by the route (415).
 */
export function assumeJsonContentType(): MiddlewareHandler {
  return (c, next) => {
    const raw = c.req.raw;
    if (raw.body && !raw.headers.has("content-type")) {
      const headers = new Headers(raw.headers);
      headers.set("content-type", "application/json");
      c.req.raw = new Request(raw, { headers });
    }
    return next();
  };
}
