/** Reading the cluster-wide figures for `/metrics`, `/ready` and `/stats`: task totals, queued and running tasks, dispatchers. */
import type Redis from "ioredis";
import { readDispatcherFigures, type DispatcherFigures } from "./dispatcher-figures.ts";
import type { Keys } from "./keys.ts";
import { parseTaskTotals, type TaskTotals } from "./task-stats.ts";

/** What any API process reads the same from Redis at one moment. */
export interface ClusterStats {
  totals: TaskTotals;
  /** Tasks now QUEUED (every tenant's QUEUED index). */
  queued: number;
  /** Tasks now RUNNING (every tenant's RUNNING index). */
  running: number;
  /** Live dispatchers and what each published with its last heartbeat. */
  dispatchers: DispatcherFigures[];
}

/**
 * Read the figures: the stats hash (counted by the dispatcher's scripts), the main stream's `entries-added` (every
 * create appends there once: the created total, with no counter of its own on the create path), the status
 * indexes' sizes per tenant, and the dispatchers' published figures. Four round trips, none per task.
 */
export async function readClusterStats(redis: Redis, keys: Keys): Promise<ClusterStats> {
  const [statsRes, infoRes, tenantsRes] = (await redis.pipeline()
    .hgetall(keys.stats)
    .xinfo("STREAM", keys.queue)
    .smembers(keys.tenants)
    .exec()) ?? [];
  if (statsRes?.[0]) throw statsRes[0];
  if (tenantsRes?.[0]) throw tenantsRes[0];
  // A queue stream that does not exist yet (no task ever) reads as 0 created.
  const created = infoRes && !infoRes[0] ? entriesAdded(infoRes[1] as unknown[]) : 0;
  const tenants = (tenantsRes?.[1] as string[] | undefined) ?? [];
  let queued = 0;
  let running = 0;
  if (tenants.length > 0) {
    const p = redis.pipeline();
    for (const t of tenants) p.zcard(keys.tenantStatusTasks(t, "QUEUED")).zcard(keys.tenantStatusTasks(t, "RUNNING"));
    const res = (await p.exec()) ?? [];
    res.forEach(([err, n], i) => {
      if (err) throw err;
      if (i % 2 === 0) queued += Number(n);
      else running += Number(n);
    });
  }
  const dispatchers = await readDispatcherFigures(redis, keys);
  return { totals: parseTaskTotals((statsRes?.[1] as Record<string, string>) ?? {}, created), queued, running, dispatchers };
}

/** `entries-added` of an XINFO STREAM reply (Redis 7 and later; 0 before). */
function entriesAdded(info: unknown[]): number {
  for (let i = 0; i + 1 < info.length; i += 2) if (info[i] === "entries-added") return Number(info[i + 1]) || 0;
  return 0;
}
