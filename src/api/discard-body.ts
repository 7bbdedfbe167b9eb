/** Reading and discarding the unread body of a refused request, so clients that send it all before reading still get the answer. */
import type { MiddlewareHandler } from "hono";

/** The part of a stream reader this needs (Bun's and the DOM's reader types differ). */
export interface ChunkReader {
  read(): Promise<{ done: true; value?: undefined } | { done: false; value: Uint8Array }>;
  releaseLock(): void;
}

/**
 * Default of the most of a refused request's body the API reads and throws away before answering: 16 MiB.
 * A client that writes its whole body before it reads (Python `urllib`, `Connection: close` without
 * `Expect: 100-continue`) gets a broken pipe instead of the answer when the server closes the connection on
 * unread data; a body announced larger than this is not read at all and its connection is closed after the answer.
 */
export const DEFAULT_DISCARD_BYTES = 16 * 1024 * 1024;

/**
 * Read the rest of `reader`'s stream and drop it, stopping once `alreadyRead` plus what this reads passes
 * `capBytes`. True when the stream ended within the cap (the connection can carry another request).
 * Never throws: a stream that fails (client gone) counts as not ended.
 */
export async function discardStream(
  reader: ChunkReader,
  capBytes: number,
  alreadyRead = 0,
): Promise<boolean> {
  let total = alreadyRead;
  try {
    while (total <= capBytes) {
      const { done, value } = await reader.read();
      if (done) return true;
      total += value.byteLength;
    }
    return false;
  } catch {
    return false;
  } finally {
    reader.releaseLock();
  }
}

/**
 * Discard the body of `req` if nobody read it. True when there was none or it was read to its end;
 * false when it was (or is announced to be) larger than `capBytes` or failed: answer with `Connection: close`.
 */
export async function discardBody(req: Request, capBytes: number): Promise<boolean> {
  if (req.bodyUsed) return true;
  const body = req.body;
  if (body === null) return true;
  if (body.locked) return false;
  const length = req.headers.get("content-length");
  if (length !== null && !req.headers.has("transfer-encoding") && Number(length) > capBytes) return false;
  return discardStream(body.getReader() as ChunkReader, capBytes);
}

/**
 * Middleware: when the answer is an error and the handlers left the request body unread, read and discard
 * it (up to `capBytes`) before the answer goes out; past the cap the answer carries `Connection: close`.
 */
export function discardUnreadBody(capBytes: number = DEFAULT_DISCARD_BYTES): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (c.res.status < 400) return;
    if (!(await discardBody(c.req.raw, capBytes))) c.res.headers.set("Connection", "close");
  };
}
