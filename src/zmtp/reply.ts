/** REP: fair-queued requests, replies routed back through the saved envelope, strict receive/send lockstep (RFC 28). */
import type { Connection } from "./connection.ts";
import type { MessageLike } from "./message.ts";
import type { SocketOptions } from "./options.ts";
import { SocketBase } from "./socket-base.ts";
import { ZmtpError } from "./zmtp-error.ts";

/** A REP socket (zeromq.js: `new Reply(options?)`). Talks to REQ and DEALER peers. */
export class Reply extends SocketBase {
  private pending: { conn: Connection; envelope: Buffer[] } | null = null;

  constructor(options: SocketOptions = {}) {
    super("REP", options);
  }

  /** Replies to the request last received; throws EFSM if there is none. A reply to a peer that left is dropped. */
  async send(message: MessageLike | readonly MessageLike[]): Promise<void> {
    const pending = this.pending;
    if (pending === null) return Promise.reject(new ZmtpError("EFSM", "REP socket must receive a request before replying"));
    const frames = this.frames(message);
    this.pending = null;
    const out = [...pending.envelope, ...frames];
    return this.enqueueSend(() => {
      if (!pending.conn.ready) return true; // peer gone: drop, as libzmq does
      if (!this.hasRoom(pending.conn)) return false;
      pending.conn.sendMessage(out);
      return true;
    });
  }

  protected override checkReceive(): void {
    if (this.pending !== null) throw new ZmtpError("EFSM", "REP socket must reply before receiving the next request");
  }

  protected override acceptIncoming(_conn: Connection, frames: Buffer[]): boolean {
    // A request is [routing frames...] [empty delimiter] [body...]; without a delimiter it is malformed.
    return frames.some((f) => f.length === 0);
  }

  protected override deliver(conn: Connection, frames: Buffer[]): Buffer[] | null {
    if (this.pending !== null) return null;
    const split = frames.findIndex((f) => f.length === 0);
    // envelope keeps the delimiter so the reply carries it back
    this.pending = { conn, envelope: frames.slice(0, split + 1) };
    return frames.slice(split + 1);
  }
}
