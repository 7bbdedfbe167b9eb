/**
 * BullMQ on the same machine, for comparison: N no-op jobs through a BullMQ queue and worker (no HTTP in the loop),
 * then sequential job latency. `bun perf/bullmq-compare.ts [--jobs 10000] [--concurrency 64] [--bulk B] [--latency 200]`
 * Without `--bulk`, jobs are added one `queue.add` at a time, `concurrency` adds in flight: compare with
 * `bun perf/e2e-perf.ts` (bunfaas, one task per request). With `--bulk B`, they are added with `queue.addBulk` in
 * bulks of B, 4 bulks in flight (BullMQ's batch path): compare with `bun perf/batch-perf.ts --batch B`.
 * `--aof yes` (default) runs its Redis as `faas up` runs the managed one (append-only file, fsync every second), so
 * both pay for the same durability; `--aof no` is a Redis that keeps nothing.
 */
import { Queue, QueueEvents, Worker } from "bullmq";
import { parseArgs } from "node:util";
import { startRedis } from "../test/support/redis-server.ts";

const { values: o } = parseArgs({
  options: {
    jobs: { type: "string", default: "10000" },
    concurrency: { type: "string", default: "64" },
    latency: { type: "string", default: "200" },
    bulk: { type: "string", default: "0" },
    aof: { type: "string", default: "yes" },
  },
});
const N = Number(o.jobs);
const C = Number(o.concurrency);
const L = Number(o.latency);
const B = Number(o.bulk);
if (!Number.isInteger(B) || B < 0) throw new Error(`--bulk must be a whole number (got "${o.bulk}")`);

if (o.aof !== "yes" && o.aof !== "no") throw new Error(`--aof must be yes or no (got "${o.aof}")`);

const redis = await startRedis({ aof: o.aof === "yes" });
const connection = { path: redis.socket, maxRetriesPerRequest: null };
const queue = new Queue("bench", { connection });
const events = new QueueEvents("bench", { connection });
await events.waitUntilReady();
let done = 0;
let onDone: (() => void) | null = null;
const worker = new Worker("bench", async () => null, { connection, concurrency: C });
worker.on("completed", () => {
  done++;
  if (done >= N && onDone) onDone();
});
await worker.waitUntilReady();

try {
  // Throughput: add N jobs with C adds in flight, time until the worker completed them all.
  const all = new Promise<void>((r) => (onDone = r));
  const t0 = performance.now();
  let next = 0;
  if (B > 0) {
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (next < N) {
        const n = Math.min(B, N - next);
        next += n;
        await queue.addBulk(Array.from({ length: n }, () => ({ name: "noop", data: {}, opts: { removeOnComplete: true } })));
      }
    }));
  } else {
    await Promise.all(Array.from({ length: C }, async () => {
      while (next < N) {
        next++;
        await queue.add("noop", {}, { removeOnComplete: true });
      }
    }));
  }
  await all;
  const secs = (performance.now() - t0) / 1000;
  const how = B > 0 ? `addBulk of ${B}, 4 bulks in flight` : `${C} adds in flight`;
  console.log(`bullmq throughput: ${N} no-op jobs, ${how}, worker concurrency ${C}, aof ${o.aof}: ${secs.toFixed(2)} s, ${(N / secs).toFixed(0)} jobs/s`);

  onDone = null;
  const lat: number[] = [];
  for (let i = 0; i < L; i++) {
    const s = performance.now();
    const job = await queue.add("noop", {}, { removeOnComplete: 100 });
    await job.waitUntilFinished(events, 10_000);
    lat.push(performance.now() - s);
  }
  lat.sort((a, b) => a - b);
  const p = (q: number) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))]!.toFixed(2);
  console.log(`bullmq latency: ${L} sequential jobs (add → waitUntilFinished): p50 ${p(0.5)} ms, p95 ${p(0.95)} ms, p99 ${p(0.99)} ms`);
} finally {
  await worker.close();
  await events.close();
  await queue.close();
  await redis.stop();
}
