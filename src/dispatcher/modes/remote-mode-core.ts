/** What pull and push modes share: the ROUTER and its events, the task registry, waiting jobs, code-once sending, auth. */
import { encodeError } from "../../codec/index.ts";
import { encodeDispatcherMessage, MAX_QUEUED_PER_THREAD, PROTOCOL_VERSION, type TaskResult, type WorkerAuth } from "../../protocol/index.ts";
import { Fifo } from "../../workers/fifo.ts";
import { formatIpcEndpoint } from "../../zmtp/endpoint.ts";
import type { Router } from "../../zmtp/index.ts";
import type { DispatchJob, JobOutcome, LateResult } from "../dispatch-mode.ts";
import {
  bindEndpoint, createRouter, portOf, resolveRemoteOptions, type RemoteEndpoints, type RemoteModeOptions, type ResolvedRemoteOptions,
} from "./remote-mode-options.ts";
import { RemoteTasks, type Assignment } from "./remote-tasks.ts";
import { SecretCheck } from "./secret-check.ts";
import { SentFunctions } from "./sent-functions.ts";
import { throttledWarn } from "../throttled-warn.ts";

/** A job the mode accepted and has not placed on a worker yet (costs no attempt while it waits). */
export interface PendingJob {
  job: DispatchJob;
  resolve(outcome: JobOutcome): void;
}

/** What a mode plugs into {@link RemoteModeCore}. Connection keys are ROUTER routing ids as latin1 strings. */
export interface RemoteModeHooks {
  /** A message from a worker: `[routingId, ...frames]`. Exceptions are caught and logged. */
  message(frames: Buffer[]): void;
  /** A handshaken worker connection closed (TCP close, heartbeat timeout, protocol error). */
  disconnected(key: string, reason: string): void;
  /** A task's deadline passed (already removed from the registry; the core settles it FAILED after this). */
  expired(a: Assignment): void;
  /** Try to place waiting jobs on workers. */
  place(): void;
}

/** Shared machinery of the remote modes; the modes own only their placement policy and message handling. */
export class RemoteModeCore {
  readonly opts: ResolvedRemoteOptions;
  readonly router: Router;
  readonly tasks: RemoteTasks;
  readonly pending = new Fifo<PendingJob>();
  /** Keys of handshaken connections. */
  readonly live = new Set<string>();
  readonly capacityListeners: (() => void)[] = [];
  lateListener: ((result: LateResult) => void) | null = null;
  closing = false;
  /** Logs a warning about worker input, a few lines per second at most. */
  readonly warn: (msg: string, fields?: Record<string, unknown>) => void;
  private readonly sent = new SentFunctions();
  private readonly workers = new Map<string, number>();
  private readonly secret: SecretCheck;
  private loop: Promise<void> | null = null;

  constructor(
    readonly name: string,
    options: RemoteModeOptions,
    private readonly hooks: RemoteModeHooks,
  ) {
    this.opts = resolveRemoteOptions(options);
    this.secret = new SecretCheck(this.opts.secret);
    this.warn = throttledWarn(this.opts.log);
    this.router = createRouter(this.opts);
    this.tasks = new RemoteTasks({
      graceMs: this.opts.deadlineGraceMs,
      expired: (a) => this.expire(a),
    });
  }

  /** Bind (TCP, plus the unix socket if one is configured) and serve. */
  async start(): Promise<RemoteEndpoints> {
    const r = this.router;
    r.events.on("handshake", ({ peer }) => {
      if (peer.routingId === null) return;
      const key = peer.routingId.toString("latin1");
      this.live.add(key);
    });
    r.events.on("disconnect", ({ peer, reason, handshaken }) => {
      if (!handshaken || peer.routingId === null) return;
      const key = peer.routingId.toString("latin1");
      if (!this.live.delete(key)) return;
      this.hooks.disconnected(key, reason);
      this.hooks.place();
      this.capacityChanged();
    });
    await r.bind(bindEndpoint(this.opts.host, this.opts.port));
    const endpoint = r.lastEndpoint!;
    let ipc: string | undefined;
    if (this.opts.ipcPath !== undefined) {
      await r.bind(formatIpcEndpoint(this.opts.ipcPath));
      ipc = r.lastEndpoint!;
    }
    this.loop = this.receive();
    this.opts.log.info(`${this.name} mode listening`, { endpoint, ipc, secret: this.opts.secret ? "required" : "none" });
    return { endpoint, port: portOf(endpoint), ipc };
  }

  /** Accept a job from the dispatcher core; it waits here until the mode places it. */
  accept(job: DispatchJob): Promise<JobOutcome> {
    if (this.closing) return Promise.resolve({ status: "LOST", reason: `${this.name} mode is closing` });
    return new Promise((resolve) => {
      this.pending.push({ job, resolve });
      this.hooks.place();
    });
  }

  /** Send `p` as a TASK through `envelope` (routing frames) and record it under connection `owner`. */
  assign(p: PendingJob, owner: string, workerId: string, envelope: Buffer[]): Assignment {
    const { job } = p;
    const timeoutMs = job.timeoutMs ?? this.opts.taskTimeoutMs;
    const a = this.tasks.add(job, owner, workerId, timeoutMs, p.resolve);
    this.sendTask(a, this.sent.codeFor(workerId, job.functionId, job.code), envelope);
    return a;
  }

  /** Send a held task again, with its code (the worker answered NEED). */
  resend(a: Assignment, envelope: Buffer[]): void {
    this.sendTask(a, a.job.code, envelope);
  }

  /** Settle a held task with the worker's result. */
  finish(a: Assignment, r: TaskResult): void {
    this.tasks.settle(a, { status: r.status, result: r.result, executor: r.executor });
  }

  /** A result for a task this mode does not hold: the dispatcher core writes it idempotently. */
  late(r: TaskResult): void {
    if (this.lateListener === null) return this.warn("late result dropped: no listener", { task: r.taskId });
    this.lateListener({ ...r });
  }

  /** Every task of connection `owner` is lost (the core queues them again). */
  lose(owner: string, reason: string): void {
    const lost = this.tasks.takeOwner(owner);
    if (lost.length > 0) this.opts.log.warn("worker lost; re-queueing its tasks", { reason, tasks: lost.length });
    for (const a of lost) a.resolve({ status: "LOST", reason });
  }

  /** Null when the worker may talk to us, else why not. */
  check(auth: WorkerAuth): string | null {
    if (auth.version !== PROTOCOL_VERSION) return `protocol version ${auth.version} is not supported (dispatcher speaks ${PROTOCOL_VERSION})`;
    if (!this.secret.accepts(auth.secret)) return auth.secret === "" ? "this dispatcher requires a secret" : "wrong secret";
    return null;
  }

  /** Count a connection of worker process `workerId`. */
  workerJoined(workerId: string): void {
    this.workers.set(workerId, (this.workers.get(workerId) ?? 0) + 1);
  }

  /** Uncount one; with none left, forget which code it was sent. */
  workerLeft(workerId: string): void {
    const n = (this.workers.get(workerId) ?? 1) - 1;
    if (n > 0) this.workers.set(workerId, n);
    else {
      this.workers.delete(workerId);
      this.sent.forget(workerId);
    }
  }

  /** Log and ignore a bad message. */
  bad(what: string, frames: Buffer[]): void {
    this.warn(`${what}; ignored`, { frames: frames.length, type: frames[frames.length > 2 && frames[1]?.length === 0 ? 2 : 1]?.subarray(0, 16).toString("latin1") });
  }

  /** Tell the dispatcher core capacity may have grown. */
  capacityChanged(): void {
    for (const l of this.capacityListeners) l();
  }

  /** Stop: waiting and out tasks settle LOST (re-queued by the core), the ROUTER closes. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const p of this.pending.drain()) p.resolve({ status: "LOST", reason: `${this.name} mode closed before placing the task` });
    for (const a of this.tasks.takeAll()) a.resolve({ status: "LOST", reason: `${this.name} mode closed while a worker ran the task` });
    this.router.close();
    await this.loop;
  }

  private sendTask(a: Assignment, code: string, envelope: Buffer[]): void {
    const { job } = a;
    const frames = encodeDispatcherMessage({
      type: "TASK", streamId: job.streamId, taskId: job.taskId, functionId: job.functionId, timeoutMs: a.timeoutMs, args: job.args, code,
    });
    this.router.send([...envelope, ...frames]).catch((err: Error) => {
      if (this.tasks.get(job.taskId) !== a) return;
      this.tasks.settle(a, { status: "LOST", reason: `could not send the task to worker ${a.workerId}: ${err.message}` });
    });
  }

  private expire(a: Assignment): void {
    this.hooks.expired(a);
    const msg = `no result from worker ${a.workerId} within ${1 + MAX_QUEUED_PER_THREAD} × the task's ${a.timeoutMs} ms timeout ` +
      `(it may wait behind a running task there) + ${this.opts.deadlineGraceMs} ms grace`;
    this.opts.log.warn("task deadline passed; failing it", { task: a.job.taskId, worker: a.workerId });
    const err = new Error(msg);
    err.name = "TimeoutError";
    a.resolve({ status: "FAILED", result: encodeError(err, { stackFilter: () => false }), executor: `${this.name}/${a.workerId}` });
  }

  private async receive(): Promise<void> {
    for await (const frames of this.router) {
      try {
        this.hooks.message(frames);
      } catch (err) {
        this.warn("error handling a worker message; ignored", { err: (err as Error).message });
      }
    }
  }
}
