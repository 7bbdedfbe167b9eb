/** Long-poll support: wakes callers waiting for a task to finish, from the store's pub/sub channel. */
import type Redis from "ioredis";

/** Waiters keyed by task id, fed by one subscriber connection shared by the whole process. */
export class DoneWaiters {
  private readonly waiters = new Map<string, Set<() => void>>();
  private ready: Promise<void> | null = null;

  constructor(
    private readonly subscriber: Redis,
    private readonly channel: string,
  ) {
    // One message announces a batch of finished task ids, separated by spaces.
    subscriber.on("message", (_ch: string, ids: string) => {
      if (this.waiters.size === 0) return;
      for (const taskId of ids.split(" ")) {
        const set = this.waiters.get(taskId);
        if (!set) continue;
        this.waiters.delete(taskId);
        for (const wake of set) wake();
      }
    });
  }

  /** Subscribe once; later calls reuse the subscription. */
  subscribe(): Promise<void> {
    this.ready ??= this.subscriber.subscribe(this.channel).then(() => undefined);
    return this.ready;
  }

  /** A promise that resolves when `taskId` is announced or `ms` pass; `cancel` drops the waiter early. */
  wait(taskId: string, ms: number): { done: Promise<void>; cancel(): void } {
    let wake!: () => void;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = new Promise<void>((resolve) => {
      wake = () => {
        clearTimeout(timer);
        resolve();
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
      wake();
    };
    timer = setTimeout(cancel, ms);
    return { done, cancel };
  }
}
