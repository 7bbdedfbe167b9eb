/** What every connection of a socket is set up with, derived from the socket options: its settings and our READY properties. */
import type { Authorize } from "./authorize.ts";
import type { ResolvedOptions } from "./options.ts";
import { type SocketType, sendsIdentity } from "./socket-type.ts";

/** Per-connection settings, resolved from the socket options. */
export interface ConnectionSettings {
  /** Our socket type (for the compatibility check). */
  socketType: SocketType;
  /** Largest inbound message in octets; -1 for no limit. */
  maxMessageSize: number;
  /** Milliseconds between our PINGs; 0 disables heartbeats. */
  heartbeatInterval: number;
  /** Milliseconds without any traffic after our first unanswered PING before we drop the peer. */
  heartbeatTimeout: number;
  /** TTL in milliseconds we ask the peer to apply (sent in deciseconds); 0 for none. */
  heartbeatTimeToLive: number;
  /** Milliseconds allowed for greeting + handshake; 0 for no limit. */
  handshakeTimeout: number;
  /** Octets each received message frame costs against `maxMessageSize` besides its body. */
  frameOverhead: number;
  /** Most frames in one inbound message; 0 for no limit. */
  maxFramesPerMessage: number;
  /** Octets (frames with headers and overhead) a peer may send before it is authenticated; 0: no budget. */
  maxUnauthenticatedBytes: number;
  /** Milliseconds after the handshake within which the peer must be authenticated; 0: no limit. */
  authenticationTimeout: number;
  /** Judges the peer's handshake credentials (the `authorize` option); null: no hook. */
  authorize: Authorize | null;
}

/** The settings every connection of a `type` socket with these options gets. */
export function connectionSettings(type: SocketType, opts: ResolvedOptions): ConnectionSettings {
  return {
    socketType: type,
    maxMessageSize: opts.maxMessageSize,
    heartbeatInterval: opts.heartbeatInterval,
    heartbeatTimeout: opts.heartbeatTimeout,
    heartbeatTimeToLive: opts.heartbeatTimeToLive,
    handshakeTimeout: opts.handshakeInterval,
    frameOverhead: opts.frameOverhead,
    maxFramesPerMessage: opts.maxFramesPerMessage,
    maxUnauthenticatedBytes: opts.maxUnauthenticatedBytes,
    authenticationTimeout: opts.authenticationTimeout,
    authorize: opts.authorize,
  };
}

/**
 * The properties our READY carries (RFC 37 "The NULL Security Mechanism"): `Socket-Type` always, and
 * `Identity` when the `routingId` option is set on a socket type that sends one (REQ, DEALER, ROUTER), then the
 * application properties of the `metadata` option (`X-…`).
 */
export function readyMetadata(type: SocketType, opts: ResolvedOptions): Array<readonly [string, Uint8Array | string]> {
  const metadata: Array<readonly [string, Uint8Array | string]> = [["Socket-Type", type]];
  if (opts.routingId !== null && sendsIdentity(type)) metadata.push(["Identity", opts.routingId]);
  metadata.push(...opts.metadata);
  return metadata;
}
