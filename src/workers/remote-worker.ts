/** What pull and push worker processes share: options, the handle they return, their thread pool, code cache and counters. */
import { hostname } from "node:os";
import { FaasError } from "../faas-error.ts";
import type { Log } from "../log.ts";
import {
  AUTH_PROPERTY, encodeHandshakeAuth, encodeRuntimes, MAX_CAPACITY, PROTOCOL_VERSION, RUNTIMES_PROPERTY, type TaskMessage,
  type WorkerAuth,
} from "../protocol/index.ts";
import type { SocketEvents, SocketOptions } from "../zmtp/index.ts";
import { logHandshakeFailures } from "./handshake-failures.ts";
import { LruCache } from "./lru-cache.ts";
import type { PoolJob, PoolOutcome } from "./outcome.ts";
import type { ProcessExecutorOptions } from "./process-executor-options.ts";
import type { PythonRuntime } from "./python-executors.ts";
import { DEFAULT_TASK_LOG_LINES, TaskLog, type LogBatch } from "./task-log.ts";
import { ThreadPool, type RunOptions } from "./thread-pool.ts";
import { WorkBudget } from "./work-budget.ts";

/**
 * Measured work a remote worker takes per thread beyond the running task, in ms of its tasks' mean run time (push:
 * tasks held; pull: lanes asking): tiny tasks up to `queuePerThread` per thread, tasks of 20 ms and longer one.
 */
export const HOLD_MS = 20;

/** The measured hold of a worker taking up to `queue` tasks per thread beyond the running one (null with 0): 1 before any ended. */
export function measuredHold(queue: number): WorkBudget | null {
  return queue > 0 ? new WorkBudget({ budgetMs: HOLD_MS, min: 1, max: queue, first: 1 }) : null;
}

/** Most cancels remembered for tasks not yet handed to the pool. */
const LATE_CANCELS = 1000;

/** Options of `startPullWorker` and `startPushWorker`. */
export interface RemoteWorkerOptions {
  /** The dispatcher's endpoint, `tcp://host:port`. */
  endpoint: string;
  /** Bun Worker threads in this process (a `ThreadPool`). */
  threads: number;
  /** Shared secret the dispatcher requires. Default: none. */
  secret?: string;
  /**
   * CURVE on the link: this worker's key pair and the dispatcher's public key (Z85 each). Its id then begins with its
   * public key (`KEY/id`): the identity the dispatcher accepts its results under. Default: none (the NULL mechanism).
   */
  curve?: { publicKey: string; secretKey: string; serverKey: string };
  /** Timeout for tasks that come without one, in ms (the dispatcher always sends one). Default: 300_000. */
  taskTimeoutMs?: number;
  log: Log;
  /** ZMTP heartbeat interval in ms; a dispatcher silent for 4 intervals after a PING is dropped and reconnected to. Default: 500. */
  heartbeatMs?: number;
  /** This worker's id (printable ASCII, no spaces). Default: `${hostname}-${pid}-${random}`. */
  id?: string;
  /** Function codes kept (least recently used evicted; an evicted one is asked for again). Default: 1000. */
  codeCacheSize?: number;
  /**
   * Most tasks held per thread beyond the running one, so a finished thread starts its next task at once instead of
   * after a round trip to the dispatcher (+20 % throughput with small tasks for the first). The worker takes as many
   * as fit {@link HOLD_MS} of its tasks' measured run time per thread, at least 1 (+20 % again with tiny tasks; long
   * tasks one per thread). Pull: 0 to MAX_PULL_QUEUED_PER_THREAD (a REQ lane per task slot; the lanes beyond that
   * wait parked). Push: 0 to MAX_QUEUED_PER_THREAD (it tells the dispatcher its capacity as that changes). 0 suits a
   * few long tasks of uneven length best: none waits behind another while some other worker's thread is idle.
   * Default: the most (pull 7, push 32).
   */
  queuePerThread?: number;
  /**
   * Run each thread in an executor process of its own (process isolation): a task held beyond the running one then
   * waits in this process, not in the executor. Default: none (threads in this process).
   */
  processes?: ProcessExecutorOptions;
  /** Most log lines kept per task (`--task-log-lines`; 64 KiB at most too), sent with its RESULT. Default: 1000. */
  taskLogLines?: number;
  /** Largest result a task may return, in UTF-8 bytes (`ResultTooLargeError` above). Default: 10 MiB. */
  maxResultBytes?: number;
  /** Python runners beside the threads (`probePython`); the worker then advertises the `python` runtime. Default: none. */
  python?: PythonRuntime;
}

/** The log of one task's run on a remote worker: lines kept as they stream in (printed at debug level), sent with its RESULT. */
export interface RunLog {
  /** Feed for the pool's `logs` option. */
  logs(batch: LogBatch): void;
  /** The log's `encodeLog` text for the RESULT, or undefined when the task wrote nothing. */
  text(): string | undefined;
}

/** Counters of a remote worker (tests, logs). */
export interface RemoteWorkerStats {
  /** Tasks run to an outcome. */
  tasks: number;
  /** TASK messages that carried function code. */
  codeReceived: number;
  /** NEED messages sent (a task came without code this worker lacked). */
  needs: number;
}

/** A running remote worker process. */
export interface RemoteWorker {
  /** This worker's id; its threads run as `${id}/thread-N`. */
  readonly id: string;
  readonly stats: RemoteWorkerStats;
  /**
   * Resolves when the worker ends by itself: with a FaasError (code CONFIG) when the dispatcher denied it
   * (wrong secret or protocol version), with null after `stop()`.
   */
  readonly exited: Promise<FaasError | null>;
  /** Graceful: stop taking tasks, finish running ones, send their results, close (after at most `graceMs`, default 10_000). */
  stop(graceMs?: number): Promise<void>;
}

/** What pull and push workers answer from their {@link WorkerBase}; each adds its sockets and `stop`. */
export abstract class WorkerHandle implements RemoteWorker {
  constructor(readonly base: WorkerBase) {}

  get id(): string {
    return this.base.id;
  }
  get stats(): RemoteWorkerStats {
    return this.base.stats;
  }
  get exited(): Promise<FaasError | null> {
    return this.base.exited;
  }

  abstract stop(graceMs?: number): Promise<void>;
}

/** A {@link WorkerBase} whose threads are all up (closed again when they cannot start). */
export async function startWorkerBase(opts: RemoteWorkerOptions, mostQueued: number): Promise<WorkerBase> {
  const base = new WorkerBase(opts, mostQueued);
  try {
    await base.pool.ready();
  } catch (err) {
    await base.pool.close();
    throw err;
  }
  return base;
}

/** Everything a worker process holds besides its sockets. */
export class WorkerBase {
  readonly id: string;
  readonly auth: WorkerAuth;
  readonly pool: ThreadPool;
  readonly stats: RemoteWorkerStats = { tasks: 0, codeReceived: 0, needs: 0 };
  readonly exited: Promise<FaasError | null>;
  readonly log: Log;
  /** Most tasks held per thread beyond the running one: `queuePerThread`, fewer where threads × (1 + it) would pass MAX_CAPACITY. */
  readonly queue: number;
  /** Most tasks this process may hold at once: threads × (1 + queuePerThread). */
  readonly slots: number;
  stopping = false;
  /** Tasks taken per thread beyond the running one, from their mean run time; null with `queue` 0. */
  private readonly hold: WorkBudget | null;
  private readonly codes: LruCache<string>;
  private readonly endExited: (value: FaasError | null) => void;

  /** @param mostQueued - the most `queuePerThread` may be in this mode (MAX_PULL_QUEUED_PER_THREAD, MAX_QUEUED_PER_THREAD). */
  constructor(readonly opts: RemoteWorkerOptions, mostQueued: number) {
    this.id = opts.curve !== undefined ? `${opts.curve.publicKey}/${opts.id ?? defaultWorkerId()}` : (opts.id ?? defaultWorkerId());
    if (!/^[\x21-\x7e]{1,200}$/.test(this.id)) throw new FaasError("CONFIG", `worker id must be 1-200 printable ASCII characters without spaces: ${JSON.stringify(this.id)}`);
    if (!Number.isInteger(opts.threads) || opts.threads < 1) throw new FaasError("CONFIG", `threads must be a positive integer: ${opts.threads}`);
    const queue = opts.queuePerThread ?? mostQueued;
    if (!Number.isInteger(queue) || queue < 0 || queue > mostQueued) {
      throw new FaasError("CONFIG", `queuePerThread must be 0 to ${mostQueued}: ${queue}`);
    }
    // Many threads hold fewer each: the slots stay within what a worker may register.
    this.queue = Math.min(queue, Math.max(0, Math.floor(MAX_CAPACITY / opts.threads) - 1));
    this.slots = opts.threads * (1 + this.queue);
    this.hold = measuredHold(this.queue);
    if (this.slots > MAX_CAPACITY) throw new FaasError("CONFIG", `threads × (1 + queuePerThread) must be at most ${MAX_CAPACITY}: ${this.slots}`);
    this.log = opts.log;
    this.auth = { version: PROTOCOL_VERSION, workerId: this.id, secret: opts.secret ?? "" };
    this.codes = new LruCache<string>(opts.codeCacheSize ?? 1000);
    // A queued task is posted to its thread at once: the thread starts it without a turn through this process.
    this.pool = new ThreadPool({ threads: opts.threads, taskTimeoutMs: opts.taskTimeoutMs ?? 300_000, log: opts.log, name: this.id, postAhead: queue > 0,
      processes: opts.processes, maxResultBytes: opts.maxResultBytes, python: opts.python,
    });
    const { promise, resolve } = Promise.withResolvers<FaasError | null>();
    this.exited = promise;
    this.endExited = resolve;
  }

  /**
   * ZMTP options for the worker's sockets: our credentials in every handshake (the dispatcher authorizes the
   * connection there), heartbeats both ways, quick reconnects, a short linger on close.
   */
  socketOptions(): SocketOptions {
    const hb = this.opts.heartbeatMs ?? 500;
    return {
      metadata: { [AUTH_PROPERTY]: encodeHandshakeAuth(this.auth), [RUNTIMES_PROPERTY]: encodeRuntimes(this.opts.python ? ["js", "python"] : ["js"]) },
      ...(this.opts.curve !== undefined ? { curveSecretKey: this.opts.curve.secretKey, curveServerKey: this.opts.curve.serverKey } : {}),
      heartbeatInterval: hb,
      heartbeatTimeout: hb * 4,
      heartbeatTimeToLive: hb * 4,
      reconnectInterval: 100,
      reconnectMaxInterval: 1000,
      sendHighWaterMark: 0,
      linger: 1000,
      log: (line) => this.log.debug(line),
    };
  }

  /** The pool job for a TASK, or null when it came without code and this worker lacks it (answer NEED). */
  prepare(t: TaskMessage): PoolJob | null {
    let code = t.code;
    if (code !== "") {
      this.stats.codeReceived++;
      this.codes.set(t.functionId, code);
    } else {
      const cached = this.codes.get(t.functionId);
      if (cached === undefined) {
        this.stats.needs++;
        return null;
      }
      code = cached;
    }
    return { taskId: t.taskId, functionId: t.functionId, code, args: t.args, timeoutMs: t.timeoutMs, maxLogLines: this.opts.taskLogLines ?? DEFAULT_TASK_LOG_LINES };
  }

  /**
   * Cancel task `taskId` (the dispatcher sent CANCEL): in the pool, or, for a task the worker holds but has not
   * handed to the pool yet (it waits a turn behind a start report), as soon as it is.
   */
  cancel(taskId: string): void {
    if (this.pool.cancel(taskId)) return;
    if (this.lateCancels.size >= LATE_CANCELS) this.lateCancels.clear();
    this.lateCancels.add(taskId);
  }

  /** Run a job on the pool (its run time goes into the measured hold); one whose CANCEL came before it reached the pool is cancelled at once. */
  run(job: PoolJob, control: RunOptions): Promise<PoolOutcome> {
    const hold = this.hold;
    let startedAt = -1;
    const started = () => {
      startedAt = performance.now();
      control.started?.();
    };
    const outcome = this.pool.run(job, hold === null ? control : { ...control, started });
    if (this.lateCancels.delete(job.taskId)) this.pool.cancel(job.taskId);
    if (hold === null) return outcome;
    // Its run time (start to outcome) is in the mean before the caller sees the outcome.
    return outcome.then((out) => {
      if (startedAt >= 0) hold.observe(performance.now() - startedAt);
      return out;
    });
  }

  /** Slots the measured work wants now: threads × (1 + tasks per thread that fit HOLD_MS; 1 before any ended, 0 with `queue` 0). */
  wantedSlots(): number {
    return this.opts.threads * (1 + (this.hold?.jobs() ?? 0));
  }

  /** Task ids cancelled before they reached the pool (a CANCEL for a task that already ended stays until cleared). */
  private readonly lateCancels = new Set<string>();

  /** A fresh log for a run of task `taskId`. */
  runLog(taskId: string): RunLog {
    const log = new TaskLog(this.opts.taskLogLines ?? DEFAULT_TASK_LOG_LINES);
    return {
      logs: (batch) => {
        for (const line of log.add(batch)) this.log.debug(`[${taskId}] ${line.text}`, { stream: line.stream });
      },
      text: () => (log.empty ? undefined : log.toJSON()),
    };
  }

  /** Log failed handshakes with the dispatcher on `events`' socket (see {@link logHandshakeFailures}). */
  watchHandshakes(events: SocketEvents): void {
    logHandshakeFailures(events, this.log, this.opts.endpoint, this.opts.curve !== undefined);
  }

  /** The dispatcher refused us: report it through `exited`. */
  denied(reason: string): FaasError {
    const err = new FaasError("CONFIG", `the dispatcher at ${this.opts.endpoint} denied this worker: ${reason}`);
    this.log.error("denied by the dispatcher; stopping", { reason });
    this.endExited(err);
    return err;
  }

  /** Stopped normally. */
  ended(): void {
    this.endExited(null);
  }
}

/** `${hostname}-${pid}-${6 hex}`, restricted to characters valid in an id. */
export function defaultWorkerId(): string {
  const host = hostname().replace(/[^\w.-]/g, "_").slice(0, 64) || "host";
  return `${host}-${process.pid}-${crypto.randomUUID().slice(0, 6)}`;
}

/** Resolves after `ms` or when `done` settles, whichever is first (without keeping a timer alive after). */
export async function within(done: Promise<unknown>, ms: number): Promise<void> {
  let timer: Timer | undefined;
  await Promise.race([done.then(() => {}, () => {}), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
