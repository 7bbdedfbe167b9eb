/** The API's Prometheus metrics (prom-client): cluster figures read from Redis at scrape time, request durations of this process. */
import { Counter, Gauge, Histogram, Registry, type MetricObjectWithValues, type MetricValueWithName } from "prom-client";
import type { ClusterStats } from "../store/cluster-stats.ts";
import { TASK_SECONDS_BUCKETS, type StoredHistogram } from "../store/task-stats.ts";

/** Buckets of `faas_http_request_duration_seconds`, in seconds. */
export const HTTP_SECONDS_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * A histogram whose buckets live in Redis (the dispatcher's scripts count them; see task-stats.ts): prom-client
 * formats it, its values come from the snapshot of the scrape.
 */
class StoredSecondsHistogram extends Histogram<"le"> {
  constructor(private readonly metric: string, private readonly helpText: string, registry: Registry,
    private readonly read: () => Promise<StoredHistogram>) {
    super({ name: metric, help: helpText, buckets: [...TASK_SECONDS_BUCKETS], registers: [registry] });
  }

  /** What the registry formats (prom-client asks for this rather than `get` when a metric has it). */
  getForPromString(): Promise<MetricObjectWithValues<MetricValueWithName<"le">>> {
    return this.get();
  }

  override async get(): Promise<MetricObjectWithValues<MetricValueWithName<"le">>> {
    const h = await this.read();
    const name = this.metric;
    const values: MetricValueWithName<"le">[] = [];
    let cumulative = 0;
    TASK_SECONDS_BUCKETS.forEach((le, i) => {
      cumulative += h.buckets[i] ?? 0;
      values.push({ metricName: `${name}_bucket`, labels: { le }, value: cumulative });
    });
    values.push({ metricName: `${name}_bucket`, labels: { le: "+Inf" }, value: h.count });
    values.push({ metricName: `${name}_sum`, labels: {}, value: h.sumSeconds });
    values.push({ metricName: `${name}_count`, labels: {}, value: h.count });
    return { name, help: this.helpText, type: "histogram" as never, aggregator: "sum", values } as never;
  }
}

/** The counts of one label set of {@link RequestHistogram}. */
interface RequestCounts {
  labels: { route: string; status: string };
  /** Observations per bucket (not cumulative), in the order of HTTP_SECONDS_BUCKETS. */
  buckets: number[];
  sum: number;
  count: number;
}

/**
 * `faas_http_request_duration_seconds`: counted here per request (a map lookup and a bucket's increment, where
 * prom-client's `observe` validates and hashes the labels each time), formatted by prom-client at scrape time
 * exactly as its own labelled histogram is.
 */
class RequestHistogram extends Histogram<"route" | "status"> {
  private readonly counts = new Map<string, RequestCounts>();

  constructor(private readonly metric: string, private readonly helpText: string, registry: Registry) {
    super({ name: metric, help: helpText, labelNames: ["route", "status"], buckets: [...HTTP_SECONDS_BUCKETS], registers: [registry] });
  }

  override reset(): void {
    super.reset();
    this.counts?.clear(); // undefined while prom-client's constructor runs
  }

  /** Count one request. */
  count(route: string, status: number, seconds: number): void {
    const key = `${status} ${route}`;
    let c = this.counts.get(key);
    if (c === undefined) {
      c = { labels: { route, status: String(status) }, buckets: HTTP_SECONDS_BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.counts.set(key, c);
    }
    const bounds = HTTP_SECONDS_BUCKETS;
    for (let i = 0; i < bounds.length; i++) {
      if (seconds <= bounds[i]!) {
        c.buckets[i]!++;
        break;
      }
    }
    c.sum += seconds;
    c.count++;
  }

  getForPromString(): Promise<MetricObjectWithValues<MetricValueWithName<"route" | "status" | "le">>> {
    const name = this.metric;
    const values: unknown[] = [];
    for (const c of this.counts.values()) {
      let cumulative = 0;
      HTTP_SECONDS_BUCKETS.forEach((le, i) => {
        cumulative += c.buckets[i]!;
        values.push({ labels: { le }, sharedLabels: c.labels, value: cumulative, metricName: `${name}_bucket` });
      });
      values.push({ labels: { le: "+Inf" }, sharedLabels: c.labels, value: c.count, metricName: `${name}_bucket` });
      values.push({ labels: {}, sharedLabels: c.labels, value: c.sum, metricName: `${name}_sum` });
      values.push({ labels: {}, sharedLabels: c.labels, value: c.count, metricName: `${name}_count` });
    }
    return Promise.resolve({ name, help: this.helpText, type: "histogram" as never, aggregator: "sum", values } as never);
  }

  override async get(): Promise<MetricObjectWithValues<MetricValueWithName<"route" | "status" | "le">>> {
    const data = (await this.getForPromString()) as unknown as { values: { labels: object; sharedLabels: object }[] };
    data.values = data.values.map(({ sharedLabels, labels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } })) as never;
    return data as never;
  }
}

/** The metrics registry of one API app. */
export class ApiMetrics {
  /** Every metric, in the Prometheus text format via `registry.metrics()`. */
  readonly registry = new Registry();
  private readonly http: RequestHistogram;
  /** The read of the scrape under way: every metric of one scrape shows the same moment. */
  private current: Promise<ClusterStats> | null = null;

  /** `read`: one read of the cluster figures (the store's `clusterStats`). */
  constructor(private readonly read: () => Promise<ClusterStats>) {
    const reg = this.registry;
    const stats = () => (this.current ??= this.read());
    new Counter({
      name: "faas_tasks_created_total", help: "Tasks created (every API process reports the cluster's total, from Redis)",
      registers: [reg],
      async collect() {
        const s = await stats();
        this.reset();
        this.inc(s.totals.created);
      },
    });
    new Counter({
      name: "faas_tasks_finished_total", help: "Tasks that reached a final state, by status (cluster-wide, from Redis)",
      labelNames: ["status"], registers: [reg],
      async collect() {
        const s = await stats();
        this.reset();
        for (const status of ["COMPLETED", "FAILED", "CANCELLED"]) this.inc({ status }, 0);
        for (const [status, n] of Object.entries(s.totals.finished)) this.inc({ status }, n);
      },
    });
    new Counter({
      name: "faas_tasks_requeued_total", help: "Tasks a dispatcher put back in the queue: lost executor, hand-back (cluster-wide, from Redis)",
      registers: [reg],
      async collect() {
        const s = await stats();
        this.reset();
        this.inc(s.totals.requeued);
      },
    });
    new Gauge({
      name: "faas_queue_depth", help: "Tasks now QUEUED (cluster-wide, from Redis)", registers: [reg],
      async collect() {
        this.set((await stats()).queued);
      },
    });
    new Gauge({
      name: "faas_tasks_running", help: "Tasks now RUNNING (cluster-wide, from Redis)", registers: [reg],
      async collect() {
        this.set((await stats()).running);
      },
    });
    new Gauge({
      name: "faas_workers_connected", help: "Workers connected to live dispatchers, by mode (a local dispatcher's own pool counts as one)",
      labelNames: ["mode"], registers: [reg],
      async collect() {
        const s = await stats();
        this.reset();
        for (const d of s.dispatchers) this.inc({ mode: d.mode }, d.workers.length);
      },
    });
    new Gauge({
      name: "faas_dispatchers_live", help: "Dispatchers whose liveness key is fresh", registers: [reg],
      async collect() {
        this.set((await stats()).dispatchers.length);
      },
    });
    new StoredSecondsHistogram("faas_task_run_seconds", "Task run time, started to finished (cluster-wide, from Redis)", reg,
      async () => (await stats()).totals.run);
    new StoredSecondsHistogram("faas_task_wait_seconds", "Task wait time, created to first started (cluster-wide, from Redis)", reg,
      async () => (await stats()).totals.wait);
    this.http = new RequestHistogram("faas_http_request_duration_seconds",
      "Duration of this API process's HTTP requests, by route pattern and status", reg);
  }

  /** Record one request: `route` is its route pattern (`/status/:task_id`), never the raw path. */
  observeRequest(route: string, status: number, seconds: number): void {
    this.http.count(route, status, seconds);
  }

  /**
   * One scrape: the cluster figures read once (rejecting when Redis fails, so the route answers 503), then every
   * metric in the Prometheus text format.
   */
  async render(): Promise<string> {
    const read = this.read();
    this.current = read;
    try {
      await read;
      return await this.registry.metrics();
    } finally {
      if (this.current === read) this.current = null;
    }
  }
}
