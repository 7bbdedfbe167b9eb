/** Push worker process: one DEALER registers this process's capacity with the dispatcher, runs the tasks it pushes, sends results. */
import { decodeDispatcherMessage, encodePushMessage, MAX_QUEUED_PER_THREAD, type PushMessage, type TaskMessage } from "../protocol/index.ts";
import { Dealer, refusalText } from "../zmtp/index.ts";
import type { PoolJob } from "./outcome.ts";
import { PoolClosedError } from "./pool-closed-error.ts";
import { StartReports } from "./start-reports.ts";
import { startWorkerBase, within, WorkerBase, WorkerHandle, type RemoteWorker, type RemoteWorkerOptions } from "./remote-worker.ts";

export type { RemoteWorker, RemoteWorkerOptions } from "./remote-worker.ts";

/** Least time between two CAPACITY messages, in ms: a mean run time near a step changes the capacity at most this often. */
const CAPACITY_EVERY_MS = 250;

/** Start a push worker: resolves once its threads are up (it connects and registers in the background). */
export async function startPushWorker(opts: RemoteWorkerOptions): Promise<RemoteWorker> {
  const worker = new PushWorker(await startWorkerBase(opts, MAX_QUEUED_PER_THREAD));
  worker.start();
  return worker;
}

/**
 * HELLO opens every connection (also after a reconnect, with how many tasks are still running); until
 * WELCOME, results and start reports wait in an outbox, so they always follow the HELLO on the new connection.
 * Its capacity is threads × (1 + tasks held per thread): as many as fit HOLD_MS (remote-worker.ts) of the mean run
 * time of its tasks so far, 1 to `queuePerThread` (1 before any ended; none with `queuePerThread` 0); a change is sent
 * as CAPACITY, at most every 250 ms.
 */
class PushWorker extends WorkerHandle {
  private readonly sock: Dealer;
  private welcomed = false;
  private byeAcked = false;
  private readonly outbox: string[][] = [];
  private readonly running = new Set<string>();
  /** Starts not yet reported: they ride on the next RESULT, else go out as one STARTED per event-loop turn. */
  private readonly starts = new StartReports((taskIds) => this.post({ type: "STARTED", taskIds }));
  private loop: Promise<void> = Promise.resolve();
  private stopped: Promise<void> | null = null;
  /** Wakes `stop()` when the last running task reported. */
  private idle: (() => void) | null = null;
  /** The capacity the dispatcher was last told, and when (performance.now()). */
  private told = 0;
  private toldAt = -Infinity;
  /** A CAPACITY waiting for the 250 ms since the last to pass. */
  private capacityTimer: Timer | null = null;

  constructor(base: WorkerBase) {
    super(base);
    this.sock = new Dealer(base.socketOptions());
  }

  /** Send CAPACITY when it changed, registered and not stopping; within 250 ms of the last, once that time is up. */
  private tell(): void {
    if (this.capacityTimer !== null || !this.welcomed || this.base.stopping || this.base.wantedSlots() === this.told) return;
    const wait = this.toldAt + CAPACITY_EVERY_MS - performance.now();
    if (wait > 0) {
      this.capacityTimer = setTimeout(() => {
        this.capacityTimer = null;
        this.tell();
      }, wait);
      this.capacityTimer.unref?.();
      return;
    }
    this.told = this.base.wantedSlots();
    this.toldAt = performance.now();
    this.post({ type: "CAPACITY", capacity: this.told });
  }

  start(): void {
    const { base, sock } = this;
    sock.events.on("handshake", () => {
      this.welcomed = false;
      this.told = base.wantedSlots();
      this.toldAt = performance.now();
      const hello: PushMessage = { type: "HELLO", auth: base.auth, capacity: this.told, busy: Math.min(this.running.size, this.told) };
      sock.send(encodePushMessage(hello)).catch(() => {});
    });
    sock.events.on("disconnect", ({ handshaken }) => {
      if (handshaken) this.welcomed = false;
    });
    // Refused at handshake (wrong secret or version): as a DENIED.
    sock.events.on("handshake:error:auth", ({ error }) => this.deny(refusalText(error)));
    base.watchHandshakes(sock.events);
    sock.connect(base.opts.endpoint);
    this.loop = this.receive().catch((err) => base.log.error("push worker receive loop failed", { err: (err as Error).message }));
    base.log.info("push worker started", { id: this.id, threads: base.opts.threads, endpoint: base.opts.endpoint });
  }

  stop(graceMs = 10_000): Promise<void> {
    return this.shutdown(graceMs);
  }

  /** Denied by the dispatcher (DENIED, or refused at handshake): report and shut down. */
  private deny(reason: string): void {
    if (this.base.stopping) return;
    this.base.denied(reason);
    void this.shutdown(0);
  }

  private async receive(): Promise<void> {
    for await (const frames of this.sock) {
      const msg = decodeDispatcherMessage(frames);
      if (msg === null) {
        this.base.log.warn("malformed message from the dispatcher; ignored", { frames: frames.length });
        continue;
      }
      switch (msg.type) {
        case "TASK":
          this.runTask(msg);
          break;
        case "WELCOME":
          this.welcomed = true;
          for (const m of this.outbox.splice(0)) this.sock.send(m).catch(() => {});
          if (this.base.stopping) this.post({ type: "BYE" });
          else this.tell();
          break;
        case "CANCEL":
          // The task was cancelled: its executor is stopped and replaced; its RESULT (CancelledError) follows.
          if (this.running.has(msg.taskId)) this.base.cancel(msg.taskId);
          break;
        case "BYE":
          this.byeAcked = true;
          this.checkIdle();
          break;
        case "DENIED":
          this.deny(msg.reason);
          return;
      }
    }
  }

  private runTask(t: TaskMessage): void {
    const job = this.base.prepare(t);
    if (job === null) return this.post({ type: "NEED", streamId: t.streamId, taskId: t.taskId });
    this.running.add(t.taskId);
    const pool = this.base.pool;
    if (pool.idle > this.starts.reserved && pool.pending === 0 && this.welcomed) {
      // It starts on arrival: report that first, and hand it over after the report is flushed.
      this.starts.sendNow(t.taskId);
      setImmediate(() => this.runJob(t, job));
    } else if (this.starts.reserved > 0) {
      // Behind a task reported ahead: hand it over after that one, or it would take the idle thread first.
      setImmediate(() => this.runJob(t, job));
    } else this.runJob(t, job);
  }

  private runJob(t: TaskMessage, job: PoolJob): void {
    const log = this.base.runLog(t.taskId);
    this.base.run(job, { started: () => this.starts.add(t.taskId), logs: log.logs }).then(
      (out) => {
        this.base.stats.tasks++;
        this.tell(); // its run time may have changed the capacity
        const logs = log.text();
        const result = { streamId: t.streamId, taskId: t.taskId, status: out.status, executor: out.executor, result: out.result, ...(logs ? { logs } : {}) };
        this.post({ type: "RESULT", result, started: this.starts.take(t.taskId) });
      },
      (err) => {
        if (!(err instanceof PoolClosedError)) this.base.log.error("task run failed", { task: t.taskId, err: (err as Error).message });
      },
    ).finally(() => {
      this.running.delete(t.taskId);
      this.checkIdle();
    });
  }

  /** Send now when registered, else keep it for after the next WELCOME. */
  private post(msg: PushMessage): void {
    const frames = encodePushMessage(msg);
    if (this.welcomed) this.sock.send(frames).catch(() => {});
    else this.outbox.push(frames);
  }

  private checkIdle(): void {
    if (this.running.size === 0 && this.outbox.length === 0 && this.byeAcked) this.idle?.();
  }

  private shutdown(graceMs: number): Promise<void> {
    this.stopped ??= (async () => {
      const base = this.base;
      base.stopping = true;
      if (this.capacityTimer !== null) clearTimeout(this.capacityTimer);
      this.capacityTimer = null;
      const drained = new Promise<void>((resolve) => (this.idle = resolve));
      if (this.welcomed) this.post({ type: "BYE" });
      this.checkIdle();
      // Not registered and nothing running: nobody to say goodbye to.
      if (this.welcomed || this.running.size > 0) await within(drained, graceMs);
      this.sock.close();
      await base.pool.close();
      await this.loop;
      base.ended();
    })();
    return this.stopped;
  }
}
