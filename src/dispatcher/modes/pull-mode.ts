/** Pull mode: workers ask for tasks over REQ sockets; the dispatcher's ROUTER holds their requests and answers as tasks arrive. */
import { encodeDispatcherMessage, decodePullRequest, type PullRequest, type TaskResult } from "../../protocol/index.ts";
import { Fifo } from "../../workers/fifo.ts";
import type { Router } from "../../zmtp/index.ts";
import { RemoteMode } from "./remote-mode.ts";
import type { Assignment } from "./remote-tasks.ts";
import type { RemoteModeOptions } from "./remote-mode-options.ts";

export type { RemoteModeOptions } from "./remote-mode-options.ts";

/** One worker REQ socket (one worker thread): at most one held request or one task at a time. */
interface PullSocket {
  key: string;
  rid: Buffer;
  workerId: string;
  /** Its request waits in the idle FIFO for a task. */
  held: boolean;
  task: Assignment | null;
}

const EMPTY = Buffer.alloc(0);

/**
 * The load-balancing broker. A worker thread's request (READY, or RESULT + ready) is held until a job
 * exists and answered with a TASK; nothing polls. `capacity()` = tasks out + held requests + prefetch per
 * connected socket, so the core reads from Redis about as many tasks as there are idle worker threads.
 */
export class PullMode extends RemoteMode {
  private readonly sockets = new Map<string, PullSocket>();
  private readonly idle = new Fifo<PullSocket>();
  private held = 0;

  constructor(opts: RemoteModeOptions) {
    super("pull", opts);
  }

  /** A socket whose task expired is idle again when its late RESULT comes. */
  protected override onExpired(a: Assignment): void {
    const s = this.sockets.get(a.owner);
    if (s?.task === a) s.task = null;
  }

  /** Worker sockets now waiting for a task. */
  get idleSockets(): number {
    return this.held;
  }

  capacity(): number {
    if (this.core.closing) return 0;
    return this.core.tasks.size + this.held + this.core.opts.prefetch * this.sockets.size;
  }

  private get router(): Router {
    return this.core.router;
  }

  /** Answer held requests with waiting jobs. */
  protected place(): void {
    const core = this.core;
    while (core.pending.length > 0) {
      const s = this.idle.shift();
      if (s === undefined) return;
      if (!s.held || this.sockets.get(s.key) !== s) continue;
      const p = core.pending.shift()!;
      s.held = false;
      this.held--;
      s.task = core.assign(p, s.key, s.workerId, [s.rid, EMPTY]);
    }
  }

  protected onMessage(frames: Buffer[]): void {
    const rid = frames[0]!;
    if (frames.length < 3 || frames[1]!.length !== 0) return this.core.bad("message without a REQ envelope", frames);
    const msg = decodePullRequest(frames.slice(2));
    if (msg === null) return this.core.bad("malformed pull request", frames);
    const denial = this.core.check(msg.auth);
    if (denial !== null) {
      this.reply(rid, encodeDispatcherMessage({ type: "DENIED", reason: denial }));
      return this.core.warn("denied a worker", { worker: msg.auth.workerId, reason: denial });
    }
    const key = rid.toString("latin1");
    let s = this.sockets.get(key);
    if (s === undefined) {
      if (!this.core.live.has(key)) {
        // The connection is gone already: only its result still counts.
        if (msg.type === "RESULT") this.result(null, msg.result);
        return;
      }
      s = { key, rid, workerId: msg.auth.workerId, held: false, task: null };
      this.sockets.set(key, s);
      this.core.workerJoined(msg.auth.workerId);
    } else if (s.workerId !== msg.auth.workerId) {
      return this.core.bad("worker id changed on a connection", frames);
    }
    this.handle(s, msg);
  }

  private handle(s: PullSocket, msg: PullRequest): void {
    switch (msg.type) {
      case "READY":
        this.abandon(s, "it asked for a new task");
        return this.hold(s);
      case "RESULT":
        this.result(s, msg.result);
        if (msg.next) return this.hold(s);
        this.abandon(s, "it said goodbye");
        return this.reply(s.rid, encodeDispatcherMessage({ type: "BYE" }));
      case "NEED": {
        const a = this.core.tasks.get(msg.taskId);
        if (a !== undefined && a.owner === s.key && s.task === a) return this.core.resend(a, [s.rid, EMPTY]);
        this.core.warn("NEED for a task this socket does not hold; giving it another", { task: msg.taskId, worker: s.workerId });
        this.abandon(s, "it lost its task");
        return this.hold(s);
      }
      case "BYE":
        if (s.task !== null) return; // a TASK is on its way: it is the answer; its RESULT will say goodbye
        if (s.held) {
          s.held = false;
          this.held--;
        }
        return this.reply(s.rid, encodeDispatcherMessage({ type: "BYE" }));
    }
  }

  /** A RESULT: settle the task this socket holds, or hand an unknown one to the core as a late result. */
  private result(s: PullSocket | null, r: TaskResult): void {
    const a = this.core.tasks.get(r.taskId);
    if (a !== undefined) {
      if (s === null || a.owner !== s.key) {
        this.core.warn("result for a task assigned to another worker; ignored", { task: r.taskId, from: s?.workerId, holder: a.workerId });
        return;
      }
      s.task = null;
      this.core.finish(a, r);
      return;
    }
    if (s !== null) this.abandon(s, "it reported another task");
    this.core.late(r);
  }

  /** The socket moved on without reporting its task: that task is lost (re-queued by the core). */
  private abandon(s: PullSocket, why: string): void {
    const a = s.task;
    if (a === null) return;
    s.task = null;
    this.core.warn(`worker socket dropped its task: ${why}`, { task: a.job.taskId, worker: s.workerId });
    this.core.tasks.settle(a, { status: "LOST", reason: `worker ${s.workerId} dropped the task (${why})` });
  }

  private hold(s: PullSocket): void {
    if (!s.held) {
      s.held = true;
      this.held++;
      this.idle.push(s);
    }
    this.place();
    this.core.capacityChanged();
  }

  protected onDisconnect(key: string, reason: string): void {
    const s = this.sockets.get(key);
    if (s === undefined) return;
    this.sockets.delete(key);
    if (s.held) this.held--;
    s.held = false;
    s.task = null;
    this.core.lose(key, `worker ${s.workerId} connection lost: ${reason}`);
    this.core.workerLeft(s.workerId);
    this.releaseSiblings(s.workerId);
  }

  /**
   * One connection of a worker process was lost: the process may be hung or gone as a whole, and its other lanes
   * are only found dead when their own heartbeats run out. Until then, handing them a re-queued task would lose
   * it again (one more attempt). So their held requests are released with WELCOME ("ask again"): lanes of a live
   * process ask again at once and are held as before; lanes of a hung one never do, and get nothing.
   */
  private releaseSiblings(workerId: string): void {
    let released = 0;
    for (const o of this.sockets.values()) {
      if (o.workerId !== workerId || !o.held) continue;
      o.held = false; // its entry in the idle FIFO is skipped from now on
      this.held--;
      released++;
      this.reply(o.rid, encodeDispatcherMessage({ type: "WELCOME" }));
    }
    if (released > 0) this.core.capacityChanged();
  }

  private reply(rid: Buffer, frames: string[]): void {
    this.router.send([rid, EMPTY, ...frames]).catch(() => {});
  }
}
