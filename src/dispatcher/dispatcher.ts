/** The dispatcher core shared by every mode: takes tasks from the queue as capacity frees, runs them, writes outcomes. */
import { hostname } from "node:os";
import type { Log } from "../log.ts";
import type { DispatchQueue, QueueEntry, QueueReading } from "../store/dispatch-queue.ts";
import type { DispatcherFigures } from "../store/dispatcher-figures.ts";
import type { DispatchMode } from "./dispatch-mode.ts";
import { FunctionCache } from "./function-cache.ts";
import { OutcomeWriter } from "./outcome-writer.ts";
import { TaskRuns } from "./task-runs.ts";
import { pythonTaskFailure, taskFailure } from "../workers/task-failure.ts";
import { DEFAULT_TASK_LOG_LINES } from "../workers/task-log.ts";

/** Options of {@link Dispatcher}. */
export interface DispatcherOptions {
  queue: DispatchQueue;
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
  /**
   * How long an entry may sit pending under this dispatcher without it holding the entry before it takes the
   * entry up again (a delivery whose reply was lost), in ms; checked about as often. Default: 10000.
   */
  strayMs?: number;
  /** Most log lines kept per task (`--task-log-lines`; 64 KiB at most too). Default: 1000. */
  taskLogLines?: number;
}

/**
 * Feeds a {@link DispatchMode} from the durable queue: reads as capacity frees (in batches while there is a
 * backlog), loads tasks and their code, takes over dead dispatchers' tasks and its own lost deliveries, and stops
 * gracefully. What happens to each task it holds is {@link TaskRuns}' part.
 */
export class Dispatcher {
  /** This dispatcher's consumer name in the group (unique per run). */
  readonly consumer = `${hostname()}:${process.pid}:${crypto.randomUUID().slice(0, 8)}`;
  private running = false;
  private stopped: Promise<void> | null = null;
  private loopDone: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private reader: QueueReading | null = null;
  private cancelListening: { close(): void } | null = null;
  private readonly dispatching = new Set<Promise<void>>();
  private readonly writer: OutcomeWriter;
  private readonly runs: TaskRuns;
  private readonly functions: FunctionCache;
  private readonly maxAttempts: number;
  private readonly blockMs: number;
  private readonly heartbeatMs: number;
  private readonly aliveTtlMs: number;
  private readonly strayMs: number;
  private lastStrayCheck = Date.now();
  private readonly lostError: string;
  /** The same, for a Python function's task: a pickled built-in exception its clients can load. */
  private readonly pythonLostError: string;
  /** The result of a queued task whose function was deleted (LOAD_TASKS fails it). */
  private readonly deletedError = taskFailure("FunctionNotFoundError", "the task's function was deleted (DELETE /functions/{id}) before the task ran");
  private readonly queue: DispatchQueue;
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
    this.strayMs = opts.strayMs ?? 10_000;
    this.writer = new OutcomeWriter(this.queue, this.log);
    this.functions = new FunctionCache(this.queue);
    const lost = `task lost ${this.maxAttempts} times (its executor died or went silent each time); giving up after ${this.maxAttempts} attempts`;
    this.lostError = taskFailure("TaskLostError", lost);
    this.pythonLostError = pythonTaskFailure("TaskLostError", lost);
    this.runs = new TaskRuns({
      mode: this.mode, writer: this.writer, log: this.log, consumer: this.consumer, maxAttempts: this.maxAttempts,
      lostError: this.lostError, running: () => this.running, freed: () => this.poke(),
      taskLogLines: opts.taskLogLines ?? DEFAULT_TASK_LOG_LINES,
    });
    this.mode.onCapacity(() => this.poke());
  }

  /** Tasks taken from the queue and not yet settled. */
  get inFlight(): number {
    return this.runs.inFlight;
  }

  /** State changes not yet written to the queue. */
  get unwritten(): number {
    return this.writer.backlog;
  }

  /** What this dispatcher publishes with each heartbeat (read by the API's `/metrics`, `/ready` and `/stats`). */
  figures(): DispatcherFigures {
    return {
      consumer: this.consumer, mode: this.mode.name, at: Date.now(), held: this.runs.inFlight,
      capacity: this.running ? this.mode.capacity() : 0, workers: this.mode.workerLoads?.() ?? [],
      ...(this.mode.pythonWaiting?.() ? { pythonWaiting: this.mode.pythonWaiting() } : {}),
    };
  }

  /** Start consuming. Resolves once the dispatcher is registered as alive. */
  async start(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    this.reader = this.queue.reader();
    await this.queue.ensureGroup();
    await this.queue.heartbeat(this.consumer, this.aliveTtlMs, this.figures());
    this.cancelListening = (await this.queue.cancels?.((taskId) => this.cancel(taskId))) ?? null;
    this.heartbeatTimer = setInterval(() => void this.tick(), this.heartbeatMs);
    this.loopDone = this.loop();
    void this.tick();
  }

  /**
   * Graceful stop: start nothing new and hand every task no executor started back to the queue at once
   * (uncharged, read first by any dispatcher), let running ones finish within `graceMs`, then hand back the rest;
   * write everything, then leave the group. Idempotent.
   */
  stop(graceMs = 10_000): Promise<void> {
    this.stopped ??= this.shutdown(graceMs);
    return this.stopped;
  }

  private async shutdown(graceMs: number): Promise<void> {
    const deadline = Date.now() + graceMs;
    this.running = false;
    this.poke();
    this.reader?.close();
    await this.loopDone;
    await Promise.all(this.dispatching);
    this.mode.stopStarting();
    await Promise.race([this.runs.whenEmpty(), Bun.sleep(Math.max(0, deadline - Date.now()))]);
    await this.mode.close();
    // Write what we can; if Redis is gone, give up after the grace period: unwritten changes leave the tasks as
    // Redis has them (pending under our name) and another dispatcher recovers them once our liveness key expires.
    await Promise.race([this.writer.drained, Bun.sleep(Math.max(1000, deadline - Date.now()))]);
    this.writer.stop();
    this.cancelListening?.close();
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    await Promise.race([this.queue.leave(this.consumer).catch(() => {}), Bun.sleep(1000)]);
  }

  /**
   * A task was cancelled (on the cancel channel, heard by every dispatcher): stop it if this dispatcher runs it. A task
   * loaded but not yet handed to the mode is caught there (TaskRuns skips it).
   */
  private cancel(taskId: string): void {
    this.runs.cancelled(taskId);
    this.mode.cancel(taskId);
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private async loop(): Promise<void> {
    let backoff = 100;
    // True while the queue has a backlog (the last read filled all the room we had): then refill in batches of at
    // least a quarter of the capacity, so slow tasks cost one read and one load per batch rather than per task.
    let backlog = false;
    while (this.running) {
      const capacity = this.mode.capacity();
      const free = capacity - this.runs.inFlight;
      if (free <= 0 || (backlog && free < Math.max(1, Math.floor(capacity / 4)))) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      try {
        const entries = await this.reader!.read(this.consumer, free, this.blockMs);
        backlog = entries.length >= free;
        if (entries.length > 0) await this.track(this.dispatch(entries, false));
        backoff = 100;
      } catch (err) {
        if (!this.running) break;
        this.log.warn("queue read failed; retrying", { err: (err as Error).message, retryMs: backoff });
        await Bun.sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }

  private track(p: Promise<void>): Promise<void> {
    this.dispatching.add(p);
    return p.finally(() => this.dispatching.delete(p));
  }

  /** Load a batch of entries (ours already) and hand the live ones to the mode; `first` for lost tasks. */
  private async dispatch(taken: QueueEntry[], first: boolean): Promise<void> {
    const entries = this.runs.take(taken);
    if (entries.length === 0) return;
    const loaded = await this.retrying("loading tasks", () => this.queue.loadTasks(entries, { maxAttempts: this.maxAttempts, lostError: this.lostError, pythonLostError: this.pythonLostError, deletedError: this.deletedError }));
    if (loaded === null) return this.runs.handBack(entries);
    if (loaded.length < entries.length) this.runs.dropAllBut(entries, loaded);
    const codes = await this.retrying("loading functions", () => this.functions.get(loaded.map((t) => t.functionId)));
    if (codes === null || !this.running) return this.runs.handBack(loaded);
    for (const task of loaded) {
      const code = codes.get(task.functionId);
      if (code == null) {
        this.runs.finish(task, { status: "FAILED", executor: this.mode.name, result: taskFailure("FunctionNotFoundError", `function ${task.functionId} was deleted before the task ran`) });
      } else this.runs.run(task, code, first);
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

  /**
   * Heartbeat (also while stopping, so nobody takes our running tasks), then take over dead dispatchers' tasks
   * and, every `strayMs`, entries pending under our own name that we do not hold (a delivery whose reply was lost).
   */
  private async tick(): Promise<void> {
    try {
      await this.queue.heartbeat(this.consumer, this.aliveTtlMs, this.figures());
      if (!this.running) return;
      const recovered = await this.queue.claimOrphans(this.consumer, Math.min(this.heartbeatMs, this.aliveTtlMs));
      if (Date.now() - this.lastStrayCheck >= this.strayMs) {
        this.lastStrayCheck = Date.now();
        const strays = (await this.queue.reclaimOwn(this.consumer, this.strayMs)).filter((e) => !this.runs.holds(e));
        if (strays.length > 0) {
          this.log.warn("taking up entries delivered to this dispatcher whose delivery never arrived", { tasks: strays.length });
          recovered.push(...strays);
        }
      }
      if (recovered.length === 0) return;
      if (this.running) await this.track(this.dispatch(recovered, true));
      else this.runs.handBack(this.runs.take(recovered));
    } catch (err) {
      this.log.warn("heartbeat/recovery failed", { err: (err as Error).message });
    }
  }
}
