/** The socket core shared by REQ, REP, DEALER and ROUTER: bind/connect, peers, inbox, send waiting, events, close. */
import { Connection, type ConnectionHooks, type ConnectionSettings } from "./connection.ts";
import { Dialer } from "./dialer.ts";
import { parseEndpoint } from "./endpoint.ts";
import { NullMechanism } from "./mechanism.ts";
import { type MessageLike, type OutFrame, toOutFrames } from "./message.ts";
import { type ResolvedOptions, type SocketOptions, resolveOptions } from "./options.ts";
import { type PeerInfo, SocketEvents } from "./socket-events.ts";
import { type SocketType, sendsIdentity } from "./socket-type.ts";
import type { Listener, Stream } from "./transport.ts";
import { listenOn } from "./transports.ts";
import { ZmtpError } from "./zmtp-error.ts";

interface Receiver {
  resolve: (frames: Buffer[]) => void;
  reject: (error: Error) => void;
  timer: Timer | null;
}
interface Sender {
  attempt: () => boolean;
  resolve: () => void;
  reject: (error: Error) => void;
  timer: Timer | null;
}
interface Inbound {
  conn: Connection;
  frames: Buffer[];
}

const RESOLVED = Promise.resolve();

/** Options for `connect()`. */
export interface ConnectOptions {
  /** ROUTER only: routing id to assign to the peer reached through this connection. */
  routingId?: string | Uint8Array;
}

/** Base class of all socket types. Not exported from the package index; use the concrete classes. */
export abstract class SocketBase {
  /** Emits connection lifecycle events (see SocketEventMap). */
  readonly events: SocketEvents;
  /** The endpoint most recently bound, with the real port; null before the first bind. */
  lastEndpoint: string | null = null;

  protected readonly opts: ResolvedOptions;
  /** Handshaken peers in connection order (round-robin order for DEALER/REQ). */
  protected readonly peers: Connection[] = [];
  private readonly connections = new Set<Connection>();
  private readonly dialerOf = new Map<Connection, Dialer>();
  private readonly listeners = new Map<string, Listener>();
  private readonly dialers = new Map<string, Dialer>();
  private readonly settings: ConnectionSettings;
  private readonly metadata: Array<readonly [string, Uint8Array | string]>;
  private inbox: Inbound[] = [];
  private inboxHead = 0;
  private receivers: Receiver[] = [];
  private senders: Sender[] = [];
  private waking = false;
  private rr = 0;
  private isClosed = false;
  private readonly hooks: ConnectionHooks;

  protected constructor(
    /** ZeroMQ socket type name. */
    readonly type: SocketType,
    options: SocketOptions,
  ) {
    this.opts = resolveOptions(options);
    this.events = new SocketEvents((err) => this.log(`event listener threw: ${String(err)}`));
    this.settings = {
      socketType: type,
      maxMessageSize: this.opts.maxMessageSize,
      heartbeatInterval: this.opts.heartbeatInterval,
      heartbeatTimeout: this.opts.heartbeatTimeout,
      heartbeatTimeToLive: this.opts.heartbeatTimeToLive,
      handshakeTimeout: this.opts.handshakeInterval,
    };
    this.metadata = [["Socket-Type", type]];
    if (this.opts.routingId !== null && sendsIdentity(type)) this.metadata.push(["Identity", this.opts.routingId]);
    this.hooks = {
      onHandshake: (conn) => this.onHandshake(conn),
      onMessage: (conn, frames) => this.onMessage(conn, frames),
      onWritable: () => this.wakeSenders(),
      onClose: (conn, reason, error) => this.onConnectionClose(conn, reason, error),
    };
  }

  /** Our routing id (the `routingId` option), or null. */
  get routingId(): string | null {
    return this.opts.routingId === null ? null : this.opts.routingId.toString();
  }

  /** Snapshot of the handshaken peers (our extra: addresses, types, identities, counters). */
  connectedPeers(): PeerInfo[] {
    return this.peers.map((conn) => this.peerInfo(conn));
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Binds to `tcp://host:port` (port `0` or `*` picks a free one; read it back from `lastEndpoint`) or to
   * `ipc://path` (a unix socket file, removed again by `unbind`/`close`).
   */
  async bind(endpoint: string): Promise<void> {
    this.assertOpen();
    const target = parseEndpoint(endpoint, true);
    let listener: Listener;
    try {
      listener = await listenOn(target, (stream) => this.adopt(stream, listener.endpoint, null));
    } catch (err) {
      if (err instanceof ZmtpError) throw err;
      throw new ZmtpError("EINVAL", `cannot bind ${endpoint}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (this.isClosed) {
      listener.close();
      throw new ZmtpError("ETERM", "socket closed while binding");
    }
    this.listeners.set(listener.endpoint, listener);
    this.lastEndpoint = listener.endpoint;
    this.events.emit("bind", { address: listener.endpoint });
  }

  /** Stops listening on an endpoint previously bound (as returned in `lastEndpoint`). */
  async unbind(endpoint: string): Promise<void> {
    const listener = this.listeners.get(endpoint);
    if (!listener) throw new ZmtpError("EINVAL", `not bound to ${endpoint}`);
    listener.close();
    this.listeners.delete(endpoint);
    this.events.emit("unbind", { address: endpoint });
  }

  /** Connects to `tcp://host:port` or `ipc://path`; retries in the background until it succeeds and after every loss. */
  connect(endpoint: string, options: ConnectOptions = {}): void {
    this.assertOpen();
    if (this.dialers.has(endpoint)) throw new ZmtpError("EINVAL", `already connected to ${endpoint}`);
    const routingId = options.routingId === undefined ? null : Buffer.from(options.routingId);
    const dialer = new Dialer(endpoint, this.opts.reconnectInterval, this.opts.reconnectMaxInterval, {
      onStream: (d, stream) => this.adopt(stream, d.endpoint, d),
      onRetry: (d, error, interval) => this.events.emit("connect:retry", { address: d.endpoint, interval, error }),
    }, routingId);
    this.dialers.set(endpoint, dialer);
    dialer.start();
  }

  /** Stops connecting to `endpoint` and closes the connection made through it. */
  disconnect(endpoint: string): void {
    const dialer = this.dialers.get(endpoint);
    if (!dialer) throw new ZmtpError("EINVAL", `not connected to ${endpoint}`);
    dialer.stop();
    this.dialers.delete(endpoint);
    for (const [conn, d] of this.dialerOf) if (d === dialer) conn.close("disconnected by user", null);
  }

  /** Receives the next message. Rejects with ETERM once the socket is closed, EAGAIN after `receiveTimeout`. */
  receive(): Promise<Buffer[]> {
    try {
      this.checkReceive();
    } catch (err) {
      return Promise.reject(err);
    }
    while (this.inboxHead < this.inbox.length) {
      const item = this.shiftInbox();
      const frames = this.deliver(item.conn, item.frames);
      if (frames !== null) return Promise.resolve(frames);
    }
    if (this.isClosed) return Promise.reject(new ZmtpError("ETERM", "socket is closed"));
    return new Promise((resolve, reject) => {
      const receiver: Receiver = { resolve, reject, timer: null };
      if (this.opts.receiveTimeout >= 0) {
        receiver.timer = setTimeout(() => {
          this.receivers.splice(this.receivers.indexOf(receiver), 1);
          reject(new ZmtpError("EAGAIN", "receive timed out"));
        }, this.opts.receiveTimeout);
      }
      this.receivers.push(receiver);
    });
  }

  /** Iterates over received messages until the socket is closed. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer[], void, undefined> {
    for (;;) {
      try {
        yield await this.receive();
      } catch (err) {
        if (err instanceof ZmtpError && err.code === "ETERM") return;
        throw err;
      }
    }
  }

  /** Sends a message (one frame or an array of frames); see the concrete class for routing. */
  abstract send(message: MessageLike | readonly MessageLike[]): Promise<void>;

  /** Closes the socket: listeners, dialers and connections (after `linger`); pending calls reject with ETERM. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const listener of this.listeners.values()) listener.close();
    this.listeners.clear();
    for (const dialer of this.dialers.values()) dialer.stop();
    this.dialers.clear();
    for (const conn of [...this.connections]) conn.closeGracefully(this.opts.linger, "socket closed");
    const error = new ZmtpError("ETERM", "socket is closed");
    for (const r of this.receivers.splice(0)) this.settle(r.timer, () => r.reject(error));
    for (const s of this.senders.splice(0)) this.settle(s.timer, () => s.reject(error));
    this.inbox = [];
    this.inboxHead = 0;
    this.events.emit("close", { address: this.lastEndpoint ?? "" });
    this.events.clear();
  }

  // ---- for subclasses ------------------------------------------------------------------

  /** Decides whether a peer may join after the handshake; return a reason to refuse it. */
  protected admitPeer(_conn: Connection, _dialer: Dialer | null): string | null {
    return null;
  }
  /** A handshaken peer left. */
  protected peerGone(_conn: Connection): void {}
  /** Filters a message on arrival (REQ drops unexpected replies). */
  protected acceptIncoming(_conn: Connection, _frames: Buffer[]): boolean {
    return true;
  }
  /** Turns a queued message into what `receive()` returns, or null to skip it. */
  protected deliver(_conn: Connection, frames: Buffer[]): Buffer[] | null {
    return frames;
  }
  /** Hook for REQ/REP to refuse a receive in the wrong state (throws EFSM). */
  protected checkReceive(): void {}

  /** Sends via `attempt` now if possible, else waits (in order) until it succeeds, fails or times out. */
  protected enqueueSend(attempt: () => boolean): Promise<void> {
    if (this.isClosed) return Promise.reject(new ZmtpError("ETERM", "socket is closed"));
    try {
      if (this.senders.length === 0 && attempt()) return RESOLVED;
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      const sender: Sender = { attempt, resolve, reject, timer: null };
      if (this.opts.sendTimeout >= 0) {
        sender.timer = setTimeout(() => {
          this.senders.splice(this.senders.indexOf(sender), 1);
          reject(new ZmtpError("EAGAIN", "send timed out: no peer ready"));
        }, this.opts.sendTimeout);
      }
      this.senders.push(sender);
    });
  }

  /** Next peer in round-robin order whose queue is below the high-water mark, or null. */
  protected pickPeer(): Connection | null {
    const n = this.peers.length;
    for (let i = 0; i < n; i++) {
      const idx = (this.rr + i) % n;
      const conn = this.peers[idx] as Connection;
      if (this.hasRoom(conn)) {
        this.rr = (idx + 1) % n;
        return conn;
      }
    }
    return null;
  }

  /** True if `conn` can take another message; otherwise marks it so it reports when it drains. */
  protected hasRoom(conn: Connection): boolean {
    const hwm = this.opts.sendHighWaterMark;
    if (hwm === 0 || conn.queuedMessages < hwm) return true;
    conn.wantWritable = true;
    return false;
  }

  /** Converts user input to frames (throws EINVAL on bad input). */
  protected frames(message: MessageLike | readonly MessageLike[]): OutFrame[] {
    return toOutFrames(message);
  }

  /** Logs through the `log` option, if any. */
  protected log(message: string): void {
    this.opts.log?.(`[zmtp ${this.type}] ${message}`);
  }

  /** Describes a connection for events. */
  protected peerInfo(conn: Connection): PeerInfo {
    return {
      connectionId: conn.id,
      address: conn.remoteAddress,
      socketType: conn.peerSocketType,
      identity: conn.peerIdentity,
      routingId: conn.routingId,
      stats: { ...conn.stats },
    };
  }

  // ---- internals -----------------------------------------------------------------------

  private assertOpen(): void {
    if (this.isClosed) throw new ZmtpError("ETERM", "socket is closed");
  }

  private adopt(stream: Stream, endpoint: string, dialer: Dialer | null): Connection {
    const conn = new Connection(stream, endpoint, this.settings, new NullMechanism(this.metadata), this.hooks);
    if (this.isClosed) {
      conn.close("socket closed", null);
      return conn;
    }
    this.connections.add(conn);
    if (dialer) this.dialerOf.set(conn, dialer);
    this.events.emit(dialer ? "connect" : "accept", { address: endpoint, peer: this.peerInfo(conn) });
    return conn;
  }

  private onHandshake(conn: Connection): string | null {
    if (this.isClosed) return "socket closed";
    const dialer = this.dialerOf.get(conn) ?? null;
    const refusal = this.admitPeer(conn, dialer);
    if (refusal !== null) return refusal;
    this.peers.push(conn);
    dialer?.resetBackoff();
    this.events.emit("handshake", { address: conn.endpoint, peer: this.peerInfo(conn) });
    this.wakeSenders();
    return null;
  }

  private onMessage(conn: Connection, frames: Buffer[]): void {
    if (!this.acceptIncoming(conn, frames)) return;
    if (this.receivers.length > 0 && this.inboxHead === this.inbox.length) {
      const out = this.deliver(conn, frames);
      if (out === null) return;
      const r = this.receivers.shift() as Receiver;
      this.settle(r.timer, () => r.resolve(out));
      return;
    }
    this.inbox.push({ conn, frames });
    conn.queuedInbound++;
    const hwm = this.opts.receiveHighWaterMark;
    if (hwm > 0 && conn.queuedInbound >= hwm) conn.pause();
  }

  private shiftInbox(): Inbound {
    const item = this.inbox[this.inboxHead++] as Inbound;
    if (this.inboxHead === this.inbox.length) {
      this.inbox = [];
      this.inboxHead = 0;
    } else if (this.inboxHead >= 1024) {
      this.inbox = this.inbox.slice(this.inboxHead);
      this.inboxHead = 0;
    }
    const hwm = this.opts.receiveHighWaterMark;
    if (item.conn.queuedInbound-- === hwm && hwm > 0) item.conn.resume();
    return item;
  }

  private onConnectionClose(conn: Connection, reason: string, error: ZmtpError | null): void {
    this.connections.delete(conn);
    const idx = this.peers.indexOf(conn);
    const handshaken = idx >= 0;
    if (handshaken) {
      this.peers.splice(idx, 1);
      if (this.rr > idx) this.rr--;
      this.peerGone(conn);
    }
    if (error !== null) this.log(`dropped connection ${conn.remoteAddress} (${conn.endpoint}): ${reason}`);
    const peer = this.peerInfo(conn);
    if (error !== null && !handshaken) this.events.emit("handshake:error:protocol", { address: conn.endpoint, peer, error });
    this.events.emit("disconnect", { address: conn.endpoint, peer, reason, error, handshaken });
    const dialer = this.dialerOf.get(conn);
    if (dialer) {
      this.dialerOf.delete(conn);
      if (!this.isClosed) dialer.scheduleReconnect();
    }
    this.wakeSenders();
  }

  private wakeSenders(): void {
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
          this.settle(s.timer, () => s.reject(err as Error));
          continue;
        }
        if (!done) break;
        this.senders.shift();
        this.settle(s.timer, s.resolve);
      }
    } finally {
      this.waking = false;
    }
  }

  private settle(timer: Timer | null, fn: () => void): void {
    if (timer !== null) clearTimeout(timer);
    fn();
  }
}
