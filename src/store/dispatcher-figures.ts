/** What each dispatcher publishes with its heartbeat (mode, tasks held, capacity, workers and their load), and reading them all back. */
import type Redis from "ioredis";
import type { Keys } from "./keys.ts";

/** One worker of a dispatcher: its task slots and how many are taken. */
export interface WorkerFigures {
  id: string;
  slots: number;
  busy: number;
  /** The runtimes its executors have; absent: `js` only. */
  runtimes?: string[];
}

/**
 * A dispatcher's own figures, written as the value of its liveness key on every heartbeat (so they expire with it:
 * a dispatcher that stopped or died publishes nothing), and read by the API for `/metrics`, `/ready` and `/stats`.
 */
export interface DispatcherFigures {
  /** Its consumer name in the group. */
  consumer: string;
  /** "local", "pull" or "push". */
  mode: string;
  /** When it wrote these (epoch ms, its own clock). */
  at: number;
  /** Tasks taken from the queue and not settled yet (running ones included). */
  held: number;
  /** Task slots it can take work into now (0 while stopping). */
  capacity: number;
  workers: WorkerFigures[];
  /** Tasks of Python functions it holds unstarted, waiting for an executor with Python. Absent: none. */
  pythonWaiting?: number;
}

/** How long a dispatcher stays listed in `keys.dispatchers` after its last heartbeat, in ms (its figures expire much sooner). */
export const DISPATCHER_SEEN_MS = 3_600_000;

/** Heartbeat as one pipelined round trip: liveness key (the figures as JSON) with its TTL, and the list of dispatchers seen. */
export async function publishHeartbeat(redis: Redis, keys: Keys, consumer: string, ttlMs: number, figures?: DispatcherFigures): Promise<void> {
  const now = Date.now();
  const value = figures ? JSON.stringify(figures) : String(now);
  await redis.pipeline()
    .set(keys.alive(consumer), value, "PX", ttlMs)
    .zadd(keys.dispatchers, now, consumer)
    .zremrangebyscore(keys.dispatchers, "-inf", String(now - DISPATCHER_SEEN_MS))
    .exec()
    .then((res) => {
      const failed = res?.find(([err]) => err);
      if (failed) throw failed[0];
    });
}

/** The figures of every live dispatcher (two round trips: the list of dispatchers seen, then their liveness keys). */
export async function readDispatcherFigures(redis: Redis, keys: Keys): Promise<DispatcherFigures[]> {
  const names = await redis.zrange(keys.dispatchers, "0", "-1");
  if (names.length === 0) return [];
  const values = await redis.mget(...names.map((n) => keys.alive(n)));
  const out: DispatcherFigures[] = [];
  values.forEach((v, i) => {
    if (v === null) return;
    out.push(parseFigures(names[i]!, v));
  });
  return out;
}

/** A liveness value as figures; a bare timestamp (a dispatcher that publishes none) reads as a local one with no workers. */
function parseFigures(consumer: string, value: string): DispatcherFigures {
  try {
    const f = JSON.parse(value) as Partial<DispatcherFigures>;
    if (f && typeof f === "object") {
      return {
        consumer, mode: String(f.mode ?? "local"), at: Number(f.at) || 0, held: Number(f.held) || 0, capacity: Number(f.capacity) || 0,
        workers: Array.isArray(f.workers) ? f.workers.map((w) => ({
          id: String(w.id), slots: Number(w.slots) || 0, busy: Number(w.busy) || 0,
          ...(Array.isArray(w.runtimes) ? { runtimes: w.runtimes.map(String) } : {}),
        })) : [],
        ...(Number(f.pythonWaiting) > 0 ? { pythonWaiting: Number(f.pythonWaiting) } : {}),
      };
    }
  } catch {
    // fall through
  }
  return { consumer, mode: "local", at: Number(value) || 0, held: 0, capacity: 0, workers: [] };
}
