/** ROUTER: prefixes received messages with the peer's routing id and routes sends by it (peer Identity or a generated id). */
import type { Connection } from "./connection.ts";
import type { Dialer } from "./dialer.ts";
import { type MessageLike, type OutFrame, toFrame } from "./message.ts";
import type { SocketOptions } from "./options.ts";
import { SocketBase } from "./socket-base.ts";
import { ZmtpError } from "./zmtp-error.ts";

/** Options of a ROUTER socket. */
export interface RouterOptions extends SocketOptions {
  /** Reject `send()` to an unknown routing id with EHOSTUNREACH instead of dropping the message. Default: false. */
  mandatory?: boolean;
  /** A new peer with a routing id already in use takes it over (the old connection is closed). Default: false: the new peer is refused. */
  handover?: boolean;
}

/** A ROUTER socket (zeromq.js: `new Router(options?)`). Talks to REQ, DEALER and ROUTER peers. */
export class Router extends SocketBase {
  /** See RouterOptions.mandatory. */
  mandatory: boolean;
  /** See RouterOptions.handover. */
  handover: boolean;
  private readonly byId = new Map<string, Connection>();
  private nextId = (Math.random() * 0x7fffffff) >>> 0;

  constructor(options: RouterOptions = {}) {
    super("ROUTER", options);
    this.mandatory = options.mandatory ?? false;
    this.handover = options.handover ?? false;
  }

  /**
   * Sends `[routingId, ...frames]`: the first frame picks the peer, the rest is sent to it.
   * Waits while that peer is at its high-water mark. An unknown id drops the message, or
   * rejects with EHOSTUNREACH when `mandatory` is set.
   */
  async send(message: MessageLike | readonly MessageLike[]): Promise<void> {
    const frames = this.frames(message);
    if (frames.length < 2) return Promise.reject(new ZmtpError("EINVAL", "ROUTER messages need a routing id frame and a body"));
    const key = toFrame(frames[0] as OutFrame).toString("latin1");
    const body = frames.slice(1);
    return this.enqueueSend(() => {
      const peer = this.byId.get(key);
      if (peer === undefined || !peer.ready) {
        if (this.mandatory) throw new ZmtpError("EHOSTUNREACH", "no peer with that routing id");
        return true; // dropped, as libzmq does without ROUTER_MANDATORY
      }
      if (!this.hasRoom(peer)) return false;
      peer.sendMessage(body);
      return true;
    });
  }

  /**
   * Our extra: ends the unauthenticated phase of the peer with this routing id (see the `maxUnauthenticatedBytes`
   * and `authenticationTimeout` options): from now on only the usual limits apply to it. Returns false if no
   * handshaken peer has that id (it may have been dropped meanwhile). Without those options it only says whether the
   * peer is there.
   */
  authenticate(routingId: Uint8Array | string): boolean {
    const peer = this.byId.get(toFrame(routingId).toString("latin1"));
    if (peer === undefined || !peer.ready) return false;
    peer.authenticate();
    return true;
  }

  protected override admitPeer(conn: Connection, dialer: Dialer | null): string | null {
    let id = dialer?.routingId ?? conn.peerIdentity;
    if (id !== null) {
      const key = id.toString("latin1");
      const existing = this.byId.get(key);
      if (existing !== undefined) {
        if (!this.handover) return `routing id ${id.toString("hex")} already in use`;
        this.byId.delete(key);
        existing.routingId = null;
        existing.close("routing id handed over to a new connection", null);
      }
    } else {
      // libzmq style: 5 octets, a zero then a 32-bit counter (a zero first octet is reserved for generated ids)
      id = Buffer.allocUnsafe(5);
      id[0] = 0;
      do {
        this.nextId = (this.nextId + 1) >>> 0;
        id.writeUInt32BE(this.nextId, 1);
      } while (this.byId.has(id.toString("latin1")));
    }
    conn.routingId = id;
    this.byId.set(id.toString("latin1"), conn);
    return null;
  }

  protected override peerGone(conn: Connection): void {
    if (conn.routingId !== null && this.byId.get(conn.routingId.toString("latin1")) === conn) {
      this.byId.delete(conn.routingId.toString("latin1"));
    }
  }

  protected override deliver(conn: Connection, frames: Buffer[]): Buffer[] | null {
    if (conn.routingId === null) return null;
    frames.unshift(conn.routingId);
    return frames;
  }
}
