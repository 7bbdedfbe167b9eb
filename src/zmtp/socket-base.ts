/** The socket core shared by REQ, REP, DEALER and ROUTER: its connections and handshaken peers, receiving, send waiting, subclass hooks, close. */
import { Connection } from "./connection.ts";
import type { ConnectionHooks } from "./connection-hooks.ts";
import { type ConnectionSettings, connectionSettings, readyMetadata } from "./connection-settings.ts";
import { describePeer } from "./describe-peer.ts";
import type { Dialer } from "./dialer.ts";
import { Inbox } from "./inbox.ts";
import { curveBox, loadCurveBox } from "./curve-box.ts";
import { CurveClientMechanism, CurveServerMechanism } from "./curve-mechanism.ts";
import { type Mechanism, NullMechanism } from "./mechanism.ts";
import { type MessageLike, type OutFrame, toOutFrames } from "./message.ts";
import { type ResolvedOptions, type SocketOptions, resolveOptions } from "./options.ts";
import { ReceiveWaiters } from "./receive-waiters.ts";
import { SendWaiters } from "./send-waiters.ts";
import { type ConnectOptions, SocketEndpoints } from "./socket-endpoints.ts";
import { type PeerInfo, SocketEvents } from "./socket-events.ts";
import type { SocketType } from "./socket-type.ts";
import type { Stream, StreamHandler } from "./transport.ts";
import { ZmtpError } from "./zmtp-error.ts";

const RESOLVED = Promise.resolve();

/** The handler of a stream refused at accept: whatever still arrives is dropped. */
const IGNORE_STREAM: StreamHandler = { onData() {}, onDrain() {}, onClose() {} };

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
  private readonly accepted = new Set<Connection>(); // the incoming ones, counted against maxConnections
  private readonly endpoints: SocketEndpoints;
  private readonly settings: ConnectionSettings;
  private readonly metadata: ReadonlyArray<readonly [string, Uint8Array | string]>;
  private readonly inbox: Inbox;
  private readonly receivers = new ReceiveWaiters();
  private readonly senders = new SendWaiters();
  private rr = 0;
  private isClosed = false;
  private readonly hooks: ConnectionHooks;
  private readonly pendingConnects = new Map<string, ConnectOptions>(); // CURVE: connects waiting for libsodium to load

  protected constructor(
    /** ZeroMQ socket type name. */
    readonly type: SocketType,
    options: SocketOptions,
  ) {
    this.opts = resolveOptions(options);
    if (type !== "ROUTER" && (this.opts.maxUnauthenticatedBytes > 0 || this.opts.authenticationTimeout > 0 || this.opts.authorize !== null)) {
      throw new TypeError("options maxUnauthenticatedBytes, authenticationTimeout and authorize need a ROUTER (peers are authenticated by routing id)");
    }
    this.events = new SocketEvents((err) => this.log(`event listener threw: ${String(err)}`));
    if (this.opts.curve !== null) void loadCurveBox(); // bind and connect wait for it (CURVE only)
    this.settings = connectionSettings(type, this.opts);
    this.metadata = readyMetadata(type, this.opts);
    this.inbox = new Inbox(this.opts);
    this.endpoints = new SocketEndpoints(this, this.opts, (stream, endpoint, dialer) => this.adopt(stream, endpoint, dialer));
    this.hooks = {
      onHandshake: (conn) => this.onHandshake(conn),
      onMessage: (conn, frames) => this.onMessage(conn, frames),
      onWritable: () => this.senders.wake(),
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
    if (this.opts.curve !== null && curveBox() === null) await loadCurveBox();
    return this.endpoints.bind(endpoint);
  }

  /** Stops listening on an endpoint previously bound (as returned in `lastEndpoint`). */
  async unbind(endpoint: string): Promise<void> {
    this.endpoints.unbind(endpoint);
  }

  /** Connects to `tcp://host:port` or `ipc://path`; retries in the background until it succeeds and after every loss. */
  connect(endpoint: string, options: ConnectOptions = {}): void {
    if (this.opts.curve !== null && curveBox() === null) {
      // CURVE before libsodium is loaded (the first ~50 ms of a process): dial once it is, unless disconnected or closed meanwhile
      this.pendingConnects.set(endpoint, options);
      void loadCurveBox().then(() => {
        const pending = this.pendingConnects.get(endpoint);
        if (pending !== options || this.isClosed) return;
        this.pendingConnects.delete(endpoint);
        this.endpoints.connect(endpoint, options);
      });
      return;
    }
    this.endpoints.connect(endpoint, options);
  }

  /** Stops connecting to `endpoint` and closes the connection made through it. */
  disconnect(endpoint: string): void {
    if (this.pendingConnects.delete(endpoint)) return;
    this.endpoints.disconnect(endpoint);
  }

  /** Receives the next message. Rejects with ETERM once the socket is closed, EAGAIN after `receiveTimeout`. */
  receive(): Promise<Buffer[]> {
    try {
      this.checkReceive();
    } catch (err) {
      return Promise.reject(err);
    }
    while (!this.inbox.empty) {
      const item = this.inbox.shift();
      const frames = this.deliver(item.conn, item.frames);
      if (frames !== null) return Promise.resolve(frames);
    }
    if (this.isClosed) return Promise.reject(new ZmtpError("ETERM", "socket is closed"));
    return this.receivers.wait(this.opts.receiveTimeout);
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
    this.endpoints.close();
    for (const conn of [...this.connections]) conn.closeGracefully(this.opts.linger, "socket closed");
    const error = new ZmtpError("ETERM", "socket is closed");
    this.receivers.rejectAll(error);
    this.senders.rejectAll(error);
    this.inbox.clear();
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
    return this.senders.wait(attempt, this.opts.sendTimeout);
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
    return describePeer(conn);
  }

  // ---- internals -----------------------------------------------------------------------

  private adopt(stream: Stream, endpoint: string, dialer: Dialer | null): StreamHandler {
    const max = this.opts.maxConnections;
    if (dialer === null && max > 0 && this.accepted.size >= max && !this.isClosed) {
      // refused before a greeting is sent or a byte is read
      stream.close();
      this.log(`refused connection from ${stream.remoteAddress} (${endpoint}): maxConnections (${max}) reached`);
      return IGNORE_STREAM;
    }
    // An incoming connection's READY waits for the authorize hook's verdict on the peer's (libzmq's NULL server with ZAP).
    const mechanism = this.mechanism(dialer === null);
    const conn = new Connection(stream, endpoint, this.settings, mechanism, this.hooks);
    if (this.isClosed) {
      conn.close("socket closed", null);
      return conn;
    }
    this.connections.add(conn);
    if (dialer) this.endpoints.track(conn, dialer);
    else this.accepted.add(conn);
    this.events.emit(dialer ? "connect" : "accept", { address: endpoint, peer: this.peerInfo(conn) });
    return conn;
  }

  /** A new connection's mechanism: NULL, or CURVE in our role (libsodium is loaded: bind and connect waited for it). */
  private mechanism(incoming: boolean): Mechanism {
    const curve = this.opts.curve;
    if (curve === null) return new NullMechanism(this.metadata, incoming && this.opts.authorize !== null);
    const box = curveBox();
    if (box === null) throw new ZmtpError("EPROTO", "CURVE primitives not loaded"); // fail closed, never fall back to NULL
    // a CURVE server holds its READY for the authorize hook's verdict on the client's key, whichever side dialled
    if (curve.server) return new CurveServerMechanism(box, curve, this.metadata, this.opts.authorize !== null);
    return new CurveClientMechanism(box, curve, this.metadata);
  }

  private onHandshake(conn: Connection): string | null {
    if (this.isClosed) return "socket closed";
    const dialer = this.endpoints.dialerFor(conn);
    const refusal = this.admitPeer(conn, dialer);
    if (refusal !== null) return refusal;
    this.peers.push(conn);
    dialer?.resetBackoff();
    this.events.emit("handshake", { address: conn.endpoint, peer: this.peerInfo(conn) });
    this.senders.wake();
    return null;
  }

  private onMessage(conn: Connection, frames: Buffer[]): void {
    if (!this.acceptIncoming(conn, frames)) return;
    if (this.receivers.length > 0 && this.inbox.empty) {
      const out = this.deliver(conn, frames);
      if (out === null) return;
      this.receivers.resolveNext(out);
      return;
    }
    this.inbox.push(conn, frames);
  }

  private onConnectionClose(conn: Connection, reason: string, error: ZmtpError | null): void {
    this.connections.delete(conn);
    this.accepted.delete(conn);
    const idx = this.peers.indexOf(conn);
    const handshaken = idx >= 0;
    if (handshaken) {
      this.peers.splice(idx, 1);
      if (this.rr > idx) this.rr--;
      this.peerGone(conn);
    }
    if (error !== null) this.log(`dropped connection ${conn.remoteAddress} (${conn.endpoint}): ${reason}`);
    const peer = this.peerInfo(conn);
    if (error !== null && !handshaken) {
      this.events.emit(error.code === "EACCES" ? "handshake:error:auth" : "handshake:error:protocol", { address: conn.endpoint, peer, error });
    }
    this.events.emit("disconnect", { address: conn.endpoint, peer, reason, error, handshaken });
    this.endpoints.lost(conn);
    this.senders.wake();
  }
}
