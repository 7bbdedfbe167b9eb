/** Push mode: workers register their capacity over DEALER sockets; the dispatcher's ROUTER pushes each task to the least-loaded one. */
import { decodePushMessage, encodeDispatcherMessage, type PushMessage } from "../../protocol/index.ts";
import { RemoteMode } from "./remote-mode.ts";
import type { RemoteModeOptions } from "./remote-mode-options.ts";

export type { RemoteModeOptions } from "./remote-mode-options.ts";

/** A registered worker process (one DEALER connection). */
interface PushWorker {
  key: string;
  rid: Buffer;
  workerId: string;
  capacity: number;
  /** Slots still taken by tasks it ran before reconnecting; each of their late RESULTs frees one. */
  phantom: number;
  /** It said BYE: no new tasks. */
  bye: boolean;
}

/**
 * Pushes jobs to registered workers, least loaded first, never more than a worker's capacity; jobs that
 * find every worker full (or none) wait in a FIFO here, costing no attempt. `capacity()` = registered
 * capacity × (1 + prefetch).
 */
export class PushMode extends RemoteMode {
  private readonly workers = new Map<string, PushWorker>();
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
    if (this.core.closing) return 0;
    return this.registered * (1 + this.core.opts.prefetch);
  }

  /** Place waiting jobs, each on the worker with the lowest load ratio that has a free slot. */
  protected place(): void {
    const core = this.core;
    while (core.pending.length > 0) {
      let best: PushWorker | null = null;
      let bestLoad = 1;
      for (const w of this.workers.values()) {
        if (w.bye) continue;
        const load = (core.tasks.countOf(w.key) + w.phantom) / w.capacity;
        if (load < bestLoad) {
          best = w;
          bestLoad = load;
        }
      }
      if (best === null) return;
      core.assign(core.pending.shift()!, best.key, best.workerId, [best.rid]);
    }
  }

  protected onMessage(frames: Buffer[]): void {
    const rid = frames[0]!;
    const msg = decodePushMessage(frames.slice(1));
    if (msg === null) return this.core.bad("malformed push message", frames);
    const key = rid.toString("latin1");
    const w = this.workers.get(key);
    if (msg.type === "HELLO") return this.hello(key, rid, w, msg);
    if (w === undefined) return this.core.bad(`${msg.type} from an unregistered connection`, frames);
    this.handle(w, msg);
  }

  private hello(key: string, rid: Buffer, w: PushWorker | undefined, msg: Extract<PushMessage, { type: "HELLO" }>): void {
    const denial = this.core.check(msg.auth);
    if (denial !== null) {
      this.send(rid, encodeDispatcherMessage({ type: "DENIED", reason: denial }));
      return this.core.warn("denied a worker", { worker: msg.auth.workerId, reason: denial });
    }
    if (!this.core.live.has(key)) return;
    if (w !== undefined) {
      if (w.workerId !== msg.auth.workerId) return this.core.warn("HELLO with another worker id on a connection; ignored", { worker: w.workerId });
      if (!w.bye) this.registered += msg.capacity - w.capacity;
      w.capacity = msg.capacity;
    } else {
      this.workers.set(key, { key, rid, workerId: msg.auth.workerId, capacity: msg.capacity, phantom: Math.min(msg.busy, msg.capacity), bye: false });
      this.registered += msg.capacity;
      this.core.workerJoined(msg.auth.workerId);
      this.core.opts.log.info("worker registered", { worker: msg.auth.workerId, capacity: msg.capacity, busy: msg.busy });
    }
    this.send(rid, encodeDispatcherMessage({ type: "WELCOME" }));
    this.place();
    this.core.capacityChanged();
  }

  private handle(w: PushWorker, msg: Exclude<PushMessage, { type: "HELLO" }>): void {
    switch (msg.type) {
      case "RESULT": {
        const r = msg.result;
        const a = this.core.tasks.get(r.taskId);
        if (a !== undefined && a.owner !== w.key) {
          return this.core.warn("result for a task assigned to another worker; ignored", { task: r.taskId, from: w.workerId, holder: a.workerId });
        }
        if (a !== undefined) this.core.finish(a, r);
        else {
          if (w.phantom > 0) w.phantom--;
          this.core.late(r);
        }
        return this.place();
      }
      case "NEED": {
        const a = this.core.tasks.get(msg.taskId);
        if (a !== undefined && a.owner === w.key) return this.core.resend(a, [w.rid]);
        return this.core.warn("NEED for a task this worker does not hold; ignored", { task: msg.taskId, worker: w.workerId });
      }
      case "BYE":
        if (!w.bye) {
          w.bye = true;
          this.registered -= w.capacity;
          this.core.opts.log.info("worker leaving", { worker: w.workerId, running: this.core.tasks.countOf(w.key) });
        }
        return this.send(w.rid, encodeDispatcherMessage({ type: "BYE" }));
    }
  }

  protected onDisconnect(key: string, reason: string): void {
    const w = this.workers.get(key);
    if (w === undefined) return;
    this.workers.delete(key);
    if (!w.bye) this.registered -= w.capacity;
    this.core.lose(key, `worker ${w.workerId} connection lost: ${reason}`);
    this.core.workerLeft(w.workerId);
  }

  private send(rid: Buffer, frames: string[]): void {
    this.core.router.send([rid, ...frames]).catch(() => {});
  }
}
