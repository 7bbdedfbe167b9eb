/** Runs one job in the current thread: compiles (and caches) a user function, calls it, encodes the outcome. */
import { decodeArgs, encode, encodeError } from "../codec/index.ts";
import { keepUserFrame } from "./internal-frames.ts";
import { LruCache } from "./lru-cache.ts";
import type { Job, Outcome } from "./outcome.ts";
import { checkMaxResultBytes, DEFAULT_MAX_RESULT_BYTES, encodedSizeAtLeast, sizeOverLimit } from "./result-limit.ts";
import { taskFailure } from "./task-failure.ts";

/** A compiled user function. */
export type UserFunction = (...args: unknown[]) => unknown;

/** Options of `createExecutor`. */
export interface ExecutorOptions {
  /** Most compiled functions kept (least recently used evicted first). Default: 1000. */
  cacheSize?: number;
  /** Largest result payload in UTF-8 bytes; a larger one fails with `ResultTooLargeError`. Default: 10 MiB. */
  maxResultBytes?: number;
}

/** Runs jobs; one per thread (or process). */
export interface Executor {
  /**
   * Run a job to its outcome. Never throws or rejects: compile errors, bad arguments, user
   * throws/rejections, un-encodable results and results over `maxResultBytes` (default: the executor's) all
   * become `FAILED` outcomes.
   */
  run(job: Job, maxResultBytes?: number): Promise<Outcome>;
  /** True when the function with this id is compiled and cached (its `code` is then not needed). */
  has(functionId: string): boolean;
}

const ENCODE_OPTIONS = { stackFilter: keepUserFrame };

/** Create an executor with its own function cache. */
export function createExecutor(options: ExecutorOptions = {}): Executor {
  const cache = new LruCache<UserFunction>(options.cacheSize ?? 1000);
  const defaultLimit = checkMaxResultBytes(options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES);

  async function run(job: Job, maxResultBytes?: number): Promise<Outcome> {
    const limit = maxResultBytes !== undefined && maxResultBytes > 0 ? maxResultBytes : defaultLimit;
    let fn: UserFunction;
    let args: unknown[];
    try {
      fn = cache.get(job.functionId) ?? compileInto(cache, job);
      args = decodeArgs(job.args);
    } catch (err) {
      return failed(err);
    }
    let value: unknown;
    try {
      value = await fn(...args);
    } catch (err) {
      const outcome = failed(err);
      const size = sizeOverLimit(outcome.result, limit);
      return size === null ? outcome : tooLarge(String(size), limit, "error");
    }
    const atLeast = encodedSizeAtLeast(value);
    if (atLeast > limit) return tooLarge(`at least ${atLeast}`, limit);
    let result: string;
    try {
      result = encode(value);
    } catch (err) {
      return failed(namedError("ResultEncodeError", `the function's result could not be encoded: ${messageOf(err)}`));
    }
    const size = sizeOverLimit(result, limit);
    return size === null ? { status: "COMPLETED", result } : tooLarge(String(size), limit);
  }

  return { run, has: (id) => cache.has(id) };
}

/**
 * Evaluate the function expression with indirect eval (global scope, no access to ours) and cache it.
 * A `sourceURL` names the code `function-<id>.js` in stack traces.
 */
function compileInto(cache: LruCache<UserFunction>, job: Job): UserFunction {
  const source = `(${job.code}\n)\n//# sourceURL=${sourceName(job.functionId)}`;
  const fn: unknown = (0, eval)(source);
  if (typeof fn !== "function") {
    throw namedError("InvalidFunctionError", `the function's code evaluated to ${describe(fn)}, not a function`);
  }
  cache.set(job.functionId, fn as UserFunction);
  return fn as UserFunction;
}

/** File name shown for user code in stack traces; only safe characters of the id are kept. */
export function sourceName(functionId: string): string {
  return `function-${functionId.replace(/[^\w.-]/g, "_").slice(0, 100)}.js`;
}

function failed(err: unknown): Outcome {
  return { status: "FAILED", result: encodeError(err, ENCODE_OPTIONS) };
}

/** The result is over the limit: it never leaves the executor. */
function tooLarge(size: string, limit: number, what = "result"): Outcome {
  const message = `the function's ${what} is ${size} bytes, over the limit of ${limit} bytes (maxResultBytes)`;
  return { status: "FAILED", result: taskFailure("ResultTooLargeError", message) };
}

function namedError(name: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

function messageOf(err: unknown): string {
  try {
    return err instanceof Error ? err.message : String(err);
  } catch {
    return "unknown error";
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return "an object";
  return typeof value === "undefined" ? "undefined" : `a ${typeof value}`;
}
