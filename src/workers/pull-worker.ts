/** Pull worker process: REQ sockets ("lanes", one per task slot) ask the dispatcher for tasks, run them, return results with the next request. */
import { decodeDispatcherMessage, encodePullRequest, type PullRequest } from "../protocol/index.ts";
import { Request, ZmtpError } from "../zmtp/index.ts";
import { PoolClosedError } from "./pool-closed-error.ts";
import { startWorkerBase, within, WorkerHandle, type RemoteWorker, type RemoteWorkerOptions } from "./remote-worker.ts";

export type { RemoteWorker, RemoteWorkerOptions } from "./remote-worker.ts";

/** Start a pull worker: resolves once its threads are up (it connects in the background, also before the dispatcher exists). */
export async function startPullWorker(opts: RemoteWorkerOptions): Promise<RemoteWorker> {
  const worker = new PullWorker(await startWorkerBase(opts));
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

  constructor(private readonly w: PullWorker) {
    this.sock = new Request({ ...w.base.socketOptions(), relaxed: true });
    this.sock.events.on("disconnect", ({ handshaken }) => {
      if (handshaken && this.current !== null) this.lostRequest = true;
    });
    this.sock.events.on("handshake", () => {
      if (!this.lostRequest || this.current === null) return;
      this.lostRequest = false;
      this.sock.send(this.current).catch(() => {});
    });
    this.sock.connect(w.base.opts.endpoint);
  }

  /** Withdraw a waiting READY (the reply is BYE, or a TASK already on its way, which is then run). */
  bye(): void {
    if (this.busy || this.current === null || this.sock.closed) return;
    if (this.sock.connectedPeers().length === 0) return this.sock.close(); // nobody to tell: the loop ends
    this.current = encodePullRequest({ type: "BYE", auth: this.w.base.auth });
    this.sock.send(this.current).catch(() => {});
  }

  async run(): Promise<void> {
    const base = this.w.base;
    let request: PullRequest = { type: "READY", auth: base.auth };
    for (;;) {
      if (base.stopping && request.type === "READY") request = { type: "BYE", auth: base.auth };
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
        request = { type: "READY", auth: base.auth };
        continue;
      }
      if (msg.type === "BYE") return;
      if (msg.type === "DENIED") return this.w.deny(msg.reason);
      const job = base.prepare(msg);
      if (job === null) {
        request = { type: "NEED", auth: base.auth, streamId: msg.streamId, taskId: msg.taskId };
        continue;
      }
      this.busy = true;
      let outcome;
      try {
        outcome = await base.pool.run(job);
      } catch (err) {
        if (err instanceof PoolClosedError) return; // closing: the dispatcher sees us leave and re-queues it
        throw err;
      } finally {
        this.busy = false;
      }
      base.stats.tasks++;
      request = {
        type: "RESULT",
        auth: base.auth,
        result: { streamId: msg.streamId, taskId: msg.taskId, status: outcome.status, executor: outcome.executor, result: outcome.result },
        next: !base.stopping,
      };
    }
  }
}

class PullWorker extends WorkerHandle {
  private readonly lanes: PullLane[] = [];
  private stopped: Promise<void> | null = null;

  /** One lane per slot: a lane per thread, plus one per task a thread may hold queued (see `queuePerThread`). */
  start(): void {
    for (let i = 0; i < this.base.slots; i++) {
      const lane = new PullLane(this);
      lane.done = lane.run().catch((err) => this.base.log.error("pull lane failed", { err: (err as Error).message }));
      this.lanes.push(lane);
    }
    this.base.log.info("pull worker started", { id: this.id, threads: this.base.opts.threads, lanes: this.lanes.length, endpoint: this.base.opts.endpoint });
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
      for (const lane of this.lanes) lane.bye();
      await within(Promise.all(this.lanes.map((l) => l.done)), graceMs);
      for (const lane of this.lanes) lane.sock.close();
      await this.base.pool.close();
      await Promise.all(this.lanes.map((l) => l.done));
      this.base.ended();
    })();
    return this.stopped;
  }
}
