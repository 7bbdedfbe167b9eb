/** A minimal keep-alive HTTP client of the bunfaas REST API for the load generator: no codec, no per-task logging. */
import { HttpPool } from "./http-pool.ts";

/** Which HTTP client the load generator uses: the lean raw-socket pool (default) or `fetch()`. */
export type HttpClientKind = "raw" | "fetch";

/** A task's state as `GET /result/{id}` answers it. */
export interface TaskResult {
  status: string;
  result: string | null;
}

/** One entry of `POST /results`. */
export interface BatchTaskResult extends TaskResult {
  task_id: string;
}

/** Statuses after which a task never changes again. */
export const FINAL_STATUSES: ReadonlySet<string> = new Set(["COMPLETED", "FAILED"]);

/** Register, execute (one task or a batch) and read results over HTTP/1.1 keep-alive connections. */
export class FaasHttp {
  private readonly base: string;
  private readonly pool: HttpPool | null;
  /** The API key header, when a key was given (`faas keys create`). */
  private readonly auth: Record<string, string>;

  /**
   * `baseUrl`: the API root, e.g. `http://127.0.0.1:8000` (a trailing slash is ignored). `client`: "raw" (default)
   * sends requests over up to `connections` (default 64) sockets of its own; "fetch" uses `fetch()`.
   */
  constructor(baseUrl: string, client: HttpClientKind = "raw", connections = 64, key?: string) {
    this.base = baseUrl.replace(/\/+$/, "");
    this.auth = key ? { authorization: `Bearer ${key}` } : {};
    this.pool = client === "raw" ? new HttpPool(this.base, connections, this.auth) : null;
  }

  /** Close the client's connections. */
  close(): void {
    this.pool?.close();
  }

  /** The API root this client talks to. */
  get baseUrl(): string {
    return this.base;
  }

  /** `POST /register_function`; resolves with the function id. */
  async register(name: string, source: string): Promise<string> {
    return ((await this.post("/register_function", { name, payload: source })) as { function_id: string }).function_id;
  }

  /** `POST /execute_function`; resolves with the task id. `args` is the JSON text of the argument array. */
  async execute(functionId: string, args: string): Promise<string> {
    return ((await this.post("/execute_function", { function_id: functionId, payload: args })) as { task_id: string }).task_id;
  }

  /**
   * `POST /execute_batch` with `count` tasks of one function, all with the same `args`; resolves with the task ids
   * in order. The request body of each size is built once and reused.
   */
  async executeBatch(functionId: string, args: string, count: number): Promise<string[]> {
    const key = `${functionId}|${args}|${count}`;
    let body = this.batchBodies.get(key);
    if (body === undefined) {
      const task = JSON.stringify({ function_id: functionId, payload: args });
      body = `{"tasks":[${Array.from({ length: count }, () => task).join(",")}]}`;
      this.batchBodies.set(key, body);
    }
    const r = await this.send("POST", "/execute_batch", body);
    if (r.status < 200 || r.status > 299) throw new Error(`POST /execute_batch: HTTP ${r.status} ${r.body.slice(0, 200)}`);
    return (JSON.parse(r.body) as { task_ids: string[] }).task_ids;
  }

  /** `POST /results` with `wait` S (0: answer at once; else when all are final or at the deadline): results in order. */
  async results(taskIds: readonly string[], waitS: number): Promise<BatchTaskResult[]> {
    return ((await this.post("/results", { task_ids: taskIds, wait: waitS })) as { results: BatchTaskResult[] }).results;
  }

  /** `GET /result/{id}?wait=S`: long-polls up to `waitS` seconds (0: answer at once). */
  async result(taskId: string, waitS: number): Promise<TaskResult> {
    const r = await this.send("GET", `/result/${taskId}?wait=${waitS}`);
    if (r.status !== 200) throw new Error(`GET /result: HTTP ${r.status} ${r.body.slice(0, 200)}`);
    return JSON.parse(r.body) as TaskResult;
  }

  /** Long-poll until the task is final; throws once `deadline` (epoch ms) has passed. */
  async final(taskId: string, deadline: number): Promise<TaskResult> {
    for (;;) {
      const left = Math.ceil((deadline - Date.now()) / 1000);
      if (left <= 0) throw new Error(`task ${taskId} not finished before the deadline`);
      const r = await this.result(taskId, Math.min(60, left));
      if (FINAL_STATUSES.has(r.status)) return r;
    }
  }

  /** `GET /health`: true when the API answers 200. */
  async healthy(): Promise<boolean> {
    try {
      return (await fetch(`${this.base}/health`)).ok;
    } catch {
      return false;
    }
  }

  /** Request bodies of {@link executeBatch}, by function, args and size. */
  private readonly batchBodies = new Map<string, string>();

  private async post(path: string, body: unknown): Promise<unknown> {
    const r = await this.send("POST", path, JSON.stringify(body));
    if (r.status < 200 || r.status > 299) throw new Error(`POST ${path}: HTTP ${r.status} ${r.body.slice(0, 200)}`);
    return JSON.parse(r.body);
  }

  /** One request over the chosen client; the body, if any, is JSON. */
  private async send(method: "GET" | "POST", path: string, body?: string): Promise<{ status: number; body: string }> {
    if (this.pool) return this.pool.request(method, path, body);
    const r = await fetch(this.base + path, body === undefined ? undefined : { method, headers: { "content-type": "application/json", ...this.auth }, body });
    return { status: r.status, body: await r.text() };
  }
}
