/** REQ: strict send/receive lockstep, round-robin to peers, with the empty delimiter envelope (RFC 28). */
import type { Connection } from "./connection.ts";
import type { MessageLike } from "./message.ts";
import type { SocketOptions } from "./options.ts";
import { SocketBase } from "./socket-base.ts";
import { ZmtpError } from "./zmtp-error.ts";

const DELIMITER = Buffer.alloc(0);

/** Options of a REQ socket. */
export interface RequestOptions extends SocketOptions {
  /** Allow a new request before the reply to the previous one arrived; the late reply is then dropped. Default: false. */
  relaxed?: boolean;
}

/** A REQ socket (zeromq.js: `new Request(options?)`). Talks to REP and ROUTER peers. */
export class Request extends SocketBase {
  /** See RequestOptions.relaxed. */
  relaxed: boolean;
  private awaiting: Connection | null = null; // peer the outstanding request went to
  private replied = false; // reply arrived, waiting for receive()
  private sending = false; // a send is queued but not yet on the wire

  constructor(options: RequestOptions = {}) {
    super("REQ", options);
    this.relaxed = options.relaxed ?? false;
  }

  /** Sends a request to the next peer; throws EFSM if the previous reply was not received yet (unless `relaxed`). */
  async send(message: MessageLike | readonly MessageLike[]): Promise<void> {
    if (this.sending || ((this.awaiting !== null || this.replied) && !this.relaxed)) {
      return Promise.reject(new ZmtpError("EFSM", "REQ socket must receive the reply before sending again"));
    }
    const frames = this.frames(message);
    frames.unshift(DELIMITER);
    this.awaiting = null;
    this.replied = false;
    this.sending = true;
    const sent = this.enqueueSend(() => {
      const peer = this.pickPeer();
      if (peer === null) return false;
      peer.sendMessage(frames);
      this.awaiting = peer;
      return true;
    });
    return sent.finally(() => {
      this.sending = false;
    });
  }

  protected override checkReceive(): void {
    if (this.awaiting === null && !this.replied && !this.sending) {
      throw new ZmtpError("EFSM", "REQ socket must send a request before receiving");
    }
  }

  protected override acceptIncoming(conn: Connection, frames: Buffer[]): boolean {
    // Only the reply from the peer we asked, with the empty delimiter first, is accepted.
    if (conn !== this.awaiting || frames.length < 2 || (frames[0] as Buffer).length !== 0) return false;
    this.awaiting = null;
    this.replied = true;
    return true;
  }

  protected override deliver(_conn: Connection, frames: Buffer[]): Buffer[] | null {
    this.replied = false;
    return frames.slice(1);
  }

  protected override peerGone(conn: Connection): void {
    // libzmq would wait forever; in relaxed mode the user may simply send again.
    if (conn === this.awaiting && this.relaxed) this.awaiting = null;
  }
}
