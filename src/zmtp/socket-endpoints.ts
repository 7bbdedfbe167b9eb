/** The endpoints of a socket: the listeners it bound, one dialer per endpoint it connects to, and which dialer made which connection. */
import type { Connection } from "./connection.ts";
import { Dialer } from "./dialer.ts";
import { parseEndpoint } from "./endpoint.ts";
import type { ResolvedOptions } from "./options.ts";
import type { SocketEvents } from "./socket-events.ts";
import type { Listener, Stream, StreamHandler } from "./transport.ts";
import { listenOn } from "./transports.ts";
import { ZmtpError } from "./zmtp-error.ts";

/** Options for `connect()`. */
export interface ConnectOptions {
  /** ROUTER only: routing id to assign to the peer reached through this connection. */
  routingId?: string | Uint8Array;
}

/** What the endpoints report to on their socket: its events, and the address it bound last. */
export interface EndpointsOwner {
  readonly events: SocketEvents;
  lastEndpoint: string | null;
}

/** Starts a connection on a new stream: accepted by a listener (`dialer` null) or made by a dialer. */
export type AdoptStream = (stream: Stream, endpoint: string, dialer: Dialer | null) => StreamHandler;

/** Listeners and dialers of one socket; `close()` stops them all and refuses new ones (ETERM). */
export class SocketEndpoints {
  private readonly listeners = new Map<string, Listener>();
  private readonly dialers = new Map<string, Dialer>();
  private readonly dialerOf = new Map<Connection, Dialer>();
  private closed = false;

  /** @param opts - the socket's options; the reconnect intervals are read at each `connect()`. */
  constructor(
    private readonly owner: EndpointsOwner,
    private readonly opts: ResolvedOptions,
    private readonly adopt: AdoptStream,
  ) {}

  /** Listens on `endpoint` (see `SocketBase.bind`); sets the owner's `lastEndpoint` and emits `bind`. */
  async bind(endpoint: string): Promise<void> {
    if (this.closed) throw new ZmtpError("ETERM", "socket is closed");
    const target = parseEndpoint(endpoint, true);
    let listener: Listener;
    try {
      listener = await listenOn(target, (stream) => this.adopt(stream, listener.endpoint, null));
    } catch (err) {
      if (err instanceof ZmtpError) throw err;
      throw new ZmtpError("EINVAL", `cannot bind ${endpoint}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (this.closed) {
      listener.close();
      throw new ZmtpError("ETERM", "socket closed while binding");
    }
    this.listeners.set(listener.endpoint, listener);
    this.owner.lastEndpoint = listener.endpoint;
    this.owner.events.emit("bind", { address: listener.endpoint });
  }

  /** Closes the listener bound to `endpoint` (EINVAL if there is none) and emits `unbind`. */
  unbind(endpoint: string): void {
    const listener = this.listeners.get(endpoint);
    if (!listener) throw new ZmtpError("EINVAL", `not bound to ${endpoint}`);
    listener.close();
    this.listeners.delete(endpoint);
    this.owner.events.emit("unbind", { address: endpoint });
  }

  /** Starts a dialer for `endpoint` (EINVAL if there already is one); it retries until stopped, emitting `connect:retry`. */
  connect(endpoint: string, options: ConnectOptions): void {
    if (this.closed) throw new ZmtpError("ETERM", "socket is closed");
    if (this.dialers.has(endpoint)) throw new ZmtpError("EINVAL", `already connected to ${endpoint}`);
    const routingId = options.routingId === undefined ? null : Buffer.from(options.routingId);
    const dialer = new Dialer(endpoint, this.opts.reconnectInterval, this.opts.reconnectMaxInterval, {
      onStream: (d, stream) => this.adopt(stream, d.endpoint, d),
      onRetry: (d, error, interval) => this.owner.events.emit("connect:retry", { address: d.endpoint, interval, error }),
    }, routingId);
    this.dialers.set(endpoint, dialer);
    dialer.start();
  }

  /** Stops the dialer of `endpoint` (EINVAL if there is none) and closes the connection it made. */
  disconnect(endpoint: string): void {
    const dialer = this.dialers.get(endpoint);
    if (!dialer) throw new ZmtpError("EINVAL", `not connected to ${endpoint}`);
    dialer.stop();
    this.dialers.delete(endpoint);
    for (const [conn, d] of this.dialerOf) if (d === dialer) conn.close("disconnected by user", null);
  }

  /** Remembers that `dialer` made `conn`, so losing it makes the dialer reconnect. */
  track(conn: Connection, dialer: Dialer): void {
    this.dialerOf.set(conn, dialer);
  }

  /** The dialer that made `conn`, or null for an accepted connection. */
  dialerFor(conn: Connection): Dialer | null {
    return this.dialerOf.get(conn) ?? null;
  }

  /** `conn` closed: its dialer, if any, reconnects (unless the socket is closed). */
  lost(conn: Connection): void {
    const dialer = this.dialerOf.get(conn);
    if (dialer) {
      this.dialerOf.delete(conn);
      if (!this.closed) dialer.scheduleReconnect();
    }
  }

  /** Closes every listener and stops every dialer; later binds and connects fail with ETERM. */
  close(): void {
    this.closed = true;
    for (const listener of this.listeners.values()) listener.close();
    this.listeners.clear();
    for (const dialer of this.dialers.values()) dialer.stop();
    this.dialers.clear();
  }
}
