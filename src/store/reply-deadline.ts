/** Bounding how long the API waits for Redis: a call that has not answered in time fails with STORE_UNAVAILABLE. */
import { FaasError } from "../faas-error.ts";

/** One call waiting for its answer or its deadline. */
interface Pending {
  /** performance.now() past which the call has failed. */
  at: number;
  /** Settled already (answered, or expired). */
  settled: boolean;
  expire(): void;
}

/**
 * The calls waiting under one deadline length: their deadlines come in the order they were made (now + the same
 * ms), so one FIFO and one timer, armed for the oldest, serve all of them, where a timer per call would cost a
 * setTimeout and a clearTimeout per Redis command.
 */
class DeadlineQueue {
  private items: Pending[] = [];
  private head = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Calls not settled yet: at none, the timer is stopped (it would keep an idle process alive). */
  private unsettled = 0;

  constructor(private readonly ms: number) {}

  add(p: Pending): void {
    this.items.push(p);
    this.unsettled++;
    if (this.timer === undefined) this.arm(this.ms);
  }

  /** One call settled (answered or expired). */
  settled(): void {
    if (--this.unsettled > 0) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.items = [];
    this.head = 0;
  }

  private arm(delay: number): void {
    this.timer = setTimeout(() => this.fire(), Math.max(0, delay));
  }

  private fire(): void {
    this.timer = undefined;
    const now = performance.now();
    const items = this.items;
    const expired: Pending[] = [];
    while (this.head < items.length) {
      const p = items[this.head]!;
      if (!p.settled && p.at > now) break;
      this.head++;
      if (!p.settled) expired.push(p);
    }
    if (this.head === items.length) {
      this.items = [];
      this.head = 0;
    } else {
      if (this.head > 1024 && this.head * 2 > items.length) {
        this.items = items.slice(this.head);
        this.head = 0;
      }
      this.arm(this.items[this.head]!.at - now);
    }
    for (const p of expired) p.expire();
  }
}

const queues = new Map<number, DeadlineQueue>();

/**
 * `call`, or a FaasError `STORE_UNAVAILABLE` once `ms` pass without its answer. The call itself is not cancelled
 * (a Redis command already sent cannot be): `late` sees its outcome when it arrives after the deadline.
 */
export function withinDeadline<T>(call: Promise<T>, ms: number, late?: (value: T) => void): Promise<T> {
  let queue = queues.get(ms);
  if (queue === undefined) queues.set(ms, (queue = new DeadlineQueue(ms)));
  const q = queue;
  return new Promise<T>((resolve, reject) => {
    const p: Pending = {
      at: performance.now() + ms,
      settled: false,
      expire() {
        p.settled = true;
        q.settled();
        reject(new FaasError("STORE_UNAVAILABLE", `Redis did not answer within ${ms} ms; try again later`, 503));
      },
    };
    call.then(
      (value) => {
        if (p.settled) late?.(value);
        else {
          p.settled = true;
          q.settled();
          resolve(value);
        }
      },
      (err: unknown) => {
        // A late failure has no one left to tell.
        if (!p.settled) {
          p.settled = true;
          q.settled();
          reject(err);
        }
      },
    );
    q.add(p);
  });
}
