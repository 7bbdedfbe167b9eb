/** The DispatchMode plumbing pull and push share; a mode adds its capacity rule, placement and message handling. */
import type { DispatchJob, DispatchMode, JobOutcome, LateResult } from "../dispatch-mode.ts";
import { RemoteModeCore } from "./remote-mode-core.ts";
import type { RemoteEndpoints, RemoteModeOptions } from "./remote-mode-options.ts";
import type { Assignment } from "./remote-tasks.ts";

/** A dispatch mode whose executors are remote worker processes behind a ROUTER ({@link RemoteModeCore}). */
export abstract class RemoteMode implements DispatchMode {
  protected readonly core: RemoteModeCore;

  constructor(
    readonly name: "pull" | "push",
    opts: RemoteModeOptions,
  ) {
    this.core = new RemoteModeCore(name, opts, {
      message: (frames) => this.onMessage(frames),
      disconnected: (key, reason) => this.onDisconnect(key, reason),
      expired: (a) => this.onExpired(a),
      place: () => this.place(),
    });
  }

  /** Bind the ROUTER and start serving; resolves with the bound endpoint, port and ipc endpoint (if any). */
  start(): Promise<RemoteEndpoints> {
    return this.core.start();
  }

  /** Tasks now on workers (tests, metrics). */
  get assigned(): number {
    return this.core.tasks.size;
  }

  abstract capacity(): number;

  onCapacity(listener: () => void): void {
    this.core.capacityListeners.push(listener);
  }

  onLateResult(listener: (result: LateResult) => void): void {
    this.core.lateListener = listener;
  }

  run(job: DispatchJob): Promise<JobOutcome> {
    return this.core.accept(job);
  }

  stopStarting(): void {
    // Interim: settle every job not yet placed on a worker LOST (handed back uncharged by the core).
    this.core.closing = true;
    for (const p of this.core.pending.drain()) p.resolve({ status: "LOST", reason: `${this.name} mode is stopping` });
  }

  close(): Promise<void> {
    return this.core.close();
  }

  /** A message from a worker: `[routingId, ...frames]`. */
  protected abstract onMessage(frames: Buffer[]): void;
  /** A handshaken worker connection closed. */
  protected abstract onDisconnect(key: string, reason: string): void;
  /** Place waiting jobs on workers. */
  protected abstract place(): void;
  /** A task's deadline passed (already out of the registry). Default: nothing to do. */
  protected onExpired(_a: Assignment): void {}
}
