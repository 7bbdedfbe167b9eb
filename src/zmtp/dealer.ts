/** DEALER: round-robin out to peers with room, fair-queued in; no envelopes (RFC 28 / zguide semantics). */
import type { MessageLike } from "./message.ts";
import type { SocketOptions } from "./options.ts";
import { SocketBase } from "./socket-base.ts";

/** A DEALER socket (zeromq.js: `new Dealer(options?)`). Talks to REP, DEALER and ROUTER peers. */
export class Dealer extends SocketBase {
  constructor(options: SocketOptions = {}) {
    super("DEALER", options);
  }

  /** Sends to the next peer (round-robin) below its high-water mark; waits while there is none. */
  async send(message: MessageLike | readonly MessageLike[]): Promise<void> {
    const frames = this.frames(message);
    return this.enqueueSend(() => {
      const peer = this.pickPeer();
      if (peer === null) return false;
      peer.sendMessage(frames);
      return true;
    });
  }
}
