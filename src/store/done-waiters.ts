/** Long-poll support: wakes callers waiting for a task to finish, from the store's pub/sub channel. */
import type Redis from "ioredis";
import { readAnnouncement, type Announcement } from "./done-announcement.ts";
import type { TaskState } from "./types.ts";

type Wake = (state: TaskState | null) => void;

/** A registered waiter: `done` settles with the announced state (null: read it yourself); `cancel` drops it. */
export interface Waiter {
  done: Promise<TaskState | null>;
  cancel(): void;
}

/** Waiters keyed by task id, fed by one subscriber connection shared by the whole process. */
export class DoneWaiters {
  private readonly waiters = new Map<string, Set<Wake>>();
  private ready: Promise<void> | null = null;

  constructor(
    private readonly subscriber: Redis,
    private readonly channel: string,
  ) {
    // Raw buffers: ioredis skips decoding the message, and with no waiter at all nothing of it is read.
    subscriber.on("messageBuffer", (_ch: Buffer, message: Buffer | undefined) => {
      if (this.waiters.size === 0 || !message) return;
      this.deliver(readAnnouncement(message));
    });
  }

  /** Subscribe once; later calls reuse the subscription. */
  subscribe(): Promise<void> {
    this.ready ??= this.subscriber.subscribe(this.channel).then(() => undefined);
    return this.ready;
  }

  /**
   * A waiter for `taskId`. `done` resolves with the task's final state when the announcement carried it, or with
   * null when it did not, when `ms` pass, or on `cancel`.
   */
  wait(taskId: string, ms: number): Waiter {
    let wake!: Wake;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = new Promise<TaskState | null>((resolve) => {
      wake = (state) => {
        clearTimeout(timer);
        resolve(state);
      };
    });
    let set = this.waiters.get(taskId);
    if (!set) this.waiters.set(taskId, (set = new Set()));
    set.add(wake);
    const cancel = () => {
      const s = this.waiters.get(taskId);
      if (s) {
        s.delete(wake);
        if (s.size === 0) this.waiters.delete(taskId);
      }
      wake(null);
    };
    timer = setTimeout(cancel, ms);
    return { done, cancel };
  }

  /** Wake the waiters of the announced ids; the announcement's body is parsed only if one of them is waited for. */
  private deliver(a: Announcement): void {
    const ids = a.ids;
    for (let i = 0; i < ids.length; i++) {
      const taskId = ids[i]!;
      const set = this.waiters.get(taskId);
      if (!set) continue;
      this.waiters.delete(taskId);
      const state = a.state(i);
      for (const wake of set) wake(state);
    }
  }
}
