/** The authorization hook of a ROUTER (our extra, in the spirit of libzmq's ZAP, RFC 27): the peer's handshake credentials judged when its READY arrives. */
import type { Metadata } from "./metadata.ts";
import { ZmtpError } from "./zmtp-error.ts";

/** What a peer presented in its handshake, as the `authorize` hook sees it (before it has a routing id). */
export interface HandshakePeer {
  /** Remote address, `tcp://host:port`. */
  address: string;
  /** The security mechanism of the handshake: "NULL" or "CURVE". */
  mechanism: string;
  /** Peer socket type from READY. */
  socketType: string;
  /** Peer `Identity` from READY, or null. */
  identity: Buffer | null;
  /**
   * All properties of the peer's READY (or, under CURVE, INITIATE), names lower-cased: `socket-type`, `identity`, and
   * application properties (`x-…`, RFC 37 "The NULL Security Mechanism").
   */
  metadata: Metadata;
  /** The client's long-term public key under CURVE (Z85, 40 characters), which the mechanism has proven it holds; null under NULL. */
  publicKey: string | null;
}

/**
 * Judges a handshaken peer: `true` authenticates it from its first byte (no unauthenticated phase), `false` leaves
 * it unauthenticated (`maxUnauthenticatedBytes`, `authenticationTimeout` apply; `router.authenticate()` may still
 * end that phase), a string refuses it with that reason (an ERROR command, then close). Must not throw; a hook that
 * does refuses the peer.
 */
export type Authorize = (peer: HandshakePeer) => boolean | string;

/** ZAP status codes (RFC 27) that open an authentication refusal's ERROR reason, as libzmq sends them. */
export const AUTH_FAILURE = "400";
/** The hook failed (threw): RFC 27's "internal error". */
export const AUTH_INTERNAL_ERROR = "500";

/** The ERROR reason of a refusal: a ZAP status code, then our reason (`400 wrong secret`), at most 255 octets. */
export function refusalReason(status: string, reason: string): string {
  return reason === "" ? status : `${status} ${reason}`.slice(0, 255);
}

/**
 * An ERROR reason received during the handshake as an authentication refusal (EACCES) when it starts with a ZAP status
 * code (300, 400 or 500; alone as libzmq sends it, or followed by a space and our reason), else null. Never throws.
 */
export function authRefusal(reason: string): ZmtpError | null {
  if (!/^[345]00(?: |$)/.test(reason)) return null;
  const text = reason.length > 4 ? reason.slice(4) : `status ${reason}`;
  return new ZmtpError("EACCES", `peer refused our credentials: ${text}`);
}

/** The reason part of an EACCES error made by {@link authRefusal} (what the refusing peer said). */
export function refusalText(error: ZmtpError): string {
  return error.message.replace(/^peer refused our credentials: /, "");
}
