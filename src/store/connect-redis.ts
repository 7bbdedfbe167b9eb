/** Opening ioredis connections from a Redis URL (redis://, rediss://, unix:///path). */
import Redis, { type RedisOptions } from "ioredis";
import { installTracingChannelShim } from "./tracing-channel-shim.ts";

installTracingChannelShim();

/**
 * Open a connection. `unix:///path/to/redis.sock` (or a bare absolute path) selects a unix socket;
 * anything else is handed to ioredis as a redis:// URL.
 */
export function connectRedis(url: string, options: RedisOptions = {}): Redis {
  const base: RedisOptions = {
    // Fail fast instead of queueing commands forever while Redis is down.
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    lazyConnect: false,
    // Commands issued in the same tick share one socket write (fewer syscalls under load).
    enableAutoPipelining: true,
    ...options,
  };
  if (url.startsWith("unix://")) return new Redis({ ...base, path: url.slice("unix://".length) });
  if (url.startsWith("/")) return new Redis({ ...base, path: url });
  return new Redis(url, base);
}
