/** Logging a worker socket's failed handshakes with its dispatcher (a wrong `--dispatcher-key`, CURVE on one side only), throttled. */
import type { Log } from "../log.ts";
import type { SocketEvents } from "../zmtp/index.ts";

/**
 * Log handshakes of `events`' socket that fail at the protocol level: the first at once, then at most one line per
 * 10 s with the count so far. The socket keeps reconnecting; no task arrives meanwhile. `curve` adds the hint that
 * fits a CURVE client.
 */
export function logHandshakeFailures(events: SocketEvents, log: Log, endpoint: string, curve: boolean): void {
  let last = 0;
  let failed = 0;
  events.on("handshake:error:protocol", ({ error }) => {
    failed++;
    const now = Date.now();
    if (now - last < 10_000) return;
    last = now;
    const hint = curve ? " (is --dispatcher-key the dispatcher's public key, and is CURVE on there?)" : "";
    log.error(`handshake with the dispatcher failed; retrying${hint}`, { endpoint, err: error.message, failures: failed });
  });
  events.on("handshake", () => (failed = 0));
}
