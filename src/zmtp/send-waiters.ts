/** SendWaiters: the sends of a socket waiting for a peer with room, retried in call order on every wake, each with its optional timeout. */
import { ZmtpError } from "./zmtp-error.ts";

interface Sender {
  attempt: () => boolean;
  resolve: () => void;
  reject: (error: Error) => void;
  timer: Timer | null;
}

/** The queue of waiting sends. Each `attempt` returns true once it has sent (or dropped) its message, false to keep waiting. */
export class SendWaiters {
  private senders: Sender[] = [];
  private waking = false;

  /** Number of sends waiting. */
  get length(): number {
    return this.senders.length;
  }

  /** Waits (behind the sends already waiting) until `attempt` succeeds or throws, or `timeoutMs` passes (EAGAIN; -1: no limit). */
  wait(attempt: () => boolean, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const sender: Sender = { attempt, resolve, reject, timer: null };
      if (timeoutMs >= 0) {
        sender.timer = setTimeout(() => {
          this.senders.splice(this.senders.indexOf(sender), 1);
          reject(new ZmtpError("EAGAIN", "send timed out: no peer ready"));
        }, timeoutMs);
      }
      this.senders.push(sender);
    });
  }

  /** Retries the waiting sends in order until one cannot send yet; a send whose attempt throws rejects with that error. */
  wake(): void {
    if (this.waking) return;
    this.waking = true;
    try {
      while (this.senders.length > 0) {
        const s = this.senders[0] as Sender;
        let done: boolean;
        try {
          done = s.attempt();
        } catch (err) {
          this.senders.shift();
          if (s.timer !== null) clearTimeout(s.timer);
          s.reject(err as Error);
          continue;
        }
        if (!done) break;
        this.senders.shift();
        if (s.timer !== null) clearTimeout(s.timer);
        s.resolve();
      }
    } finally {
      this.waking = false;
    }
  }

  /** Rejects every waiting send with `error` (the socket closed). */
  rejectAll(error: Error): void {
    for (const s of this.senders.splice(0)) {
      if (s.timer !== null) clearTimeout(s.timer);
      s.reject(error);
    }
  }
}
