// A real Prometheus server (Debian's `prometheus` package) scrapes the API's /metrics and PromQL sees the counters move.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../src/api/app.ts";
import { serveApi, type ApiServer } from "../../src/api/serve-api.ts";
import { FaasClient } from "../../src/client/index.ts";
import { Dispatcher } from "../../src/dispatcher/dispatcher.ts";
import { LocalMode } from "../../src/dispatcher/modes/local-mode.ts";
import { silentLog } from "../../src/log.ts";
import { createRedisStore, type RedisStore } from "../../src/store/redis-store.ts";
import { eventually } from "../support/faas-binary.ts";
import { startRedis, type TestRedis } from "../support/redis-server.ts";

const PROMETHEUS = Bun.which("prometheus");

let redis: TestRedis;
let store: RedisStore;
let api: ApiServer;
let dispatcher: Dispatcher;
let client: FaasClient;
let prom: Bun.Subprocess | null = null;
let promUrl = "";
let dir = "";
let promLog = "";

/** A TCP port that was free a moment ago (the kernel's pick for port 0). */
function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

/** Run a PromQL instant query; the value of its first sample, or null when the result is empty. */
async function query(q: string): Promise<number | null> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await res.json()) as { status: string; error?: string; data: { result: { value: [number, string] }[] } };
  if (body.status !== "success") throw new Error(`PromQL ${q}: ${body.error}`);
  const first = body.data.result[0];
  return first ? Number(first.value[1]) : null;
}

beforeAll(async () => {
  if (PROMETHEUS === null) {
    throw new Error("the prometheus binary is missing: run ./scripts/test.sh (it installs Debian's prometheus package), or apt-get install prometheus");
  }
  redis = await startRedis();
  store = await createRedisStore({ url: redis.url, ttlSeconds: 60 });
  api = serveApi({ app: createApp({ store, log: silentLog }), port: 0 });
  client = new FaasClient({ baseUrl: api.url });
  dispatcher = new Dispatcher({ queue: store.queue, mode: new LocalMode({ threads: 2, log: silentLog }), log: silentLog, heartbeatMs: 200 });
  await dispatcher.start();

  dir = mkdtempSync(join(tmpdir(), "faas-prometheus-"));
  const target = new URL(api.url).host;
  writeFileSync(join(dir, "prometheus.yml"), [
    "global:",
    "  scrape_interval: 1s",
    "  evaluation_interval: 1s",
    "scrape_configs:",
    "  - job_name: bunfaas",
    "    metrics_path: /metrics",
    `    static_configs: [{ targets: ["${target}"] }]`,
    "",
  ].join("\n"));
  // Port 0 would leave us not knowing where it listens: take a port the kernel just handed out, and retry on a clash.
  for (let attempt = 1; ; attempt++) {
    const port = freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prom = Bun.spawn([PROMETHEUS, `--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"], { stdout: "ignore", stderr: "pipe" });
    const logs = (async () => { promLog = await new Response(prom!.stderr as ReadableStream).text(); })();
    try {
      await eventually(async () => (await fetch(`${promUrl}/-/ready`)).ok, 20_000, "prometheus ready");
      break;
    } catch (err) {
      prom.kill();
      await prom.exited;
      await logs;
      if (attempt >= 3) throw new Error(`prometheus did not start: ${(err as Error).message}\n${promLog}`);
    }
  }
}, 60_000);

afterAll(async () => {
  if (prom) {
    prom.kill();
    await prom.exited;
  }
  await dispatcher?.stop();
  await api?.stop();
  await store?.close();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("Prometheus scrapes /metrics, and PromQL sees created and finished tasks move", async () => {
  // The target is up: a successful scrape happened.
  await eventually(async () => (await query('up{job="bunfaas"}')) === 1, 30_000, "a successful scrape of /metrics");
  const created0 = (await eventually(async () => {
    const v = await query("faas_tasks_created_total");
    return v !== null && { v };
  }, 30_000, "faas_tasks_created_total scraped")).v;
  const fid = await client.register((x: number) => x + 1);
  const ids = await Promise.all(Array.from({ length: 5 }, (_, i) => client.execute(fid, [i])));
  for (const id of ids) expect((await client.result(id, { wait: 20 })).status).toBe("COMPLETED");

  await eventually(async () => (await query("faas_tasks_created_total")) === created0 + 5, 30_000, "faas_tasks_created_total to move by 5");
  await eventually(async () => ((await query('faas_tasks_finished_total{status="COMPLETED"}')) ?? 0) >= 5, 30_000, "5 COMPLETED");
  // PromQL over the histograms and gauges works as on any exporter.
  expect(await eventually(async () => await query("sum(faas_task_run_seconds_count)"), 30_000, "run histogram")).toBeGreaterThanOrEqual(5);
  expect(await query('faas_workers_connected{mode="local"}')).toBe(1);
  expect(await query("histogram_quantile(0.5, sum by (le) (faas_task_wait_seconds_bucket))")).not.toBeNull();
}, 60_000);
