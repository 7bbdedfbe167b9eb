/** `faas api`: the REST API process over a Redis store. */
import { createApp } from "../api/app.ts";
import { serveApi } from "../api/serve-api.ts";
import type { ApiConfig } from "../config.ts";
import type { Log } from "../log.ts";
import { createRedisStore } from "../store/redis-store.ts";
import type { Running } from "./running.ts";

/** Start the API; resolves once it listens. */
export async function runApi(cfg: Omit<ApiConfig, "role">, log: Log): Promise<Running & { url: string }> {
  const store = await createRedisStore({
    url: cfg.redisUrl, ttlSeconds: cfg.resultTtlSeconds, log: log.child("store"),
    maxQueuedPerTenant: cfg.maxQueued, maxFunctionsPerTenant: cfg.maxFunctions,
  });
  const auth = { mode: cfg.auth, rateLimit: cfg.rateLimit };
  const app = createApp({ store, log: log.child("api"), maxBodyBytes: cfg.maxBodyBytes, corsOrigins: cfg.corsOrigins, auth });
  const server = serveApi({ app, host: cfg.host, port: cfg.port, allowedHosts: cfg.allowedHosts, log: log.child("api") });
  log.info("api listening", { url: server.url, auth: cfg.auth });
  return {
    url: server.url,
    async stop() {
      await server.stop();
      await store.close();
    },
  };
}
