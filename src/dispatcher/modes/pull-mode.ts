/** Pull mode: workers ask for tasks over REQ sockets; the dispatcher's ROUTER holds their requests and answers as tasks arrive. */
import {
  decodePullNotice, decodePullRequest, encodeDispatcherMessage, type ForeignVersion, type PullRequest,
} from "../../protocol/index.ts";
import type { WorkerLoad } from "../dispatch-mode.ts";
import { RemoteMode } from "./remote-mode.ts";
import type { RemoteModeOptions } from "./remote-mode-options.ts";
import type { Assignment } from "./remote-tasks.ts";

export type { RemoteModeOptions } from "./remote-mode-options.ts";

/** One lane of a worker process (one REQ socket, `workerId lane`): at most one held request or one task at a time. */
interface PullLane {
  /** `${workerId} ${lane}`: the lane across its connections (the holder of its task). */
  key: string;
  workerId: string;
  /** Its current connection (ROUTER routing id) and that id as a key. */
  rid: Buffer;
  conn: string;
  task: Assignment | null;
}

const EMPTY = Buffer.alloc(0);

/**
 * The load-balancing broker. A lane's request (READY, or RESULT + next) is held until a job exists and answered
 * with a TASK; nothing polls. A lane is idle exactly while it is in `idle` (insertion-ordered: the oldest request
 * is answered first). A lane asks while it is idle or holds a task; one that parked (its RESULT said no next, or it
 * said BYE) does neither until it asks again. `capacity()` = (1 + prefetch) per lane asking, so the core reads from
 * Redis about as many tasks as there are lanes asking. Each process also has a DEALER control connection, on which it
 * reports tasks that started on arrival (STARTED); starts of tasks posted behind another ride on RESULTs.
 */
export class PullMode extends RemoteMode {
  private readonly lanes = new Map<string, PullLane>();
  /** Lanes by connection key; a lane that reconnected is still listed under its old key until that one closes. */
  private readonly byConn = new Map<string, PullLane>();
  private readonly idle = new Set<PullLane>();

  constructor(opts: RemoteModeOptions) {
    super("pull", opts);
  }

  /** Lanes now waiting for a task. */
  get idleLanes(): number {
    return this.idle.size;
  }

  capacity(): number {
    if (this.closing) return 0;
    // Lanes asking: the idle ones and those holding a task (one each).
    return (1 + this.opts.prefetch) * (this.assigned + this.idle.size);
  }

  workerLoads(): WorkerLoad[] {
    const byWorker = new Map<string, WorkerLoad>();
    for (const lane of this.lanes.values()) {
      const w = byWorker.get(lane.workerId) ?? { id: lane.workerId, slots: 0, busy: 0, runtimes: this.runtimesOf(lane.workerId) };
      w.slots++;
      if (lane.task !== null) w.busy++;
      byWorker.set(lane.workerId, w);
    }
    return [...byWorker.values()];
  }

  /** Answer held requests with waiting jobs, oldest request first. */
  protected place(): void {
    // Oldest request first; a lane whose worker has no runtime for any waiting job stays held (Python tasks wait
    // for a lane of a worker with Python).
    for (const lane of [...this.idle]) {
      if (this.waiting === 0) return;
      const task = this.sendNext(lane.workerId, lane.key, [lane.rid, EMPTY]);
      if (task === null) continue;
      this.idle.delete(lane);
      lane.task = task;
    }
  }

  protected override onExpired(a: Assignment): void {
    const lane = this.lanes.get(a.holder);
    if (lane?.task === a) lane.task = null;
  }

  protected onMessage(frames: Buffer[]): void {
    const rid = frames[0]!;
    if (frames[1]?.length !== 0) return this.notice(frames);
    if (frames.length < 3) return this.bad("message without a request", frames);
    const msg = decodePullRequest(frames.slice(2));
    if (msg === null) return this.bad("malformed pull request", frames);
    const key = rid.toString("latin1");
    if (this.denied(key, msg, rid)) return;
    if (msg.type === "FOREIGN") return;
    const holder = `${msg.auth.workerId} ${msg.lane}`;
    const known = this.byConn.get(key);
    if (known !== undefined && known.key !== holder) return this.bad("worker id or lane changed on a connection", frames);
    if (!this.isLive(key)) {
      // The connection is gone already: only its result still counts.
      if (msg.type === "RESULT") this.answer(msg.auth.workerId, msg);
      return;
    }
    let lane = this.lanes.get(holder);
    if (lane === undefined) {
      lane = { key: holder, workerId: msg.auth.workerId, rid, conn: key, task: null };
      this.lanes.set(holder, lane);
      this.holderJoined(lane.workerId);
    } else if (lane.conn !== key) {
      // The lane reconnected (its REQ re-sends the request it had out): its old connection's request is void.
      lane.rid = rid;
      lane.conn = key;
      this.idle.delete(lane);
    }
    this.byConn.set(key, lane);
    this.handle(lane, msg);
  }

  /** A control-connection message (no REQ envelope): start reports. */
  private notice(frames: Buffer[]): void {
    const msg = decodePullNotice(frames.slice(1));
    if (msg === null) return this.bad("malformed pull notice", frames);
    const denial = this.check(frames[0]!.toString("latin1"), msg.auth);
    if (denial !== null) return this.warn("ignored a notice from a denied worker", { worker: msg.auth.workerId, reason: denial });
    if (msg.type === "STARTED") this.startedBy(msg.auth.workerId, msg.taskIds);
  }

  /** Answer DENIED when the request's version or secret is refused, or its connection was not authorized as its worker. */
  private denied(key: string, msg: PullRequest | ForeignVersion, rid: Buffer): boolean {
    const denial = this.check(key, msg.auth);
    if (denial === null) return false;
    this.send([rid, EMPTY, ...encodeDispatcherMessage({ type: "DENIED", reason: denial })]);
    this.warn("denied a worker", { worker: msg.auth.workerId, reason: denial });
    return true;
  }

  private handle(lane: PullLane, msg: PullRequest): void {
    switch (msg.type) {
      case "READY":
        this.abandon(lane, "it asked for a new task");
        return this.hold(lane);
      case "RESULT":
        this.answer(lane.workerId, msg);
        this.abandon(lane, "it reported another task");
        if (msg.next) return this.hold(lane);
        return this.reply(lane, encodeDispatcherMessage({ type: "BYE" }));
      case "NEED": {
        const a = this.assignmentOf(lane.workerId, msg.taskId, msg.streamId);
        if (a !== null && lane.task === a) return this.resend(a, [lane.rid, EMPTY]);
        this.warn("NEED for a task this lane does not hold; giving it another", { task: msg.taskId, worker: lane.workerId });
        this.abandon(lane, "it lost its task");
        return this.hold(lane);
      }
      case "BYE":
        if (lane.task !== null) return; // a TASK is on its way: it is the answer; its RESULT will say goodbye
        this.idle.delete(lane);
        return this.reply(lane, encodeDispatcherMessage({ type: "BYE" }));
    }
  }

  /** A RESULT (with start reports): settles its task if it is out on this worker, and frees the lane that held it. */
  private answer(workerId: string, msg: Extract<PullRequest, { type: "RESULT" }>): void {
    this.startedBy(workerId, msg.started);
    const a = this.result(workerId, msg.result);
    if (a === null) return;
    const lane = this.lanes.get(a.holder);
    if (lane?.task === a) lane.task = null;
  }

  /** The lane moved on without reporting its task: the task never reached it (or was dropped) and is lost. */
  private abandon(lane: PullLane, why: string): void {
    const a = lane.task;
    if (a === null) return;
    lane.task = null;
    this.warn(`worker lane dropped its task: ${why}`, { task: a.job.taskId, worker: lane.workerId });
    this.lose(a, `worker ${lane.workerId} dropped the task (${why})`);
  }

  private hold(lane: PullLane): void {
    this.idle.add(lane);
    this.place();
    this.capacityChanged();
  }

  protected onDisconnect(key: string, reason: string): void {
    const lane = this.byConn.get(key);
    this.byConn.delete(key);
    if (lane === undefined || lane.conn !== key) return; // a control connection, or a lane that reconnected
    this.lanes.delete(lane.key);
    this.idle.delete(lane);
    lane.task = null;
    this.loseHolder(lane.key, `worker ${lane.workerId} connection lost: ${reason}`);
    this.holderLeft(lane.workerId);
    this.releaseSiblings(lane.workerId);
  }

  /**
   * One lane of a worker process was lost: the process may be hung or gone as a whole, and its other lanes are
   * only found dead when their own heartbeats run out. Until then, handing them a re-queued task would lose it
   * again (one more attempt). So their held requests are released with WELCOME ("ask again"): lanes of a live
   * process ask again at once and are held as before; lanes of a hung one never do, and get nothing.
   */
  private releaseSiblings(workerId: string): void {
    let released = 0;
    for (const o of this.idle) {
      if (o.workerId !== workerId) continue;
      this.idle.delete(o);
      released++;
      this.reply(o, encodeDispatcherMessage({ type: "WELCOME" }));
    }
    if (released > 0) this.capacityChanged();
  }

  private reply(lane: PullLane, frames: string[]): void {
    this.send([lane.rid, EMPTY, ...frames]);
  }
}
