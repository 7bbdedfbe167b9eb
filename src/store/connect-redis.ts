/** Opening ioredis connections from a Redis URL (redis://, rediss://, unix:///path), each with its one error listener. */
import Redis, { type RedisOptions } from "ioredis";
import { silentLog, type Log } from "../log.ts";
import { installTracingChannelShim } from "./tracing-channel-shim.ts";

installTracingChannelShim();

/** How a connection reports its outages. */
export interface ConnectionWatch {
  /** Where "down" and "back up" lines go. Default: silent. */
  log?: Log;
  /** The connection's name in those lines (a process-wide number is appended). Default: "redis". */
  name?: string;
}

let opened = 0;

/**
 * Open a connection. `unix:///path/to/redis.sock` (or a bare absolute path) selects a unix socket;
 * anything else is handed to ioredis as a redis:// URL. The connection gets its one `error` listener here:
 * an outage is logged once when it begins (warn "redis down") and once when it ends (info "redis back up"),
 * never per reconnect attempt.
 */
export function connectRedis(url: string, options: RedisOptions = {}, watch: ConnectionWatch = {}): Redis {
  const base: RedisOptions = {
    // Fail fast instead of queueing commands forever while Redis is down.
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    lazyConnect: false,
    // Commands issued in the same tick share one socket write (fewer syscalls under load).
    enableAutoPipelining: true,
    ...options,
  };
  const conn = url.startsWith("unix://") ? new Redis({ ...base, path: url.slice("unix://".length) })
    : url.startsWith("/") ? new Redis({ ...base, path: url })
    : new Redis(url, base);
  watchOutages(conn, watch.log ?? silentLog, `${watch.name ?? "redis"}#${++opened}`);
  return conn;
}

/** Log the state changes of `conn` (down, back up), not each failed attempt. */
function watchOutages(conn: Redis, log: Log, connection: string): void {
  let down = false;
  const markDown = (reason: string) => {
    if (down) return;
    down = true;
    log.warn("redis down; reconnecting", { connection, err: reason });
  };
  conn.on("error", (err: Error) => markDown(err.message));
  // A connection that closes without an error (the server exited) is an outage too.
  conn.on("reconnecting", () => markDown("connection closed"));
  conn.on("ready", () => {
    if (!down) return;
    down = false;
    log.info("redis back up", { connection });
  });
}
