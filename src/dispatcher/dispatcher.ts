/** The dispatcher core shared by every mode: takes tasks from the queue as capacity frees, runs them, writes outcomes. */
import { hostname } from "node:os";
import { encodeError } from "../codec/index.ts";
import type { Log } from "../log.ts";
import type { QueueEntry, QueueReader, TaskQueue } from "../store/task-queue.ts";
import type { DispatchMode, JobOutcome } from "./dispatch-mode.ts";
import { FinishBatcher } from "./finish-batcher.ts";
import { FunctionCache } from "./function-cache.ts";

/** Options of {@link Dispatcher}. */
export interface DispatcherOptions {
  queue: TaskQueue;
  mode: DispatchMode;
  log: Log;
  /** Starts per task before it is FAILED as lost (infrastructure faults only). Default: 3. */
  maxAttempts?: number;
  /** Longest blocking read on the queue, in ms. Default: 2000. */
  blockMs?: number;
  /** How often the dispatcher refreshes its liveness and looks for dead dispatchers' tasks, in ms. Default: 1000. */
  heartbeatMs?: number;
  /** A dispatcher silent this long is dead and its tasks are taken over, in ms. Default: 5000. */
  aliveTtlMs?: number;
}

/** Error thrown into a task's result when it was lost too many times. */
class TaskLostError extends Error {
  override name = "TaskLostError";
}

/** Feeds a {@link DispatchMode} from the durable queue. */
export class Dispatcher {
  /** This dispatcher's consumer name in the group (unique per run). */
  readonly consumer = `${hostname()}:${process.pid}:${crypto.randomUUID().slice(0, 8)}`;
  private inflight = 0;
  private running = false;
  private loopDone: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private reader: QueueReader | null = null;
  private readonly finisher: FinishBatcher;
  private readonly functions: FunctionCache;
  private readonly maxAttempts: number;
  private readonly blockMs: number;
  private readonly heartbeatMs: number;
  private readonly aliveTtlMs: number;
  private readonly lostError: string;
  private readonly queue: TaskQueue;
  private readonly mode: DispatchMode;
  private readonly log: Log;

  constructor(opts: DispatcherOptions) {
    this.queue = opts.queue;
    this.mode = opts.mode;
    this.log = opts.log;
    this.maxAttempts = opts.maxAttempts ?? 3;
    this.blockMs = opts.blockMs ?? 2000;
    this.heartbeatMs = opts.heartbeatMs ?? 1000;
    this.aliveTtlMs = opts.aliveTtlMs ?? 5000;
    this.finisher = new FinishBatcher(this.queue, this.log);
    this.functions = new FunctionCache(this.queue);
    this.lostError = encodeError(new TaskLostError(
      `task lost ${this.maxAttempts} times (its executor died or went silent each time); giving up after ${this.maxAttempts} attempts`,
    ));
    this.mode.onCapacity(() => this.poke());
    this.mode.onLateResult?.((late) => {
      this.log.debug("late result; writing it unless the task is final already", { task: late.taskId, executor: late.executor });
      // Written without its stream id: a worker's claim that an entry belongs to a task is not checked, so it must
      // not acknowledge or delete entries. The entry (if any) is already gone (re-queued) or sits with a dead
      // dispatcher; whoever recovers it finds the task final and drops it.
      this.finisher.add({ ...late, streamId: "" });
    });
  }

  /** Tasks taken from the queue and not yet finished. */
  get inFlight(): number {
    return this.inflight;
  }

  /** Start consuming. Resolves once the dispatcher is registered as alive. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.reader = this.queue.reader();
    await this.queue.ensureGroup();
    await this.queue.heartbeat(this.consumer, this.aliveTtlMs);
    this.heartbeatTimer = setInterval(() => void this.tick(), this.heartbeatMs);
    this.loopDone = this.loop();
    void this.tick();
  }

  /** Stop taking tasks, let running ones finish (up to `graceMs`), write their outcomes and leave the group. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.poke();
    this.reader?.close();
    await this.loopDone;
    const deadline = Date.now() + graceMs;
    while (this.inflight > 0 && Date.now() < deadline) await Bun.sleep(10);
    await this.mode.close();
    // Write what we can; if Redis is gone, give up after the grace period: unwritten outcomes stay pending
    // under our name in Redis and another dispatcher re-runs those tasks.
    const left = Math.max(1000, deadline - Date.now());
    await Promise.race([this.finisher.drain(), Bun.sleep(left)]);
    this.finisher.stop();
    // Tasks still unfinished stay pending under our name; without the liveness key another dispatcher takes them.
    await Promise.race([this.queue.leave(this.consumer).catch(() => {}), Bun.sleep(1000)]);
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private async loop(): Promise<void> {
    let backoff = 100;
    // True while the queue has a backlog (the last read filled all the room we had): then refill in batches of at
    // least a quarter of the capacity, so slow tasks cost one read and one start per batch rather than per task.
    let backlog = false;
    while (this.running) {
      const capacity = this.mode.capacity();
      const free = capacity - this.inflight;
      if (free <= 0 || (backlog && free < Math.max(1, Math.floor(capacity / 4)))) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      try {
        const entries = await this.reader!.read(this.consumer, free, this.blockMs);
        backlog = entries.length >= free;
        if (entries.length > 0) await this.dispatch(entries);
        backoff = 100;
      } catch (err) {
        if (!this.running) break;
        this.log.warn("queue read failed; retrying", { err: (err as Error).message, retryMs: backoff });
        await Bun.sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }

  /** Start a batch of entries (ours already) and hand them to the mode. */
  private async dispatch(entries: QueueEntry[]): Promise<void> {
    this.inflight += entries.length;
    const opts = { executor: this.consumer, maxAttempts: this.maxAttempts, lostError: this.lostError };
    const started = await this.retrying("starting tasks", () => this.queue.startTasks(entries, opts));
    if (started === null) {
      // Stopping: the entries stay ours in Redis and another dispatcher recovers them.
      this.inflight -= entries.length;
      return;
    }
    this.inflight -= entries.length - started.length;
    const codes = await this.retrying("loading functions", () => this.functions.get(started.map((t) => t.functionId)));
    if (codes === null) {
      this.inflight -= started.length;
      return;
    }
    for (const task of started) {
      const code = codes.get(task.functionId);
      if (code == null) {
        this.settle(task, { status: "FAILED", executor: this.mode.name, result: encodeError(new Error(`function ${task.functionId} no longer exists`)) });
        continue;
      }
      void this.mode.run({ ...task, code }, { started: () => {} }).then((outcome) => this.settle(task, outcome));
    }
  }

  /** Run a Redis step until it succeeds (the entries it concerns stay ours meanwhile); null once stopping. */
  private async retrying<T>(what: string, step: () => Promise<T>): Promise<T | null> {
    for (let backoff = 100; ; backoff = Math.min(backoff * 2, 5000)) {
      try {
        return await step();
      } catch (err) {
        if (!this.running) return null;
        this.log.warn(`${what} failed; retrying`, { err: (err as Error).message, retryMs: backoff });
        await Bun.sleep(backoff);
      }
    }
  }

  private settle(entry: QueueEntry, outcome: JobOutcome): void {
    this.inflight--;
    if (outcome.status === "LOST") {
      this.log.warn("task lost; queueing it again", { task: entry.taskId, reason: outcome.reason });
      void this.queue.requeue(entry).catch((err) => this.log.error("requeue failed; another dispatcher will recover it", { task: entry.taskId, err: (err as Error).message }));
    } else {
      this.finisher.add({ streamId: entry.streamId, taskId: entry.taskId, status: outcome.status, result: outcome.result, executor: outcome.executor });
    }
    this.poke();
  }

  /** Heartbeat, then take over the tasks of dispatchers that stopped heartbeating. */
  private async tick(): Promise<void> {
    if (!this.running) return;
    try {
      await this.queue.heartbeat(this.consumer, this.aliveTtlMs);
      const orphans = await this.queue.claimOrphans(this.consumer, Math.min(this.heartbeatMs, this.aliveTtlMs));
      if (orphans.length > 0 && this.running) await this.dispatch(orphans);
    } catch (err) {
      this.log.warn("heartbeat/recovery failed", { err: (err as Error).message });
    }
  }
}
