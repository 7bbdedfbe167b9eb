/** ReceiveWaiters: the `receive()` calls of a socket waiting for a message, served in call order, each with its optional timeout. */
import { ZmtpError } from "./zmtp-error.ts";

interface Receiver {
  resolve: (frames: Buffer[]) => void;
  reject: (error: Error) => void;
  timer: Timer | null;
}

/** The queue of waiting receives. */
export class ReceiveWaiters {
  private receivers: Receiver[] = [];

  /** Number of receives waiting. */
  get length(): number {
    return this.receivers.length;
  }

  /** Waits until {@link resolveNext} hands this call a message, or `timeoutMs` passes (EAGAIN; -1: no limit). */
  wait(timeoutMs: number): Promise<Buffer[]> {
    return new Promise((resolve, reject) => {
      const receiver: Receiver = { resolve, reject, timer: null };
      if (timeoutMs >= 0) {
        receiver.timer = setTimeout(() => {
          this.receivers.splice(this.receivers.indexOf(receiver), 1);
          reject(new ZmtpError("EAGAIN", "receive timed out"));
        }, timeoutMs);
      }
      this.receivers.push(receiver);
    });
  }

  /** Gives a message to the longest-waiting receive; there must be one (see {@link length}). */
  resolveNext(frames: Buffer[]): void {
    const r = this.receivers.shift() as Receiver;
    if (r.timer !== null) clearTimeout(r.timer);
    r.resolve(frames);
  }

  /** Rejects every waiting receive with `error` (the socket closed). */
  rejectAll(error: Error): void {
    for (const r of this.receivers.splice(0)) {
      if (r.timer !== null) clearTimeout(r.timer);
      r.reject(error);
    }
  }
}
