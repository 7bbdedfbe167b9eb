/** Push mode: workers register their capacity over DEALER sockets; the dispatcher's ROUTER pushes each task to the least-loaded one. */
import { decodePushMessage, encodeDispatcherMessage, type ForeignVersion, type PushMessage } from "../../protocol/index.ts";
import type { WorkerLoad } from "../dispatch-mode.ts";
import { RemoteMode } from "./remote-mode.ts";
import type { RemoteModeOptions } from "./remote-mode-options.ts";

export type { RemoteModeOptions } from "./remote-mode-options.ts";

/** A registered worker process: its tasks are held under its worker id, across reconnects. */
interface PushWorker {
  workerId: string;
  /** Its current connection (the last that said HELLO) and that id as a key. */
  rid: Buffer;
  conn: string;
  capacity: number;
  /** Slots still taken by tasks it runs that this dispatcher does not hold (from before a restart); each RESULT of one frees one. */
  phantom: number;
  /** It said BYE: no new tasks. */
  bye: boolean;
}

/**
 * Pushes jobs to registered workers, least loaded first, never more than a worker's capacity; jobs that
 * find every worker full (or none) wait in a FIFO here, costing no attempt. `capacity()` = registered
 * capacity × (1 + prefetch). A worker that reconnects says HELLO again on its new connection: its tasks stay
 * its own, and results on either connection count; it is lost when its current connection closes.
 */
export class PushMode extends RemoteMode {
  private readonly workers = new Map<string, PushWorker>();
  /** Workers by connection key; one that reconnected is still listed under its old key until that one closes. */
  private readonly byConn = new Map<string, PushWorker>();
  /** Sum of the capacities of registered workers that did not say BYE. */
  private registered = 0;

  constructor(opts: RemoteModeOptions) {
    super("push", opts);
  }

  /** Registered worker processes. */
  get workerCount(): number {
    return this.workers.size;
  }

  capacity(): number {
    if (this.closing) return 0;
    return this.registered * (1 + this.opts.prefetch);
  }

  workerLoads(): WorkerLoad[] {
    return [...this.workers.values()].map((w) => ({
      id: w.workerId, slots: w.capacity, busy: Math.min(w.capacity, this.countOf(w.workerId) + w.phantom), runtimes: this.runtimesOf(w.workerId),
    }));
  }

  /** Place waiting jobs, each on the worker with the lowest load ratio that has a free slot. */
  protected place(): void {
    /** Workers with room that have no runtime for any waiting job (a JavaScript-only one while Python tasks wait). */
    const cannot = new Set<PushWorker>();
    while (this.waiting > 0) {
      let best: PushWorker | null = null;
      let bestLoad = 1;
      for (const w of this.workers.values()) {
        if (w.bye || cannot.has(w)) continue;
        const load = (this.countOf(w.workerId) + w.phantom) / w.capacity;
        if (load < bestLoad) {
          best = w;
          bestLoad = load;
        }
      }
      if (best === null) return;
      if (this.sendNext(best.workerId, best.workerId, [best.rid]) === null) cannot.add(best);
    }
  }

  protected onMessage(frames: Buffer[]): void {
    const rid = frames[0]!;
    const msg = decodePushMessage(frames.slice(1));
    if (msg === null) return this.bad("malformed push message", frames);
    const key = rid.toString("latin1");
    if (msg.type === "HELLO" || msg.type === "FOREIGN") return this.hello(key, rid, msg);
    const w = this.byConn.get(key);
    if (w === undefined) return this.bad(`${msg.type} from an unregistered connection`, frames);
    this.handle(w, msg);
  }

  private hello(key: string, rid: Buffer, msg: Extract<PushMessage, { type: "HELLO" }> | ForeignVersion): void {
    const denial = this.check(key, msg.auth);
    if (denial !== null) {
      this.send([rid, ...encodeDispatcherMessage({ type: "DENIED", reason: denial })]);
      return this.warn("denied a worker", { worker: msg.auth.workerId, reason: denial });
    }
    if (msg.type === "FOREIGN" || !this.isLive(key)) return;
    const { workerId } = msg.auth;
    const capacity = msg.capacity;
    if (this.byConn.get(key)?.workerId !== undefined && this.byConn.get(key)?.workerId !== workerId) {
      return this.warn("HELLO with another worker id on a connection; ignored", { worker: workerId });
    }
    let w = this.workers.get(workerId);
    if (w === undefined) {
      w = { workerId, rid, conn: key, capacity, phantom: 0, bye: false };
      this.workers.set(workerId, w);
      this.registered += capacity;
      this.holderJoined(workerId);
      this.opts.log.info("worker registered", { worker: workerId, capacity, busy: msg.busy });
    } else {
      if (w.conn !== key) this.opts.log.info("worker reconnected", { worker: workerId, tasks: this.countOf(workerId), busy: msg.busy });
      w.rid = rid;
      w.conn = key;
      if (!w.bye) this.registered += capacity - w.capacity;
      w.capacity = capacity;
    }
    this.byConn.set(key, w);
    // Busy slots beyond the tasks we hold for it ran from before (a dispatcher restart): their RESULTs free them.
    w.phantom = Math.max(0, Math.min(msg.busy, capacity) - this.countOf(workerId));
    this.send([rid, ...encodeDispatcherMessage({ type: "WELCOME" })]);
    this.place();
    this.capacityChanged();
  }

  private handle(w: PushWorker, msg: Exclude<PushMessage, { type: "HELLO" }>): void {
    switch (msg.type) {
      case "RESULT":
        this.startedBy(w.workerId, msg.started);
        if (this.result(w.workerId, msg.result) === null && w.phantom > 0) w.phantom--;
        return this.place();
      case "STARTED":
        return this.startedBy(w.workerId, msg.taskIds);
      case "NEED": {
        const a = this.assignmentOf(w.workerId, msg.taskId, msg.streamId);
        if (a !== null) return this.resend(a, [w.rid]);
        return this.warn("NEED for a task this worker does not hold; ignored", { task: msg.taskId, worker: w.workerId });
      }
      case "CAPACITY":
        // Its slots from now on: tasks beyond a lowered capacity stay with it; a raised one takes tasks at once.
        if (!w.bye) this.registered += msg.capacity - w.capacity;
        w.capacity = msg.capacity;
        this.place();
        return this.capacityChanged();
      case "BYE":
        if (!w.bye) {
          w.bye = true;
          this.registered -= w.capacity;
          this.opts.log.info("worker leaving", { worker: w.workerId, running: this.countOf(w.workerId) });
        }
        return this.send([w.rid, ...encodeDispatcherMessage({ type: "BYE" })]);
    }
  }

  protected onDisconnect(key: string, reason: string): void {
    const w = this.byConn.get(key);
    this.byConn.delete(key);
    if (w === undefined || w.conn !== key) return; // unregistered, or a worker that reconnected since
    this.workers.delete(w.workerId);
    if (!w.bye) this.registered -= w.capacity;
    this.loseHolder(w.workerId, `worker ${w.workerId} connection lost: ${reason}`);
    this.holderLeft(w.workerId);
  }
}
