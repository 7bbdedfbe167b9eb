/** FaasClient: the typed client of the bunfaas REST API (fetch only; works in Bun, Node and browsers). */
import { decode, encode, toError } from "../codec/index.ts";
import { startDeadline, withDeadline, type Deadline, type WaitOptions } from "./deadline.ts";
import { FaasClientError } from "./faas-client-error.ts";
import { mapTasks } from "./map-tasks.ts";
import { readSse } from "./sse-reader.ts";
import type {
  Batch, EventsOptions, ExecuteOptions, FaasClientOptions, FunctionList, TaskRecord, MapOptions, ResultOptions, ResultResponse, ResultsOptions, Settled, StatusResponse,
  SubmitOptions, TaskEvent,
} from "./types.ts";

const FINAL = new Set(["COMPLETED", "FAILED", "CANCELLED"]);

/** Default deadline of a call: 10 minutes. */
export const DEFAULT_TIMEOUT_MS = 600_000;
/** Most tasks (and task ids) the API takes in one batch request. */
export const MAX_BATCH = 10_000;
/** The API's longest long-poll, in seconds. */
const MAX_WAIT_SECONDS = 60;

/** The value a final task's result text stands for; throws the task's error (decoded) when it FAILED or was CANCELLED. */
export function taskValue(r: Pick<ResultResponse, "status" | "result">): unknown {
  const value = r.result === null ? undefined : decode(r.result);
  if (r.status === "COMPLETED") return value;
  if (r.status === "FAILED" || r.status === "CANCELLED") throw toError(value);
  throw new FaasClientError(0, "NOT_FINAL", `the task is ${r.status}, not finished`);
}

/**
 * Client of the bunfaas REST API. API errors are thrown as {@link FaasClientError}; a task's own failure is
 * thrown as the error it threw (decoded). Every call has a deadline (`timeoutMs`, default the client's) and takes
 * an `AbortSignal`.
 *
 * @example
 * const faas = new FaasClient({ baseUrl: "http://127.0.0.1:8000" });
 * const twice = await faas.run((x: number) => x * 2, 21); // 42
 * const squares = await faas.map((x: number) => x * x, [[1], [2], [3]]); // [1, 4, 9]
 */
export class FaasClient {
  private readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;
  private readonly pollWaitSeconds: number;
  private readonly authorization: string | undefined;
  /** Default deadline of every call, in ms. */
  readonly timeoutMs: number;
  /** Function ids by source text, so `run` and `map` register each distinct function once. */
  private readonly registered = new Map<string, Promise<string>>();

  constructor(opts: FaasClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, "");
    this.fetchFn = opts.fetch ?? globalThis.fetch.bind(globalThis);
    this.pollWaitSeconds = opts.pollWaitSeconds ?? 30;
    this.authorization = opts.key === undefined ? undefined : `Bearer ${opts.key}`;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Register a function (its `toString()` source, or source text); returns the function id. `name` default: the function's name, else "anonymous". */
  async register(fn: Function | string, name?: string, opts: WaitOptions = {}): Promise<string> {
    const source = typeof fn === "string" ? fn : fn.toString();
    const fnName = name ?? (typeof fn === "function" && fn.name ? fn.name : "anonymous");
    const body = await this.request<{ function_id: string }>("POST", "/register_function", opts, { name: fnName, payload: source });
    return body.function_id;
  }

  /** One page of the caller's functions (`GET /functions`), newest first; pass `next_cursor` on for the next page. */
  listFunctions(opts: WaitOptions & { limit?: number; cursor?: string } = {}): Promise<FunctionList> {
    const q = new URLSearchParams();
    if (opts.limit !== undefined) q.set("limit", String(opts.limit));
    if (opts.cursor !== undefined) q.set("cursor", opts.cursor);
    const query = q.toString() === "" ? "" : `?${q}`;
    return this.request<FunctionList>("GET", `/functions${query}`, opts);
  }

  /** Delete a function (`DELETE /functions/{id}`); its queued tasks end FAILED. */
  async deleteFunction(functionId: string, opts: WaitOptions = {}): Promise<void> {
    await this.request<void>("DELETE", `/functions/${encodeURIComponent(functionId)}`, opts);
  }

  /** A task's record (`GET /tasks/{id}`): status, attempts, executor, times and result. */
  task(taskId: string, opts: WaitOptions = {}): Promise<TaskRecord> {
    return this.request<TaskRecord>("GET", `/tasks/${encodeURIComponent(taskId)}`, opts);
  }

  /** Queue a task calling function `functionId` with `args` (encoded with the codec); returns the task id. */
  async execute(functionId: string, args: unknown[] = [], opts: ExecuteOptions = {}): Promise<string> {
    const payload: Record<string, unknown> = { function_id: functionId, payload: encode(args) };
    if (opts.timeoutSeconds !== undefined) payload.timeout_seconds = opts.timeoutSeconds;
    const body = await this.request<{ task_id: string }>("POST", "/execute_function", opts, payload);
    return body.task_id;
  }

  /** The task's status, as the API answers it. */
  status(taskId: string, opts: WaitOptions = {}): Promise<StatusResponse> {
    return this.request<StatusResponse>("GET", `/status/${encodeURIComponent(taskId)}`, opts);
  }

  /** The task's status and raw result text (null until it ends); `wait` long-polls up to that many seconds. */
  result(taskId: string, opts: ResultOptions = {}): Promise<ResultResponse> {
    const query = opts.wait !== undefined ? `?wait=${encodeURIComponent(String(opts.wait))}` : "";
    return this.request<ResultResponse>("GET", `/result/${encodeURIComponent(taskId)}${query}`, opts);
  }

  /** Long-poll until the task is final; rejects with TIMEOUT at the deadline (default: the client's), ABORTED on `signal`. */
  wait(taskId: string, opts: WaitOptions = {}): Promise<ResultResponse> {
    return withDeadline(opts.timeoutMs ?? this.timeoutMs, opts.signal, `waiting for task ${taskId}`, async (d) => {
      for (;;) {
        const wait = Math.max(0, Math.min(this.pollWaitSeconds, Math.floor(d.left() / 1000) - 1));
        const r = await this.result(taskId, { wait, signal: d.signal, timeoutMs: d.left() });
        if (FINAL.has(r.status)) return r;
        d.check();
        if (wait === 0) await sleep(Math.min(250, d.left()), d.signal);
      }
    });
  }

  /**
   * Run `fn(...args)` remotely and return its (decoded) value, or throw its (decoded) error. Registers each
   * distinct source once, then long-polls until the task ends, at most the client's `timeoutMs` (then TIMEOUT).
   */
  run<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Promise<Awaited<R>>;
  run(fn: Function | string, ...args: unknown[]): Promise<unknown>;
  run(fn: Function | string, ...args: unknown[]): Promise<unknown> {
    return this.runWith(fn, args);
  }

  /** `run` with options: an AbortSignal and a deadline for the whole call. */
  async runWith(fn: Function | string, args: unknown[], opts: WaitOptions = {}): Promise<unknown> {
    return withDeadline(opts.timeoutMs ?? this.timeoutMs, opts.signal, "run", async (d) => {
      const functionId = await this.functionIdOf(fn, d);
      const taskId = await this.execute(functionId, args, { signal: d.signal, timeoutMs: d.left() });
      return taskValue(await this.wait(taskId, { signal: d.signal, timeoutMs: d.left() }));
    });
  }

  /** Queue one task per argument list in one request (`POST /execute_batch`, at most 10000), all or none. */
  async submitMany(functionId: string, argsList: unknown[][], opts: SubmitOptions = {}): Promise<Batch> {
    if (argsList.length === 0 || argsList.length > MAX_BATCH) {
      throw new FaasClientError(0, "BAD_REQUEST", `submitMany takes 1 to ${MAX_BATCH} argument lists (got ${argsList.length})`);
    }
    const extra = opts.timeoutSeconds !== undefined ? { timeout_seconds: opts.timeoutSeconds } : {};
    const tasks = argsList.map((args) => ({ function_id: functionId, payload: encode(args), ...extra }));
    const headers = opts.idempotencyKey !== undefined ? { "idempotency-key": opts.idempotencyKey } : undefined;
    const body = await this.request<{ batch_id: string; task_ids: string[] }>("POST", "/execute_batch", opts, { tasks }, headers);
    return { batchId: body.batch_id, taskIds: body.task_ids };
  }

  /**
   * The states of many tasks, in order (`POST /results`; more than 10000 ids take several requests). With `wait`
   * (seconds, any length), until every task is final or the wait is over.
   */
  results(taskIds: string[], opts: ResultsOptions = {}): Promise<ResultResponse[]> {
    const waitMs = Math.max(0, (opts.wait ?? 0) * 1000);
    const budget = opts.timeoutMs ?? Math.max(this.timeoutMs, waitMs + 30_000);
    return withDeadline(budget, opts.signal, "results", async (d) => {
      const end = Date.now() + waitMs;
      const out: ResultResponse[] = new Array(taskIds.length);
      for (let from = 0; from < taskIds.length; from += MAX_BATCH) {
        const ids = taskIds.slice(from, from + MAX_BATCH);
        for (;;) {
          const wait = Math.min(MAX_WAIT_SECONDS, Math.max(0, (end - Date.now()) / 1000));
          const body: { task_ids: string[]; wait?: number } = { task_ids: ids };
          if (wait > 0) body.wait = Math.round(wait * 1000) / 1000;
          const r = await this.request<{ results: ResultResponse[] }>("POST", "/results", { signal: d.signal, timeoutMs: d.left() }, body);
          r.results.forEach((x, i) => (out[from + i] = x));
          if (wait === 0 || r.results.every((x) => FINAL.has(x.status))) break;
        }
      }
      return out;
    });
  }

  /**
   * Call `fn` once per argument list, in batches, and return the values in order. Registers `fn` once (or takes a
   * function id as `{ id }`). On a failed task: see `errors` in {@link MapOptions}.
   */
  map<A extends unknown[], R>(fn: ((...args: A) => R) | string | { id: string }, argsList: A[], opts?: MapOptions & { errors?: "throw" }): Promise<Awaited<R>[]>;
  map<A extends unknown[], R>(fn: ((...args: A) => R) | string | { id: string }, argsList: A[], opts: MapOptions & { errors: "collect" }): Promise<Settled<Awaited<R>>[]>;
  map(fn: Function | string | { id: string }, argsList: unknown[][], opts: MapOptions = {}): Promise<unknown[]> {
    return withDeadline(opts.timeoutMs ?? this.timeoutMs, opts.signal, "map", async (d) => {
      if (argsList.length === 0) return [];
      const functionId = typeof fn === "object" ? fn.id : await this.functionIdOf(fn, d);
      return mapTasks(this, functionId, argsList, opts, d);
    });
  }

  /**
   * The events of a batch as its tasks finish (`GET /batches/{id}/events`), each task once, ending after the
   * last. A dropped stream is resumed (`Last-Event-ID`); the deadline (default the client's) bounds the whole stream.
   */
  events(batchId: string, opts: EventsOptions = {}): AsyncGenerator<TaskEvent> {
    return this.stream(`/batches/${encodeURIComponent(batchId)}/events`, opts);
  }

  /** The one event of a task when it finishes (`GET /tasks/{id}/events`), then the end. */
  taskEvents(taskId: string, opts: EventsOptions = {}): AsyncGenerator<TaskEvent> {
    return this.stream(`/tasks/${encodeURIComponent(taskId)}/events`, opts);
  }

  private async *stream(path: string, opts: EventsOptions): AsyncGenerator<TaskEvent> {
    const d = startDeadline(opts.timeoutMs ?? this.timeoutMs, opts.signal, `GET ${path}`);
    const seen = new Set<number>();
    let lastId = opts.lastEventId;
    let failures = 0;
    try {
      for (;;) {
        const headers: Record<string, string> = { accept: "text/event-stream" };
        if (lastId !== undefined) headers["last-event-id"] = lastId;
        let res: Response;
        try {
          res = await this.send("GET", path, d, undefined, headers);
        } catch (err) {
          // A network failure mid-batch: try again from the last id, a few times (an API answer is final).
          if (!(err instanceof FaasClientError) || err.code !== "NETWORK" || ++failures > 5) throw err;
          await sleep(Math.min(200 * failures, d.left()), d.signal);
          continue;
        }
        if (!res.ok || !res.body) await this.parse(res, "GET", path);
        try {
          for await (const ev of readSse(res.body!)) {
            failures = 0;
            if (ev.id !== undefined) lastId = ev.id;
            if (ev.event === "done") return;
            if (ev.event !== "message") continue;
            const e = JSON.parse(ev.data) as TaskEvent;
            if (seen.has(e.index)) continue; // sent again after a resume
            seen.add(e.index);
            yield e;
          }
        } catch (err) {
          if (d.reason()) throw d.reason();
          if (++failures > 5) throw new FaasClientError(0, "NETWORK", `the event stream ${path} broke: ${(err as Error)?.message ?? err}`, { cause: err });
        }
        d.check();
      }
    } catch (err) {
      throw d.reason() ?? err;
    } finally {
      d.dispose();
    }
  }

  private functionIdOf(fn: Function | string, d: Deadline): Promise<string> {
    const source = typeof fn === "string" ? fn : fn.toString();
    let id = this.registered.get(source);
    if (!id) {
      id = this.register(fn, undefined, { signal: d.signal });
      this.registered.set(source, id);
      // A failed registration is not cached: the next call tries again.
      id.catch(() => this.registered.delete(source));
    }
    return id;
  }

  /** One JSON request under the call's own deadline (its `timeoutMs`, default the client's). */
  private request<T>(method: string, path: string, opts: WaitOptions, body?: unknown, headers?: Record<string, string>): Promise<T> {
    return withDeadline(opts.timeoutMs ?? this.timeoutMs, opts.signal, `${method} ${path}`, async (d) =>
      this.parse<T>(await this.send(method, path, d, body, headers), method, path));
  }

  private async send(method: string, path: string, d: Deadline, body?: unknown, extra?: Record<string, string>): Promise<Response> {
    const headers: Record<string, string> = { ...extra };
    if (this.authorization) headers.authorization = this.authorization;
    const init: RequestInit = { method, headers, signal: d.signal };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      headers["content-type"] = "application/json";
    }
    try {
      return await this.fetchFn(this.baseUrl + path, init);
    } catch (err) {
      d.check();
      throw new FaasClientError(0, "NETWORK", `cannot reach the bunfaas API at ${this.baseUrl}: ${(err as Error)?.message ?? err}`, { cause: err });
    }
  }

  private async parse<T>(res: Response, method: string, path: string): Promise<T> {
    const text = await res.text();
    if (res.status === 204) return undefined as T;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new FaasClientError(res.status, "UNEXPECTED_RESPONSE", `${method} ${path} answered ${res.status} with non-JSON: ${text.slice(0, 200)}`);
    }
    if (!res.ok) {
      const err = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
      const code = typeof err?.code === "string" ? err.code : "UNEXPECTED_RESPONSE";
      const message = typeof err?.message === "string" ? err.message : `${method} ${path} answered ${res.status}`;
      throw new FaasClientError(res.status, code, message);
    }
    return json as T;
  }
}

/** Wait `ms`, or reject when `signal` fires. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener("abort", stop);
      resolve();
    }, ms);
    const stop = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener("abort", stop, { once: true });
  });
}
