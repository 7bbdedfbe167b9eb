/** One executor position of a `ThreadPool`: its current executor (thread or process), the jobs it holds (running, next) and the code it was sent. */
import type { ExecutorFactory, ExecutorHandle } from "./executor-handle.ts";
import type { OutcomeStatus, PoolJob } from "./outcome.ts";
import { DEFAULT_MAX_RESULT_BYTES } from "./result-limit.ts";
import type { LogBatch } from "./task-log.ts";
import type { RunMessage, ThreadMessage } from "./thread-messages.ts";

/** Largest delay `setTimeout` honours (about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;
/** Function ids a worker is assumed to have cached before the slot forgets them all (and resends code). */
const KNOWN_IDS_LIMIT = 1000;

/** How a slot's worker ended. */
export interface Death {
  /** Exit code, or null when the worker raised an error event. */
  code: number | null;
  /** What the worker reported before dying (uncaught error), if anything. */
  reason: string | null;
  /** Whether the worker had finished loading; false means it failed to start. */
  wasReady: boolean;
  /** Set when the executor was killed for exceeding its memory limit: that limit in MB. */
  memoryLimitMb?: number;
  /** The executor had finished no job before (what killed it cannot be left over from an earlier job). */
  fresh: boolean;
}

/** What a slot tells its pool. `T` is the pool's record of an accepted job. */
export interface SlotEvents<T extends { job: PoolJob }> {
  ready(slot: ThreadSlot<T>): void;
  /**
   * The thread starts running `task` now (it was posted to an idle thread, or the job before it finished). Not
   * called while a `skip` of it is pending: `skipped` follows.
   */
  started(slot: ThreadSlot<T>, task: T): void;
  done(slot: ThreadSlot<T>, task: T, status: OutcomeStatus, result: string): void;
  /** The answer to `skip(task)`: `dropped` when it never started (it is no longer held), else it had started. */
  skipped(slot: ThreadSlot<T>, task: T, dropped: boolean): void;
  /** The running `task` wrote these lines (streamed while it runs, the last batch before its `done`). */
  logs(slot: ThreadSlot<T>, task: T, batch: LogBatch): void;
  timedOut(slot: ThreadSlot<T>, task: T, timeoutMs: number): void;
  /** `task`: the job it was running; `unstarted`: jobs posted ahead that it never started (run them elsewhere). */
  died(slot: ThreadSlot<T>, task: T | null, death: Death, unstarted: T[]): void;
  /**
   * The executor is dirty (a job left timers or changed its realm) and runs nothing more; the slot has retired
   * it. `unstarted`: the jobs it held and never ran (run them elsewhere); `reason`: why.
   */
  dirty(slot: ThreadSlot<T>, reason: string, unstarted: T[]): void;
}

/** A job posted to the slot's worker: the first one held runs, a second one waits in the thread behind it. */
interface Held<T> {
  task: T;
  seq: number;
  timeoutMs: number;
  /** A `skip` was sent for it (cancelled while it waited behind the running job); the answer is awaited. */
  skipping?: boolean;
}

/**
 * Holds one worker at a time (replaced via `retire` + `spawn`), runs one job at a time on it, and
 * arms the running job's timeout. A job may be posted ahead while another runs: the thread starts it as soon
 * as the first finishes, and its timeout is armed when the pool hears of that finish. Messages from a replaced
 * worker, and stray ones, are ignored.
 */
export class ThreadSlot<T extends { job: PoolJob }> {
  #worker: ExecutorHandle | null = null;
  #ready = false;
  /** Jobs posted to this worker and not finished, oldest (running) first. */
  #held: Held<T>[] = [];
  /** Sequence number of the last job posted. */
  #seq = 0;
  #timer: Timer | null = null;
  /** Function ids whose code this worker was sent (it may have evicted some: it then asks again). */
  readonly #known = new Set<string>();
  #crashReason: string | null = null;
  /** Jobs the current executor finished. */
  #finished = 0;

  constructor(
    /** Executor label, e.g. `local/thread-3`; kept across replacements. */
    readonly label: string,
    /** Starts this slot's executors: threads, or executor processes. */
    readonly executors: ExecutorFactory,
    private readonly events: SlotEvents<T>,
    /** Position of this slot in its pool, from 1. Default: 1. */
    readonly index = 1,
    /** Largest result payload its executors let through, in UTF-8 bytes. Default: 10 MiB. */
    readonly maxResultBytes = DEFAULT_MAX_RESULT_BYTES,
  ) {}

  /** A worker exists (starting or ready). */
  get alive(): boolean {
    return this.#worker !== null;
  }

  /** The worker has loaded and takes jobs. */
  get ready(): boolean {
    return this.#ready;
  }

  /** The job running now. */
  get task(): T | null {
    return this.#held[0]?.task ?? null;
  }

  /** The jobs posted and not finished, the running one first. */
  get tasks(): T[] {
    return this.#held.map((h) => h.task);
  }

  /** Jobs posted and not finished: the running one plus any posted ahead. */
  get held(): number {
    return this.#held.length;
  }

  /** The job posted last and not finished (the end of the train), or null. */
  get last(): T | null {
    return this.#held.at(-1)?.task ?? null;
  }

  /**
   * Ask the executor to drop `task`, posted behind the running job, before it starts; the answer comes as the
   * `skipped` event. False (nothing sent) when the slot does not hold it behind the running one, or its executor
   * cannot skip.
   */
  skip(task: T): boolean {
    const held = this.#held.find((h, i) => i > 0 && h.task === task);
    if (held === undefined || held.skipping || this.#worker?.skip === undefined) return false;
    held.skipping = true;
    this.#worker.skip(held.seq);
    return true;
  }

  /** Start a fresh executor. Throws when it cannot even be started. */
  spawn(): void {
    this.#ready = false;
    this.#crashReason = null;
    this.#known.clear();
    this.#finished = 0;
    let worker: ExecutorHandle | null = null;
    worker = this.executors.start(this.index, this.label, {
      message: (raw) => {
        if (worker !== null && this.#worker === worker) this.#onMessage(raw);
      },
      ended: ({ code, reason, memoryLimitMb }) => {
        if (worker === null || this.#worker !== worker) return;
        if (reason !== undefined) this.#crashReason ??= reason;
        this.#die(code, memoryLimitMb);
      },
    });
    this.#worker = worker;
  }

  /**
   * Post `task` to the (ready) worker: it runs now if the slot holds nothing, else right after the jobs held
   * before it. Its `timeoutMs` is armed when it starts running.
   */
  start(task: T, timeoutMs: number): void {
    this.#seq = this.executors.nextSeq(this.#seq);
    const held: Held<T> = { task, seq: this.#seq, timeoutMs };
    this.#held.push(held);
    this.#post(held, !this.#known.has(task.job.functionId));
    if (this.#held.length === 1) this.#arm(held);
  }

  /** Detach and terminate the worker; returns the jobs it held, the running one first. */
  retire(): T[] {
    this.#clearTimer();
    const worker = this.#worker;
    this.#worker = null;
    this.#ready = false;
    worker?.terminate();
    const tasks = this.#held.map((h) => h.task);
    this.#held = [];
    return tasks;
  }

  /** Retire the worker and resolve once it has closed (or after `waitMs`); returns the jobs it held. */
  async stop(waitMs: number): Promise<T[]> {
    const worker = this.#worker;
    const tasks = this.retire();
    if (worker === null) return tasks;
    let timer: Timer | undefined;
    await Promise.race([worker.gone, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
    return tasks;
  }

  #onMessage(raw: unknown): void {
    if (typeof raw !== "object" || raw === null) return;
    const message = raw as ThreadMessage;
    switch (message.kind) {
      case "done": {
        // The thread runs jobs in the order posted: only the oldest held one can finish.
        const head = this.#held[0];
        if (head === undefined || message.seq !== head.seq) return;
        if (message.status !== "COMPLETED" && message.status !== "FAILED") return;
        if (typeof message.result !== "string") return;
        this.#clearTimer();
        this.#held.shift();
        this.#finished++;
        if (typeof message.dirty === "string") {
          const unstarted = this.retire(); // it runs nothing more: a job posted behind never started there
          this.events.done(this, head.task, message.status, message.result);
          this.events.dirty(this, message.dirty, unstarted);
          return;
        }
        const next = this.#held[0];
        if (next !== undefined) this.#arm(next);
        this.events.done(this, head.task, message.status, message.result);
        return;
      }
      case "dirty": {
        const head = this.#held[0];
        if (head === undefined || message.seq !== head.seq || typeof message.reason !== "string") return;
        this.events.dirty(this, message.reason, this.retire());
        return;
      }
      case "logs": {
        // Only the running job writes: lines are its own by the job's sequence number, which user code never sees.
        const head = this.#held[0];
        if (head === undefined || message.seq !== head.seq || !Array.isArray(message.lines)) return;
        const lines = validLines(message.lines);
        if (lines.length > 0 || message.truncated === true) this.events.logs(this, head.task, { lines, truncated: message.truncated === true });
        return;
      }
      case "need-code": {
        const held = this.#held.find((h) => h.seq === message.seq);
        if (held !== undefined && !held.skipping) this.#post(held, true);
        return;
      }
      case "skipped": {
        const i = this.#held.findIndex((h) => h.seq === message.seq && h.skipping === true);
        if (i < 0) return;
        const held = this.#held[i]!;
        if (message.ok !== true) {
          held.skipping = false;
          this.events.skipped(this, held.task, false);
          return;
        }
        this.#held.splice(i, 1);
        if (i === 0) {
          // It was next in line but had not started (its code was on the way): the job after it is now first.
          this.#clearTimer();
          const next = this.#held[0];
          if (next !== undefined) this.#arm(next);
        }
        this.events.skipped(this, held.task, true);
        return;
      }
      case "ready":
        if (this.#ready) return;
        this.#ready = true;
        this.events.ready(this);
        return;
      case "crash":
        if (typeof message.reason === "string") this.#crashReason = message.reason;
        return;
    }
  }

  #post({ task: { job }, seq }: Held<T>, withCode: boolean): void {
    const maxResultBytes = this.maxResultBytes;
    const message: RunMessage = withCode
      ? { seq, functionId: job.functionId, args: job.args, code: job.code, maxResultBytes }
      : { seq, functionId: job.functionId, args: job.args, maxResultBytes };
    if (job.maxLogLines !== undefined) message.maxLogLines = job.maxLogLines;
    if (withCode) {
      if (this.#known.size >= KNOWN_IDS_LIMIT) this.#known.clear();
      this.#known.add(job.functionId);
    }
    this.#worker?.post(message, job);
  }

  #arm(held: Held<T>): void {
    if (!held.skipping) this.events.started(this, held.task);
    this.#timer = setTimeout(this.#onTimeout, Math.min(held.timeoutMs, MAX_TIMER_MS), held.timeoutMs);
  }

  readonly #onTimeout = (timeoutMs: number): void => {
    this.#timer = null;
    const task = this.task;
    if (task !== null) this.events.timedOut(this, task, timeoutMs);
  };

  #die(code: number | null, memoryLimitMb?: number): void {
    const wasReady = this.#ready;
    const reason = this.#crashReason;
    const fresh = this.#finished === 0;
    const [task = null, ...unstarted] = this.retire();
    this.events.died(this, task, { code, reason, wasReady, fresh, ...(memoryLimitMb !== undefined ? { memoryLimitMb } : {}) }, unstarted);
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}

/** The well-formed lines of a `logs` message (it comes from an executor: checked, not trusted). */
function validLines(raw: unknown[]): LogBatch["lines"] {
  const lines: LogBatch["lines"] = [];
  for (const l of raw) {
    if (typeof l !== "object" || l === null) continue;
    const { ts, stream, text } = l as Record<string, unknown>;
    if (typeof ts !== "number" || typeof text !== "string" || (stream !== "stdout" && stream !== "stderr")) continue;
    lines.push({ ts, stream, text });
  }
  return lines;
}
