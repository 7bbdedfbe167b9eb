/** What pull and push modes share: the ROUTER and its events, sent tasks and who may answer them, waiting jobs, code-once sending, auth. */
import { AUTH_PROPERTY, decodeHandshakeAuth, encodeDispatcherMessage, type TaskResult, type WorkerAuth } from "../../protocol/index.ts";
import { decodeLog } from "../../codec/task-log-text.ts";
import { taskFailureFor } from "../../workers/task-failure.ts";
import { decodeRuntimes, RUNTIMES_PROPERTY, type Runtime } from "../../protocol/index.ts";
import { isPythonCode } from "../../codec/python-payload.ts";
import type { Router } from "../../zmtp/index.ts";
import type { DispatchJob, DispatchMode, JobOutcome, RunControl } from "../dispatch-mode.ts";
import { throttledWarn } from "../throttled-warn.ts";
import {
  bindRouter, createRouter, resolveRemoteOptions, type RemoteEndpoints, type RemoteModeOptions, type ResolvedRemoteOptions,
} from "./remote-mode-options.ts";
import { deadlineFailure, RemoteTasks, type Assignment } from "./remote-tasks.ts";
import { SentFunctions } from "./sent-functions.ts";
import { WaitingJobs } from "./waiting-jobs.ts";
import { WorkerCredentials } from "./worker-credentials.ts";

/**
 * A dispatch mode whose executors are remote worker processes behind one ROUTER. Jobs wait here until the mode
 * sends them (`control.first` ones at the front); a sent task is answered only by the worker process it was sent to
 * (its worker id, on any of its connections), and anything else is dropped. Connections are authorized at handshake
 * (see {@link WorkerCredentials}). Connection keys are ROUTER routing ids as latin1 strings. A subclass adds its
 * capacity rule, placement and message handling.
 */
export abstract class RemoteMode implements DispatchMode {
  protected readonly opts: ResolvedRemoteOptions;
  readonly #router: Router;
  readonly #tasks: RemoteTasks;
  readonly #waiting = new WaitingJobs();
  /** Keys of handshaken connections. */
  readonly #live = new Set<string>();
  /**
   * Each worker's DEALER connections (push: its one socket; pull: its control connection) by worker id, routing ids
   * by connection key, newest last: where a CANCEL goes.
   */
  readonly #dealers = new Map<string, Map<string, Buffer>>();
  /** Worker id of each DEALER connection key in `#dealers`. */
  readonly #dealerOf = new Map<string, string>();
  readonly #capacityListeners: (() => void)[] = [];
  readonly #sent = new SentFunctions();
  readonly #credentials: WorkerCredentials;
  /** The runtimes each worker advertised in its handshake (`X-Faas-Runtimes`), by worker id; unknown = `js` only. */
  readonly #runtimes = new Map<string, ReadonlySet<Runtime>>();
  #closing = false;
  #loop: Promise<void> | null = null;
  /** Logs a warning about worker input, a few lines per second at most. */
  protected readonly warn: (msg: string, fields?: Record<string, unknown>) => void;

  constructor(
    readonly name: "pull" | "push",
    options: RemoteModeOptions,
  ) {
    this.opts = resolveRemoteOptions(options);
    this.#credentials = new WorkerCredentials(this.opts.secret, this.opts.curve?.authorizedKeys);
    this.warn = throttledWarn(this.opts.log);
    this.#router = createRouter(this.opts, this.#credentials.authorize);
    this.#tasks = new RemoteTasks({ graceMs: this.opts.deadlineGraceMs, expired: (a) => this.#expire(a) });
  }

  /** Bind (TCP, plus the unix socket if one is configured) and serve; resolves with where it listens. */
  async start(): Promise<RemoteEndpoints> {
    const r = this.#router;
    r.events.on("handshake", ({ peer }) => {
      if (peer.routingId === null) return;
      const key = peer.routingId.toString("latin1");
      this.#live.add(key);
      this.#credentials.joined(key, peer);
      if (peer.authenticated) {
        const auth = decodeHandshakeAuth(peer.metadata.get(AUTH_PROPERTY.toLowerCase()));
        if (auth !== null) this.#runtimes.set(auth.workerId, decodeRuntimes(peer.metadata.get(RUNTIMES_PROPERTY.toLowerCase())));
      }
      if (peer.socketType === "DEALER" && peer.authenticated) {
        const auth = decodeHandshakeAuth(peer.metadata.get(AUTH_PROPERTY.toLowerCase()));
        if (auth !== null) {
          let conns = this.#dealers.get(auth.workerId);
          if (conns === undefined) this.#dealers.set(auth.workerId, (conns = new Map()));
          conns.set(key, peer.routingId);
          this.#dealerOf.set(key, auth.workerId);
        }
      }
    });
    r.events.on("disconnect", ({ peer, reason, handshaken }) => {
      if (!handshaken || peer.routingId === null) return;
      const key = peer.routingId.toString("latin1");
      if (!this.#live.delete(key)) return;
      this.#credentials.left(key);
      const dealerOf = this.#dealerOf.get(key);
      if (dealerOf !== undefined) {
        this.#dealerOf.delete(key);
        const conns = this.#dealers.get(dealerOf);
        conns?.delete(key);
        if (conns?.size === 0) this.#dealers.delete(dealerOf);
      }
      this.onDisconnect(key, reason);
      this.place();
      this.capacityChanged();
    });
    // A worker refused at handshake (its key not authorized, a wrong secret or version): say so here too.
    r.events.on("handshake:error:auth", ({ address, error }) => this.warn("refused a worker at handshake", { address, reason: error.message }));
    if (this.opts.curve !== undefined) {
      r.events.on("handshake:error:protocol", ({ address, error }) => this.warn("a worker failed the CURVE handshake (no CURVE, or a wrong --dispatcher-key?)", { address, err: error.message }));
    }
    const where = await bindRouter(r, this.opts);
    this.#loop = this.#receive();
    this.opts.log.info(`${this.name} mode listening`, { endpoint: where.endpoint, ipc: where.ipc, secret: this.opts.secret ? "required" : "none", mechanism: this.opts.curve ? "CURVE" : "NULL" });
    return where;
  }

  /** Tasks now sent to workers and not answered (tests, metrics). */
  get assigned(): number {
    return this.#tasks.size;
  }

  abstract capacity(): number;

  onCapacity(listener: () => void): void {
    this.#capacityListeners.push(listener);
  }

  run(job: DispatchJob, control: RunControl): Promise<JobOutcome> {
    if (this.#closing) return Promise.resolve({ status: "LOST", reason: `${this.name} mode is stopping` });
    return new Promise((resolve) => {
      this.#waiting.add({ job, control, resolve });
      this.place();
    });
  }

  /**
   * Cancel task `taskId`: waiting here, it settles at once (it never runs); out on a worker, the worker is sent CANCEL
   * on its newest DEALER connection (it stops the task's executor and still sends the RESULT, which settles it; a
   * worker that predates CANCEL runs it to its end). Nothing else is touched.
   */
  cancel(taskId: string): void {
    const waiting = this.#waiting.remove(taskId);
    if (waiting !== undefined) {
      waiting.resolve({ status: "FAILED", executor: this.name, result: taskFailureFor(waiting.job.code, "CancelledError", "the task was cancelled before it was sent to a worker") });
      return;
    }
    const a = this.#tasks.get(taskId);
    if (a === undefined) return;
    const conns = this.#dealers.get(a.workerId);
    const rid = conns === undefined ? undefined : [...conns.values()].at(-1);
    if (rid === undefined) {
      this.warn("cancel of a task whose worker has no DEALER connection; it runs to its end", { task: taskId, worker: a.workerId });
      return;
    }
    this.opts.log.info("cancelling a task on its worker", { task: taskId, worker: a.workerId });
    this.send([rid, ...encodeDispatcherMessage({ type: "CANCEL", taskId })]);
  }

  stopStarting(): void {
    this.#closing = true;
    for (const p of this.#waiting.drain()) p.resolve({ status: "LOST", reason: `${this.name} mode is stopping` });
  }

  /** Stop: waiting and sent tasks settle LOST (re-queued by the core), the ROUTER closes. */
  async close(): Promise<void> {
    if (this.#loop === null) return;
    this.stopStarting();
    for (const a of this.#tasks.takeAll()) a.resolve({ status: "LOST", reason: `${this.name} mode closed while a worker held the task` });
    this.#router.close();
    const loop = this.#loop;
    this.#loop = null;
    await loop;
  }

  /** A message from a worker: `[routingId, ...frames]`. */
  protected abstract onMessage(frames: Buffer[]): void;
  /** A handshaken worker connection closed (TCP close, heartbeat timeout, protocol error). */
  protected abstract onDisconnect(key: string, reason: string): void;
  /** Send waiting jobs to workers with room (`sendNext`). */
  protected abstract place(): void;
  /** A task's deadline passed (already out of the registry; settled FAILED after this). Default: nothing. */
  protected onExpired(_a: Assignment): void {}

  /** Stopping: nothing new is sent. */
  protected get closing(): boolean {
    return this.#closing;
  }

  /** Jobs waiting to be sent. */
  protected get waiting(): number {
    return this.#closing ? 0 : this.#waiting.length;
  }

  /** Whether connection `key` is handshaken and open. */
  protected isLive(key: string): boolean {
    return this.#live.has(key);
  }

  /** Tasks `holder` has been sent and not answered. */
  protected countOf(holder: string): number {
    return this.#tasks.countOf(holder);
  }

  /** The runtimes worker `workerId` advertised in its handshake (`js` only when it said nothing). */
  protected runtimesOf(workerId: string): string[] {
    return [...(this.#runtimes.get(workerId) ?? ["js"])];
  }

  /** Waiting tasks of Python functions (the dispatcher's figures: `/ready` names them when no worker has Python). */
  pythonWaiting(): number {
    return this.#closing ? 0 : this.#waiting.count((job) => isPythonCode(job.code));
  }

  /** Send the first waiting job as a TASK through `envelope` (routing frames) to `workerId`, held by `holder`. */
  protected sendNext(workerId: string, holder: string, envelope: Buffer[]): Assignment | null {
    // Only jobs the worker has the runtime for: a Python task waits for a worker with Python (never failed by one without).
    const python = this.#runtimes.get(workerId)?.has("python") === true;
    const p = this.#waiting.shift(python ? undefined : (job) => !isPythonCode(job.code));
    if (p === undefined) return null;
    const { job } = p;
    const a = this.#tasks.add(job, p.control, workerId, holder, job.timeoutMs ?? this.opts.taskTimeoutMs, p.resolve);
    this.#sendTask(a, this.#sent.codeFor(workerId, job.functionId, job.code), envelope);
    return a;
  }

  /** The task `taskId` of queue entry `streamId`, when it is out on worker `workerId`. */
  protected assignmentOf(workerId: string, taskId: string, streamId: string): Assignment | null {
    return this.#tasks.heldBy(workerId, taskId, streamId);
  }

  /** Send a task again, with its code (the worker answered NEED). */
  protected resend(a: Assignment, envelope: Buffer[]): void {
    this.#sendTask(a, a.job.code, envelope);
  }

  /** Worker `workerId` says these tasks started; ids it does not hold are ignored (answered or lost meanwhile). */
  protected startedBy(workerId: string, taskIds: readonly string[]): void {
    if (taskIds.length > 0) this.#tasks.startedBy(workerId, taskIds);
  }

  /** A result from worker `workerId`: settles the task when it is out on that worker, else is dropped (null). */
  protected result(workerId: string, r: TaskResult): Assignment | null {
    const a = this.#tasks.heldBy(workerId, r.taskId, r.streamId);
    if (a === null) {
      this.warn("result for a task not sent to this worker (or no longer held); dropped", { task: r.taskId, from: workerId, holder: this.#tasks.get(r.taskId)?.workerId });
      return null;
    }
    this.#tasks.start(a); // a result implies a start, reported or not
    if (r.logs !== undefined) {
      const batch = decodeLog(r.logs);
      if (batch === null) this.warn("malformed logs in a result; dropped", { task: r.taskId, from: workerId });
      else a.control.logs?.(batch);
    }
    this.#tasks.settle(a, { status: r.status, result: r.result, executor: r.executor });
    return a;
  }

  /** Settle `a` LOST (the core re-runs it: first, and charged, when it had started). */
  protected lose(a: Assignment, reason: string): void {
    if (this.#tasks.settle(a, { status: "LOST", reason })) this.#lostAfterStart(a);
  }

  /** Every task of `holder` is lost, started ones first. */
  protected loseHolder(holder: string, reason: string): void {
    const lost = this.#tasks.takeHolder(holder);
    if (lost.length > 0) this.opts.log.warn("worker lost; re-queueing its tasks", { reason, tasks: lost.length });
    for (const a of lost) {
      this.#lostAfterStart(a);
      a.resolve({ status: "LOST", reason });
    }
  }

  #lostAfterStart(a: Assignment): void {
    if (a.started && !this.#closing) this.#waiting.lostAfterStart(a.job.taskId);
  }

  /**
   * Null when a message presenting `auth` may be handled on connection `key`, else why not: its version and secret,
   * then whether the connection was authorized at handshake as that worker.
   */
  protected check(key: string, auth: WorkerAuth): string | null {
    return this.#credentials.denial(auth) ?? this.#credentials.refusal(key, auth.workerId);
  }

  /** A holder of worker `workerId` appeared (its first message passed `check`). */
  protected holderJoined(workerId: string): void {
    this.#sent.joined(workerId);
  }

  /** One is gone; with none left, forget which code the worker was sent. */
  protected holderLeft(workerId: string): void {
    this.#sent.left(workerId);
  }

  /** Send to a worker; a failure (it is gone) shows as its disconnect. */
  protected send(frames: (Buffer | string)[]): void {
    this.#router.send(frames).catch(() => {});
  }

  /** Log and ignore a bad message. */
  protected bad(what: string, frames: Buffer[]): void {
    this.warn(`${what}; ignored`, { frames: frames.length, type: frames[frames.length > 2 && frames[1]?.length === 0 ? 2 : 1]?.subarray(0, 16).toString("latin1") });
  }

  /** Tell the dispatcher core capacity may have grown. */
  protected capacityChanged(): void {
    for (const l of this.#capacityListeners) l();
  }

  #sendTask(a: Assignment, code: string, envelope: Buffer[]): void {
    const { job } = a;
    const frames = encodeDispatcherMessage({
      type: "TASK", streamId: job.streamId, taskId: job.taskId, functionId: job.functionId, timeoutMs: a.timeoutMs, args: job.args, code,
    });
    this.#router.send([...envelope, ...frames]).catch((err: Error) => {
      this.#tasks.settle(a, { status: "LOST", reason: `could not send the task to worker ${a.workerId}: ${err.message}` });
    });
  }

  #expire(a: Assignment): void {
    this.onExpired(a);
    this.opts.log.warn("task deadline passed; failing it", { task: a.job.taskId, worker: a.workerId, started: a.started });
    if (!a.started) a.control.started(); // a final outcome follows a start, for the core's bookkeeping
    a.resolve(deadlineFailure(a, this.name, this.opts.deadlineGraceMs));
  }

  async #receive(): Promise<void> {
    for await (const frames of this.#router) {
      try {
        this.onMessage(frames);
      } catch (err) {
        this.warn("error handling a worker message; ignored", { err: (err as Error).message });
      }
    }
  }
}
