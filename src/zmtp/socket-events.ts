/** Connection lifecycle events of a socket (our first-class alternative to libzmq monitor sockets; names follow zeromq.js). */
import type { Metadata } from "./metadata.ts";
import type { ZmtpError } from "./zmtp-error.ts";

/** What we know about a peer connection. */
export interface PeerInfo {
  /** Process-unique connection number. */
  connectionId: number;
  /** Remote address, `tcp://host:port`. */
  address: string;
  /** Peer socket type from READY ("" before the handshake completed). */
  socketType: string;
  /** Peer `Identity` from READY, or null. */
  identity: Buffer | null;
  /** Routing id a ROUTER uses for this peer, or null on other socket types. */
  routingId: Buffer | null;
  /** False while a ROUTER with `maxUnauthenticatedBytes` or `authenticationTimeout` waits for `authenticate()` (or `authorize` said false). */
  authenticated: boolean;
  /** The peer's READY properties, names lower-cased (empty before the handshake completed). */
  metadata: Metadata;
  /** Counters at the time of the snapshot. */
  stats: PeerStats;
}

/** Per-connection traffic counters. */
export interface PeerStats {
  messagesIn: number;
  messagesOut: number;
  pingsSent: number;
  pingsReceived: number;
  pongsReceived: number;
}

/** Event payloads by event type. `address` is the endpoint bound or connected to. */
export interface SocketEventMap {
  /** A listener was bound. */
  bind: { address: string };
  /** A listener accepted a TCP connection (handshake still pending). */
  accept: { address: string; peer: PeerInfo };
  /** An outgoing TCP connection was established (handshake still pending). */
  connect: { address: string; peer: PeerInfo };
  /** An outgoing connection attempt failed; the next try is in `interval` ms. */
  "connect:retry": { address: string; interval: number; error: Error };
  /** The ZMTP handshake completed; the peer can now send and receive. */
  handshake: { address: string; peer: PeerInfo };
  /** A connection was dropped because the peer broke the protocol before or during the handshake. */
  "handshake:error:protocol": { address: string; peer: PeerInfo; error: ZmtpError };
  /** A connection was dropped at handshake over credentials (EACCES): our `authorize` hook refused the peer, or the peer refused us. */
  "handshake:error:auth": { address: string; peer: PeerInfo; error: ZmtpError };
  /** A connection closed, for any reason; `handshaken` says whether it had completed the handshake. */
  disconnect: { address: string; peer: PeerInfo; reason: string; error: ZmtpError | null; handshaken: boolean };
  /** A listener was unbound or closed. */
  unbind: { address: string };
  /** The socket was closed. */
  close: { address: string };
}

/** Any event name. */
export type SocketEventType = keyof SocketEventMap;

/** A tiny typed event emitter exposed as `socket.events`. Listener exceptions are caught and logged. */
export class SocketEvents {
  private readonly listeners = new Map<SocketEventType, Set<(event: never) => void>>();

  /** @param onListenerError - receives exceptions thrown by listeners. Default: ignore them. */
  constructor(private readonly onListenerError: (error: unknown) => void = () => {}) {}

  /** Adds a listener; returns a function that removes it. */
  on<K extends SocketEventType>(type: K, listener: (event: SocketEventMap[K]) => void): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener as (event: never) => void);
    return () => this.off(type, listener);
  }

  /** Removes a listener. */
  off<K extends SocketEventType>(type: K, listener: (event: SocketEventMap[K]) => void): void {
    this.listeners.get(type)?.delete(listener as (event: never) => void);
  }

  /** Waits for the next event of a type that satisfies `filter` (default: any). */
  once<K extends SocketEventType>(type: K, filter: (event: SocketEventMap[K]) => boolean = () => true): Promise<SocketEventMap[K]> {
    return new Promise((resolve) => {
      const off = this.on(type, (event) => {
        if (!filter(event)) return;
        off();
        resolve(event);
      });
    });
  }

  /** Delivers an event to its listeners (library internal). */
  emit<K extends SocketEventType>(type: K, event: SocketEventMap[K]): void {
    const set = this.listeners.get(type);
    if (!set || set.size === 0) return;
    for (const listener of [...set]) {
      try {
        (listener as (event: SocketEventMap[K]) => void)(event);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  /** Removes all listeners (called on socket close after the `close` event). */
  clear(): void {
    this.listeners.clear();
  }
}
