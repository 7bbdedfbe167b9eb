/** `faas keys create|list|revoke`: manage API keys in the Redis of a running `faas up` (`--data-dir`) or any (`--redis`). */
import type { KeysConfig } from "../config.ts";
import { FaasError } from "../faas-error.ts";
import type { Log } from "../log.ts";
import { createApiKey, listApiKeys, revokeApiKey } from "../store/api-keys.ts";
import { connectRedis } from "../store/connect-redis.ts";
import { keysFor } from "../store/keys.ts";
import type { ApiKeyRecord } from "../store/types.ts";
import { managedRedisUrl } from "./managed-redis-url.ts";

/** Run one keys action, printing its answer through `print`; `create` prints the new key alone on its last line. */
export async function runKeys(cfg: KeysConfig, log: Log, print: (line: string) => void): Promise<void> {
  const url = cfg.redisGiven ? cfg.redisUrl : managedRedisUrl(cfg.dataDir);
  const redis = connectRedis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: true, retryStrategy: () => null }, { log, name: "keys" });
  const keys = keysFor();
  try {
    await redis.ping().catch((err: Error) => {
      throw new FaasError("STORE_UNAVAILABLE", `cannot reach Redis at ${url}: ${err.message}`);
    });
    if (cfg.action === "create") {
      const { key, record } = await createApiKey(redis, keys, { name: cfg.name!, tenant: cfg.tenant, admin: cfg.admin });
      print(`created key ${record.id} (name ${record.name}, tenant ${record.tenant}${record.admin ? ", admin" : ""}); it is shown only now:`);
      print(key);
    } else if (cfg.action === "list") {
      for (const line of table(await listApiKeys(redis, keys))) print(line);
    } else {
      if (!(await revokeApiKey(redis, keys, cfg.id!))) throw new FaasError("CONFIG", `no API key with id ${cfg.id}`);
      print(`revoked ${cfg.id} (API processes refuse it within 2 s)`);
    }
  } finally {
    redis.disconnect();
  }
}

/** The keys as aligned columns, with a header line. */
function table(list: ApiKeyRecord[]): string[] {
  const time = (ms: number | null) => (ms === null ? "never" : new Date(ms).toISOString().replace(/\.\d+Z$/, "Z"));
  const rows = [["ID", "NAME", "TENANT", "ADMIN", "CREATED", "LAST USED"],
    ...list.map((k) => [k.id, k.name, k.tenant, k.admin ? "yes" : "no", time(k.createdAt), time(k.lastUsedAt)])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  "));
}
