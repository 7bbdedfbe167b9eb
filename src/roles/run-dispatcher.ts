/** `faas dispatcher`: a dispatcher process in the chosen mode. */
import type { DispatcherConfig } from "../config.ts";
import { Dispatcher } from "../dispatcher/dispatcher.ts";
import { LocalMode } from "../dispatcher/local-mode.ts";
import type { Log } from "../log.ts";
import { createRedisStore } from "../store/redis-store.ts";
import type { Running } from "./running.ts";

/** Start a dispatcher; resolves once it consumes the queue. */
export async function runDispatcher(cfg: Omit<DispatcherConfig, "role">, log: Log): Promise<Running & { dispatcher: Dispatcher }> {
  const store = await createRedisStore({ url: cfg.redisUrl, ttlSeconds: cfg.resultTtlSeconds, log: log.child("store") });
  const mode = new LocalMode({ threads: cfg.workers, taskTimeoutMs: cfg.taskTimeoutMs, log: log.child("local") });
  const dispatcher = new Dispatcher({ queue: store.queue, mode, log: log.child("dispatcher"), maxAttempts: cfg.maxAttempts });
  await dispatcher.start();
  log.info("dispatcher running", { mode: cfg.mode, threads: cfg.workers, consumer: dispatcher.consumer });
  return {
    dispatcher,
    async stop() {
      await dispatcher.stop();
      await store.close();
    },
  };
}
