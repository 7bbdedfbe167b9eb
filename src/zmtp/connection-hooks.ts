/** ConnectionHooks: what a ZMTP connection reports to the socket that owns it (handshake, messages, drain, close). */
import type { Connection } from "./connection.ts";
import type { ZmtpError } from "./zmtp-error.ts";

/** What a connection reports to the socket that owns it. */
export interface ConnectionHooks {
  /** Handshake complete; return a reason string to refuse the peer, or null to accept it. */
  onHandshake(conn: Connection): string | null;
  /** A complete message arrived. */
  onMessage(conn: Connection, frames: Buffer[]): void;
  /** The outgoing queue emptied after having been at or above the high-water mark. */
  onWritable(conn: Connection): void;
  /** The connection is gone; called exactly once. */
  onClose(conn: Connection, reason: string, error: ZmtpError | null): void;
}
