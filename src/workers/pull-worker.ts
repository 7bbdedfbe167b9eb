/** Pull worker process: REQ sockets ("lanes", one per task slot) ask the dispatcher for tasks, run them, return results with the next request. */
import { decodeDispatcherMessage, encodePullNotice, encodePullRequest, MAX_PULL_QUEUED_PER_THREAD, type PullRequest } from "../protocol/index.ts";
import { Dealer, refusalText, Request, ZmtpError } from "../zmtp/index.ts";
import { PoolClosedError } from "./pool-closed-error.ts";
import { startWorkerBase, within, WorkerBase, WorkerHandle, type RemoteWorker, type RemoteWorkerOptions } from "./remote-worker.ts";
import { StartReports } from "./start-reports.ts";
import { AskingLanes } from "./asking-lanes.ts";

export type { RemoteWorker, RemoteWorkerOptions } from "./remote-worker.ts";

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
    if (!this.w.asking.engage() && !(await this.w.asking.parked())) return;
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
        if (!parking || base.stopping || !(await this.w.asking.parked())) return;
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
      const log = base.runLog(msg.taskId);
      try {
        outcome = await base.run(job, { started: () => this.w.starts.add(msg.taskId), logs: log.logs });
      } catch (err) {
        if (err instanceof PoolClosedError) return; // closing: the dispatcher sees us leave and re-queues it
        throw err;
      } finally {
        this.busy = false;
      }
      base.stats.tasks++;
      this.w.asking.wake();
      parking = !base.stopping && this.w.asking.disengage();
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
  /** How many lanes ask; the others wait parked. */
  readonly asking: AskingLanes;
  readonly starts = new StartReports((taskIds) => {
    this.control.send(encodePullNotice({ type: "STARTED", auth: this.base.auth, taskIds })).catch(() => {});
  });

  constructor(base: WorkerBase) {
    super(base);
    this.control = new Dealer(base.socketOptions());
    this.asking = new AskingLanes(() => base.wantedSlots());
  }

  /**
   * One lane per slot: a lane per thread, plus one per task a thread may hold queued (see `queuePerThread`). As many
   * ask as `base.wantedSlots()` says (HOLD_MS of its tasks' mean run time per thread; 2 per thread before any
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
      this.asking.stop();
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
