/** The dispatchers' ear for cancels: a subscriber connection of its own on the cancel channel, one task id per message. */
import type Redis from "ioredis";
import type { Log } from "../log.ts";
import { connectRedis } from "./connect-redis.ts";

/** A subscription that can be ended. */
export interface CancelListening {
  /** Resolves once subscribed the first time (later reconnects resubscribe by themselves). */
  readonly ready: Promise<void>;
  close(): void;
}

/** Longest message taken for a task id (ids are UUIDs; anything longer is not one). */
const MAX_ID_LENGTH = 256;

/**
 * Subscribe to `channel` on a connection of its own (a subscriber connection can do nothing else) and call
 * `cancelled` with each task id published there (CANCEL_TASK publishes one when it cancels a task). ioredis
 * resubscribes after every reconnect (`autoResubscribe`); a cancel published while the connection is down is
 * missed by this dispatcher: the task is CANCELLED in Redis anyway, and its outcome is refused when it comes.
 */
export function listenForCancels(url: string, channel: string, log: Log, cancelled: (taskId: string) => void): CancelListening {
  const sub: Redis = connectRedis(url, { autoResubscribe: true, maxRetriesPerRequest: null, enableAutoPipelining: false }, { log, name: "cancels" });
  sub.on("message", (ch: string, message: string) => {
    if (ch !== channel || typeof message !== "string" || message.length === 0 || message.length > MAX_ID_LENGTH) return;
    cancelled(message);
  });
  const ready = sub.subscribe(channel).then(() => {}, (err: Error) => log.warn("could not subscribe to the cancel channel yet", { err: err.message }));
  return {
    ready,
    close: () => sub.disconnect(),
  };
}
