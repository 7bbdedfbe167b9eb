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

/** Most task ids {@link DoneWaiters.track} remembers; past it the oldest are forgotten (their waiters read first). */
export const MAX_TRACKED_TASKS = 100_000;

/**
 * Delete the oldest sixteenth of `max` entries of an insertion-ordered Set or Map that reached `max`, in one pass.
 * One at a time would be quadratic: a deleted entry's slot stays behind until the table is rehashed, and each
 * search for the oldest entry walks every slot deleted before it (300,000 creates past a full map of 100,000 took
 * 9.8 s, against 0.3 s so).
 */
export function dropOldest(entries: Set<string> | Map<string, unknown>, max: number): void {
  let left = Math.max(1, max >> 4);
  for (const key of entries.keys()) {
    entries.delete(key);
    if (--left === 0) return;
  }
}

/**
 * Waiters keyed by task id, fed by one subscriber connection shared by the whole process.
 *
 * It also tracks the tasks this process created while subscribed and has not seen announced since: such a task
 * is known not to be final, so a long-poll on it can wait without reading it first. Every finish is announced
 * (finish and lost-task scripts alike), so the only way to miss one is to lose the subscription: a dropped
 * connection forgets every tracked id, and tracking resumes only once a new SUBSCRIBE is confirmed.
 */
export class DoneWaiters {
  private readonly waiters = new Map<string, Set<Wake>>();
  /** Tracked ids, oldest first (a Set keeps insertion order). */
  private readonly unfinished = new Set<string>();
  private ready: Promise<void> | null = null;
  /** The subscription is confirmed and has not dropped since. */
  private live = false;
  /** Counts dropped connections, so a SUBSCRIBE sent before a drop does not mark the new connection live. */
  private drops = 0;

  constructor(
    private readonly subscriber: Redis,
    private readonly channel: string,
  ) {
    // Raw buffers: ioredis skips decoding the message, and with nobody interested nothing of it is read.
    subscriber.on("messageBuffer", (_ch: Buffer, message: Buffer | undefined) => {
      if (!message || (this.waiters.size === 0 && this.unfinished.size === 0)) return;
      const a = readAnnouncement(message);
      if (this.unfinished.size > 0) for (const id of a.ids) this.unfinished.delete(id);
      if (this.waiters.size > 0) this.deliver(a);
    });
    subscriber.on("close", () => {
      // Announcements published while disconnected are lost: forget what they could have finished.
      this.drops++;
      this.live = false;
      this.unfinished.clear();
      this.ready = null;
    });
  }

  /** Subscribe once; later calls reuse the subscription (after a dropped connection, they confirm it again). */
  subscribe(): Promise<void> {
    if (this.ready === null) {
      const drops = this.drops;
      const ready = this.subscriber.subscribe(this.channel).then(
        () => {
          if (drops === this.drops) this.live = true;
        },
        (err: unknown) => {
          if (this.ready === ready) this.ready = null;
          throw err;
        },
      );
      this.ready = ready;
    }
    return this.ready;
  }

  /**
   * Remember that this process is about to create task `taskId` (call it before sending the create, so an
   * announcement racing the reply is not missed). Returns false, remembering nothing, while not subscribed.
   */
  track(taskId: string): boolean {
    if (!this.live) return false;
    if (this.unfinished.size >= MAX_TRACKED_TASKS) dropOldest(this.unfinished, MAX_TRACKED_TASKS);
    this.unfinished.add(taskId);
    return true;
  }

  /** Forget a tracked id (its create failed). */
  untrack(taskId: string): void {
    this.unfinished.delete(taskId);
  }

  /** True when `taskId` is tracked and not announced yet: it exists and is not final. */
  isUnfinished(taskId: string): boolean {
    return this.unfinished.has(taskId); // only filled while live, and emptied when the connection drops
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

  /**
   * Watch many tasks at once, without a timer per task: `wake(taskId, state)` is called once per id when it is
   * announced (state null when the announcement did not carry it), all ids of one announcement in one go.
   * Returns the function that stops watching the ids not announced yet.
   */
  watch(taskIds: Iterable<string>, wake: (taskId: string, state: TaskState | null) => void): () => void {
    const mine: [string, Wake][] = [];
    for (const taskId of taskIds) {
      const w: Wake = (state) => wake(taskId, state);
      let set = this.waiters.get(taskId);
      if (!set) this.waiters.set(taskId, (set = new Set()));
      set.add(w);
      mine.push([taskId, w]);
    }
    return () => {
      for (const [taskId, w] of mine) {
        const s = this.waiters.get(taskId);
        if (!s) continue;
        s.delete(w);
        if (s.size === 0) this.waiters.delete(taskId);
      }
    };
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
