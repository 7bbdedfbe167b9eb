/** An in-memory DispatchQueue with the Redis queue's rules, for fast deterministic tests of the dispatcher core. */
import { isPythonCode } from "../codec/python-payload.ts";
import type { DispatchQueue, Lane, LoadedTask, QueueEntry, QueueReading, Settlement } from "./dispatch-queue.ts";
import type { DispatcherFigures } from "./dispatcher-figures.ts";
import { FINAL_STATUSES, type TaskStatus } from "./types.ts";

/** A task as the memory queue keeps it (the fields of the Redis task hash). */
export interface MemoryTask {
  functionId: string;
  args: string;
  timeoutMs: number | null;
  status: TaskStatus;
  attempts: number;
  executor: string | null;
  startedAt: number | null;
  finishedAt: number | null;
  result: string | null;
}

interface StreamEntry {
  id: string;
  taskId: string;
}

interface Stream {
  entries: StreamEntry[];
  /** Entries not yet delivered to any consumer start at this index of `entries`. */
  next: number;
  /** Delivered, unacknowledged entries: id → owner and delivery time. */
  pending: Map<string, { consumer: string; at: number }>;
}

const isFinal = (s: TaskStatus | undefined): boolean => s !== undefined && FINAL_STATUSES.has(s);

/**
 * The queue and store in one process: what the Redis scripts do, done on maps. It also plays the API's part
 * (`addFunction`, `addTask`) and lets tests read a task's state (`task`) and every state change (`history`).
 */
export class MemoryQueue implements DispatchQueue {
  private readonly functions = new Map<string, string>();
  private readonly tasks = new Map<string, MemoryTask>();
  private readonly streams: Record<Lane, Stream> = { main: newStream(), retry: newStream() };
  private readonly alive = new Map<string, number>();
  private readonly waiters = new Set<() => void>();
  private seq = 0;
  /** Every settlement applied, in order (for assertions). */
  readonly history: Settlement[] = [];
  /** When set, every call rejects with this error (a Redis outage). */
  failing: Error | null = null;

  /** Register a function's code. */
  addFunction(id: string, code: string): void {
    this.functions.set(id, code);
  }

  /** Create a QUEUED task and append it to the main stream; returns its id. */
  addTask(t: { functionId: string; args?: string; timeoutMs?: number | null; taskId?: string }): string {
    const taskId = t.taskId ?? crypto.randomUUID();
    this.tasks.set(taskId, {
      functionId: t.functionId, args: t.args ?? "[]", timeoutMs: t.timeoutMs ?? null, status: "QUEUED", attempts: 0,
      executor: null, startedAt: null, finishedAt: null, result: null,
    });
    this.append("main", taskId);
    return taskId;
  }

  /** Delete a function (its queued tasks fail when loaded with a `deletedError`). */
  deleteFunction(id: string): void {
    this.functions.delete(id);
  }

  /** What CANCEL_TASK does: a task that is not final ends CANCELLED with `result`; false when final or unknown. */
  cancelTask(id: string, result: string): boolean {
    const t = this.tasks.get(id);
    if (t === undefined || isFinal(t.status)) return false;
    Object.assign(t, { status: "CANCELLED", result, finishedAt: Date.now() });
    for (const listener of this.cancelListeners) listener(id);
    return true;
  }

  /** The cancel channel: `cancelTask` calls every listener with the task id, as CANCEL_TASK's PUBLISH does. */
  async cancels(cancelled: (taskId: string) => void): Promise<{ close(): void }> {
    this.cancelListeners.add(cancelled);
    return { close: () => void this.cancelListeners.delete(cancelled) };
  }

  private readonly cancelListeners = new Set<(taskId: string) => void>();

  /** A task's state, or undefined. */
  task(id: string): MemoryTask | undefined {
    return this.tasks.get(id);
  }

  /** Entries in a stream, delivered or not (unacknowledged). */
  length(lane: Lane): number {
    return this.streams[lane].entries.length;
  }

  async ensureGroup(): Promise<void> {
    this.check();
  }

  reader(): QueueReading {
    let closed = false;
    let wakeRead: (() => void) | null = null;
    return {
      read: async (consumer, count, blockMs) => {
        const deadline = Date.now() + blockMs;
        while (!closed) {
          this.check();
          const got = [...this.deliver("retry", consumer, count), ...this.deliver("main", consumer, count)];
          if (got.length > 0 || Date.now() >= deadline) return got;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(done, Math.max(1, deadline - Date.now()));
            function done(): void {
              clearTimeout(timer);
              resolve();
            }
            wakeRead = done;
            this.waiters.add(done);
          });
          if (wakeRead) this.waiters.delete(wakeRead);
        }
        return [];
      },
      close: () => {
        closed = true;
        (wakeRead as (() => void) | null)?.();
      },
    };
  }

  async loadTasks(entries: QueueEntry[], opts: { maxAttempts: number; lostError: string; pythonLostError?: string; deletedError?: string }): Promise<LoadedTask[]> {
    this.check();
    const out: LoadedTask[] = [];
    for (const e of entries) {
      const t = this.tasks.get(e.taskId);
      if (t === undefined || isFinal(t.status)) {
        this.ack(e);
      } else if (t.attempts >= opts.maxAttempts) {
        const python = opts.pythonLostError !== undefined && isPythonCode(this.functions.get(t.functionId) ?? "");
        Object.assign(t, { status: "FAILED", result: python ? opts.pythonLostError : opts.lostError, finishedAt: Date.now() });
        this.ack(e);
      } else if (opts.deletedError !== undefined && !this.functions.has(t.functionId)) {
        Object.assign(t, { status: "FAILED", result: opts.deletedError, finishedAt: Date.now() });
        this.ack(e);
      } else {
        out.push({ ...e, functionId: t.functionId, args: t.args, timeoutMs: t.timeoutMs, attempts: t.attempts });
      }
    }
    return out;
  }

  async settle(batch: Settlement[]): Promise<number> {
    this.check();
    let written = 0;
    for (const s of batch) {
      this.history.push(s);
      const id = s.kind === "handback" ? s.entry.taskId : s.taskId;
      const t = this.tasks.get(id);
      const live = t !== undefined && !isFinal(t.status);
      switch (s.kind) {
        case "start":
          if (live && s.attempts >= t.attempts) Object.assign(t, { status: "RUNNING", attempts: s.attempts, executor: s.executor, startedAt: s.at });
          break;
        case "finish":
          if (live) {
            Object.assign(t, { status: s.status, result: s.result, executor: s.executor, finishedAt: Date.now() });
            if (s.started && s.started.attempts >= t.attempts) Object.assign(t, { attempts: s.started.attempts, startedAt: s.started.at });
            written++;
          }
          if (s.streamId !== "") this.ack(s);
          break;
        case "requeue":
          if (live && t.status === "RUNNING" && t.attempts === s.attempts) t.status = "QUEUED";
          break;
        case "handback":
          this.ack(s.entry);
          if (live) {
            t.status = "QUEUED";
            this.append("retry", id);
          }
          break;
      }
    }
    return written;
  }

  async functionCode(ids: string[]): Promise<(string | null)[]> {
    this.check();
    return ids.map((id) => this.functions.get(id) ?? null);
  }

  async heartbeat(consumer: string, ttlMs: number, _figures?: DispatcherFigures): Promise<void> {
    this.check();
    this.alive.set(consumer, Date.now() + ttlMs);
  }

  async claimOrphans(consumer: string, minIdleMs: number): Promise<QueueEntry[]> {
    this.check();
    const now = Date.now();
    return this.claim(consumer, (p) => p.consumer !== consumer && (this.alive.get(p.consumer) ?? 0) <= now && now - p.at >= minIdleMs);
  }

  async reclaimOwn(consumer: string, minIdleMs: number): Promise<QueueEntry[]> {
    this.check();
    const now = Date.now();
    return this.claim(consumer, (p) => p.consumer === consumer && now - p.at >= minIdleMs);
  }

  /** Give every pending entry that `take` picks to `consumer`, delivered now (XCLAIM), retry stream first. */
  private claim(consumer: string, take: (p: { consumer: string; at: number }) => boolean): QueueEntry[] {
    const out: QueueEntry[] = [];
    for (const lane of ["retry", "main"] as const) {
      const stream = this.streams[lane];
      for (const [id, p] of stream.pending) {
        if (!take(p)) continue;
        const entry = stream.entries.find((e) => e.id === id);
        if (entry === undefined) continue;
        stream.pending.set(id, { consumer, at: Date.now() });
        out.push(lane === "main" ? { streamId: id, taskId: entry.taskId } : { streamId: id, taskId: entry.taskId, lane });
      }
    }
    return out;
  }

  /** Simulate a delivery whose reply never reached the reader: the next undelivered entry becomes `consumer`'s. */
  loseDelivery(consumer: string, lane: Lane = "main"): string | undefined {
    return this.deliver(lane, consumer, 1)[0]?.taskId;
  }

  async leave(consumer: string): Promise<void> {
    this.check();
    this.alive.delete(consumer);
  }

  /** Entries of `lane` delivered to `consumer` and not acknowledged. */
  pendingOf(consumer: string, lane: Lane = "main"): string[] {
    return [...this.streams[lane].pending].filter(([, p]) => p.consumer === consumer).map(([id]) => id);
  }

  private append(lane: Lane, taskId: string): void {
    this.streams[lane].entries.push({ id: `${++this.seq}-0`, taskId });
    for (const w of [...this.waiters]) w();
    this.waiters.clear();
  }

  private deliver(lane: Lane, consumer: string, count: number): QueueEntry[] {
    const stream = this.streams[lane];
    const out: QueueEntry[] = [];
    while (out.length < count && stream.next < stream.entries.length) {
      const e = stream.entries[stream.next++]!;
      stream.pending.set(e.id, { consumer, at: Date.now() });
      out.push(lane === "main" ? { streamId: e.id, taskId: e.taskId } : { streamId: e.id, taskId: e.taskId, lane });
    }
    return out;
  }

  private ack(e: QueueEntry): void {
    const stream = this.streams[e.lane ?? "main"];
    if (!stream.pending.delete(e.streamId)) return;
    const i = stream.entries.findIndex((x) => x.id === e.streamId);
    if (i < 0) return;
    stream.entries.splice(i, 1);
    if (i < stream.next) stream.next--;
  }

  private check(): void {
    if (this.failing) throw this.failing;
  }
}

function newStream(): Stream {
  return { entries: [], next: 0, pending: new Map() };
}
