/** Pull worker process: REQ sockets ("lanes", one per task slot) ask the dispatcher for tasks, run them, return results with the next request. */
import { decodeDispatcherMessage, encodePullNotice, encodePullRequest, MAX_PULL_QUEUED_PER_THREAD, type PullRequest } from "../protocol/index.ts";
import { Dealer, refusalText, Request, ZmtpError } from "../zmtp/index.ts";
import { PoolClosedError } from "./pool-closed-error.ts";
import { startWorkerBase, within, WorkerBase, WorkerHandle, type RemoteWorker, type RemoteWorkerOptions } from "./remote-worker.ts";
import { StartReports } from "./start-reports.ts";
import { WorkBudget } from "./work-budget.ts";

export type { RemoteWorker, RemoteWorkerOptions } from "./remote-worker.ts";

/**
 * Measured work a pull worker asks for per thread beyond the running task, in ms of its tasks' mean run time: tiny
 * tasks keep up to `queuePerThread` lanes per thread asking, long ones one.
 */
export const PULL_HOLD_MS = 20;

/** Start a pull worker: resolves once its threads are up (it connects in the background, also before the dispatcher exists). */
export async function startPullWorker(opts: RemoteWorkerOptions): Promise<RemoteWorker> {
  const worker = new PullWorker(await startWorkerBase(opts, MAX_PULL_QUEUED_PER_THREAD));
  worker.start();
  return worker;
}

/** One slot's conversation: request (READY / RESULT / NEED / BYE) → reply (TASK / BYE / DENIED), in lockstep. */
class PullLane {
  readonly sock: Request;
  /** The request awaiting its reply; re-sent when the connection it went out on is lost. */
  private current: string[] | null = null;
  private lostRequest = false;
  private busy = false;
  done: Promise<void> = Promise.resolve();

  constructor(
    private readonly w: PullWorker,
    /** This lane's number in its process (0-based): the dispatcher knows the lane by it across reconnects. */
    private readonly lane: number,
  ) {
    this.sock = new Request({ ...w.base.socketOptions(), relaxed: true });
    this.sock.events.on("disconnect", ({ handshaken }) => {
      if (handshaken && this.current !== null) this.lostRequest = true;
    });
    this.sock.events.on("handshake", () => {
      if (!this.lostRequest || this.current === null) return;
      this.lostRequest = false;
      this.sock.send(this.current).catch(() => {});
    });
    this.sock.events.on("handshake:error:auth", ({ error }) => w.deny(refusalText(error)));
    this.sock.connect(w.base.opts.endpoint);
  }

  /** Withdraw a waiting READY (the reply is BYE, or a TASK already on its way, which is then run). */
  bye(): void {
    if (this.busy || this.current === null || this.sock.closed) return;
    if (this.sock.connectedPeers().length === 0) return this.sock.close(); // nobody to tell: the loop ends
    this.current = encodePullRequest({ type: "BYE", auth: this.w.base.auth, lane: this.lane });
    this.sock.send(this.current).catch(() => {});
  }

  async run(): Promise<void> {
    const base = this.w.base;
    const { lane } = this;
    // A lane beyond what the measured work asks for waits until it is wanted.
    if (!this.w.engage() && !(await this.w.parked())) return;
    let request: PullRequest = { type: "READY", auth: base.auth, lane };
    let parking = false;
    for (;;) {
      if (base.stopping && request.type === "READY") request = { type: "BYE", auth: base.auth, lane };
      const frames = encodePullRequest(request);
      this.current = frames;
      let reply: Buffer[];
      try {
        await this.sock.send(frames);
        reply = await this.sock.receive();
      } catch (err) {
        if (err instanceof ZmtpError && err.code === "ETERM") return;
        throw err;
      }
      this.current = null;
      const msg = decodeDispatcherMessage(reply);
      if (msg === null || msg.type === "WELCOME") {
        // WELCOME: the dispatcher released our held request (another connection of this process was lost) and
        // wants to see us ask again.
        if (msg === null) base.log.warn("unexpected reply from the dispatcher; asking again", { frames: reply.length });
        request = { type: "READY", auth: base.auth, lane };
        continue;
      }
      if (msg.type === "BYE") {
        // Our RESULT said "no next" to park this lane (fewer lanes fit the measured work): wait to be wanted again.
        if (!parking || base.stopping || !(await this.w.parked())) return;
        parking = false;
        request = { type: "READY", auth: base.auth, lane };
        continue;
      }
      if (msg.type === "DENIED") return this.w.deny(msg.reason);
      if (msg.type === "CANCEL") {
        // CANCEL comes on the control connection, never as a lane's reply.
        base.log.warn("unexpected CANCEL as a reply; asking again");
        request = { type: "READY", auth: base.auth, lane };
        continue;
      }
      const job = base.prepare(msg);
      if (job === null) {
        request = { type: "NEED", auth: base.auth, lane, streamId: msg.streamId, taskId: msg.taskId };
        continue;
      }
      this.busy = true;
      if (base.pool.idle > this.w.starts.reserved && base.pool.pending === 0) {
        // It starts on arrival: report that first, and hand it over after the report is flushed.
        this.w.starts.sendNow(msg.taskId);
        await new Promise((resolve) => setImmediate(resolve));
      } else if (this.w.starts.reserved > 0) {
        // Behind a task reported ahead: hand it over after that one, or it would take the idle thread first.
        await new Promise((resolve) => setImmediate(resolve));
      }
      let outcome;
      let startedAt = -1;
      const log = base.runLog(msg.taskId);
      const started = () => {
        startedAt = performance.now();
        this.w.starts.add(msg.taskId);
      };
      try {
        outcome = await base.run(job, { started, logs: log.logs });
      } catch (err) {
        if (err instanceof PoolClosedError) return; // closing: the dispatcher sees us leave and re-queues it
        throw err;
      } finally {
        this.busy = false;
      }
      base.stats.tasks++;
      if (startedAt >= 0) this.w.ran(performance.now() - startedAt);
      parking = !base.stopping && this.w.disengage();
      const logs = log.text();
      request = {
        type: "RESULT",
        auth: base.auth,
        lane,
        result: {
          streamId: msg.streamId, taskId: msg.taskId, status: outcome.status, executor: outcome.executor, result: outcome.result, ...(logs ? { logs } : {}),
        },
        next: !base.stopping && !parking,
        // Sent in this turn: it carries the start of the task posted behind this one on its thread, if any.
        started: this.w.starts.take(msg.taskId),
      };
    }
  }
}

/**
 * The lanes, plus one DEALER control connection for start reports that cannot wait for a lane's next request:
 * a task an idle thread starts on arrival is reported in a STARTED notice (one per event-loop turn); a task posted
 * behind another starts when that one finishes, and its start rides on that one's RESULT.
 */
class PullWorker extends WorkerHandle {
  private readonly lanes: PullLane[] = [];
  private readonly control: Dealer;
  private stopped: Promise<void> | null = null;
  private controlLoop: Promise<void> = Promise.resolve();
  /** Tasks asked for per thread beyond the running one, from their mean run time; null with `queuePerThread` 0. */
  private readonly hold: WorkBudget | null;
  /** Lanes asking or holding a task; the others are parked. */
  private engaged = 0;
  /** Wakes of parked lanes (true: ask again; false: stopping). */
  private readonly wakes: ((ask: boolean) => void)[] = [];
  readonly starts = new StartReports((taskIds) => {
    this.control.send(encodePullNotice({ type: "STARTED", auth: this.base.auth, taskIds })).catch(() => {});
  });

  constructor(base: WorkerBase) {
    super(base);
    this.control = new Dealer(base.socketOptions());
    this.hold = base.queue > 0 ? new WorkBudget({ budgetMs: PULL_HOLD_MS, min: 1, max: base.queue, first: 1 }) : null;
  }

  /** Lanes that should be asking now: threads × (1 + tasks held per thread). */
  private wanted(): number {
    return this.base.opts.threads * (1 + (this.hold?.jobs() ?? 0));
  }

  /** A lane wants to ask: true (counted) when fewer than wanted are engaged. */
  engage(): boolean {
    if (this.engaged >= this.wanted()) return false;
    this.engaged++;
    return true;
  }

  /** A lane finished a task: true (uncounted, it parks) when more than wanted are engaged. */
  disengage(): boolean {
    if (this.engaged <= this.wanted()) return false;
    this.engaged--;
    return true;
  }

  /** Wait parked until wanted (true, counted as engaged) or stopping (false). */
  parked(): Promise<boolean> {
    if (this.base.stopping) return Promise.resolve(false);
    return new Promise((resolve) => this.wakes.push(resolve));
  }

  /** A task ran for `ms`: when more lanes are wanted now, wake parked ones. */
  ran(ms: number): void {
    if (this.hold === null) return;
    this.hold.observe(ms);
    while (this.wakes.length > 0 && this.engaged < this.wanted()) {
      this.engaged++;
      this.wakes.shift()!(true);
    }
  }

  /**
   * One lane per slot: a lane per thread, plus one per task a thread may hold queued (see `queuePerThread`). As many
   * ask as fit {@link PULL_HOLD_MS} of the mean run time of its tasks so far per thread (2 per thread before any
   * ended); the rest are parked: a lane whose RESULT ends when fewer are wanted says "no next", and waits.
   */
  start(): void {
    // Refused at handshake (wrong secret or version): as a DENIED.
    this.control.events.on("handshake:error:auth", ({ error }) => this.deny(refusalText(error)));
    this.base.watchHandshakes(this.control.events);
    this.control.connect(this.base.opts.endpoint);
    this.controlLoop = this.receiveControl().catch((err) => this.base.log.error("pull control connection failed", { err: (err as Error).message }));
    for (let i = 0; i < this.base.slots; i++) {
      const lane = new PullLane(this, i);
      lane.done = lane.run().catch((err) => this.base.log.error("pull lane failed", { err: (err as Error).message }));
      this.lanes.push(lane);
    }
    this.base.log.info("pull worker started", { id: this.id, threads: this.base.opts.threads, lanes: this.lanes.length, endpoint: this.base.opts.endpoint });
  }

  /** What the dispatcher sends on the control connection: CANCEL of a task this process runs. */
  private async receiveControl(): Promise<void> {
    for await (const frames of this.control) {
      const msg = decodeDispatcherMessage(frames);
      if (msg?.type === "CANCEL") this.base.cancel(msg.taskId);
      else this.base.log.warn("unexpected message on the control connection; ignored", { frames: frames.length });
    }
  }

  /** Denied by the dispatcher: report and shut down. */
  deny(reason: string): void {
    if (this.base.stopping) return;
    this.base.denied(reason);
    void this.shutdown(0);
  }

  stop(graceMs = 10_000): Promise<void> {
    return this.shutdown(graceMs);
  }

  private shutdown(graceMs: number): Promise<void> {
    this.stopped ??= (async () => {
      this.base.stopping = true;
      for (const wake of this.wakes.splice(0)) wake(false);
      for (const lane of this.lanes) lane.bye();
      await within(Promise.all(this.lanes.map((l) => l.done)), graceMs);
      for (const lane of this.lanes) lane.sock.close();
      this.control.close();
      await this.base.pool.close();
      await this.controlLoop;
      await Promise.all(this.lanes.map((l) => l.done));
      this.base.ended();
    })();
    return this.stopped;
  }
}
