/** FaasClient: the typed client of the bunfaas REST API (fetch only; works in Bun, Node and browsers). */
import { decode, encode, toError } from "../codec/index.ts";
import { FaasClientError } from "./faas-client-error.ts";
import type { ExecuteOptions, FaasClientOptions, ResultOptions, ResultResponse, StatusResponse } from "./types.ts";

const FINAL = new Set(["COMPLETED", "FAILED"]);

/**
 * Client of the bunfaas REST API. API errors are thrown as {@link FaasClientError}.
 *
 * @example
 * const faas = new FaasClient({ baseUrl: "http://127.0.0.1:8000" });
 * const twice = await faas.run((x: number) => x * 2, 21); // 42
 */
export class FaasClient {
  private readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;
  private readonly pollWaitSeconds: number;
  private readonly authorization: string | undefined;
  /** Function ids by source text, so `run` registers each distinct function once. */
  private readonly registered = new Map<string, Promise<string>>();

  constructor(opts: FaasClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, "");
    this.fetchFn = opts.fetch ?? globalThis.fetch.bind(globalThis);
    this.pollWaitSeconds = opts.pollWaitSeconds ?? 30;
    this.authorization = opts.key === undefined ? undefined : `Bearer ${opts.key}`;
  }

  /** Register a function (its `toString()` source, or source text); returns the function id. `name` default: the function's name, else "anonymous". */
  async register(fn: Function | string, name?: string): Promise<string> {
    const source = typeof fn === "string" ? fn : fn.toString();
    const fnName = name ?? (typeof fn === "function" && fn.name ? fn.name : "anonymous");
    const body = await this.call<{ function_id: string }>("POST", "/register_function", { name: fnName, payload: source });
    return body.function_id;
  }

  /** Queue a task calling function `functionId` with `args` (encoded with the codec); returns the task id. */
  async execute(functionId: string, args: unknown[] = [], opts: ExecuteOptions = {}): Promise<string> {
    const payload: Record<string, unknown> = { function_id: functionId, payload: encode(args) };
    if (opts.timeoutSeconds !== undefined) payload.timeout_seconds = opts.timeoutSeconds;
    const body = await this.call<{ task_id: string }>("POST", "/execute_function", payload);
    return body.task_id;
  }

  /** The task's status, as the API answers it. */
  status(taskId: string): Promise<StatusResponse> {
    return this.call<StatusResponse>("GET", `/status/${encodeURIComponent(taskId)}`);
  }

  /** The task's status and raw result text (null until it ends); `wait` long-polls up to that many seconds. */
  result(taskId: string, opts: ResultOptions = {}): Promise<ResultResponse> {
    const query = opts.wait !== undefined ? `?wait=${encodeURIComponent(String(opts.wait))}` : "";
    return this.call<ResultResponse>("GET", `/result/${encodeURIComponent(taskId)}${query}`);
  }

  /**
   * Run `fn(...args)` remotely and return its (decoded) value, or throw its (decoded) error.
   * Registers each distinct source once, then long-polls until the task ends.
   */
  run<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Promise<Awaited<R>>;
  run(fn: Function | string, ...args: unknown[]): Promise<unknown>;
  async run(fn: Function | string, ...args: unknown[]): Promise<unknown> {
    const functionId = await this.registerOnce(fn);
    const taskId = await this.execute(functionId, args);
    for (;;) {
      const r = await this.result(taskId, { wait: this.pollWaitSeconds });
      if (!FINAL.has(r.status)) continue;
      const value = r.result === null ? undefined : decode(r.result);
      if (r.status === "FAILED") throw toError(value);
      return value;
    }
  }

  private registerOnce(fn: Function | string): Promise<string> {
    const source = typeof fn === "string" ? fn : fn.toString();
    let id = this.registered.get(source);
    if (!id) {
      id = this.register(fn);
      this.registered.set(source, id);
      // A failed registration is not cached: the next call tries again.
      id.catch(() => this.registered.delete(source));
    }
    return id;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.authorization) headers.authorization = this.authorization;
    const init: RequestInit = { method, headers };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      headers["content-type"] = "application/json";
    }
    let res: Response;
    try {
      res = await this.fetchFn(this.baseUrl + path, init);
    } catch (err) {
      throw new FaasClientError(0, "NETWORK", `cannot reach the bunfaas API at ${this.baseUrl}: ${(err as Error)?.message ?? err}`, { cause: err });
    }
    const text = await res.text();
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
