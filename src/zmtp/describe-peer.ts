/** describePeer: the PeerInfo snapshot of a connection that socket events and `connectedPeers()` report. */
import type { Connection } from "./connection.ts";
import type { PeerInfo } from "./socket-events.ts";

/** Describes a connection for events: address, peer type and identity, routing id, a copy of its counters. */
export function describePeer(conn: Connection): PeerInfo {
  return {
    connectionId: conn.id,
    address: conn.remoteAddress,
    socketType: conn.peerSocketType,
    identity: conn.peerIdentity,
    routingId: conn.routingId,
    authenticated: conn.authenticated,
    metadata: conn.peerMetadata,
    stats: { ...conn.stats },
  };
}
