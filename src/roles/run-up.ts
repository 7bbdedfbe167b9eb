/** `faas up`: everything on one machine — managed Redis (unless one is given), the API and a local dispatcher. */
import type { UpConfig } from "../config.ts";
import type { Log } from "../log.ts";
import { startManagedRedis } from "./managed-redis.ts";
import { runApi } from "./run-api.ts";
import { runDispatcher } from "./run-dispatcher.ts";
import type { Running } from "./running.ts";

/** Start all parts; stopping stops them in reverse order. */
export async function runUp(cfg: UpConfig, log: Log, print: (line: string) => void): Promise<Running & { url: string }> {
  const parts: Running[] = [];
  const stopAll = async () => {
    for (const p of parts.reverse()) await p.stop().catch((err) => log.error("stop failed", { err: (err as Error).message }));
  };
  try {
    let redisUrl = cfg.redisUrl;
    if (!cfg.redisGiven) {
      const redis = await startManagedRedis({ dataDir: cfg.dataDir, log: log.child("redis") });
      parts.push(redis);
      redisUrl = redis.url;
    }
    parts.push(await runDispatcher({ ...cfg, redisUrl, mode: "local" }, log));
    const api = await runApi({ ...cfg, redisUrl }, log);
    parts.push(api);
    print(`bunfaas is up: ${api.url}  (docs: ${api.url}/docs)`);
    print(`try: curl -s -X POST ${api.url}/register_function -H 'content-type: application/json' -d '{"name":"double","payload":"(x) => x * 2"}'`);
    return { url: api.url, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
