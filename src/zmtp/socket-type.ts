/** ZeroMQ socket type names and the compatibility table checked at handshake (RFC 37 section "Socket Semantics"; RFC 28 REQ-REP). */

/** Socket types this library implements. */
export type SocketType = "REQ" | "REP" | "DEALER" | "ROUTER";

/** Which peer socket types each socket type may talk to. */
const COMPATIBLE: Record<SocketType, readonly string[]> = {
  REQ: ["REP", "ROUTER"],
  REP: ["REQ", "DEALER"],
  DEALER: ["REP", "DEALER", "ROUTER"],
  ROUTER: ["REQ", "DEALER", "ROUTER"],
};

/** True if a socket of type `ours` accepts a peer announcing `theirs` (case-sensitive, as libzmq). */
export function isCompatible(ours: SocketType, theirs: string): boolean {
  return COMPATIBLE[ours].includes(theirs);
}

/** True if the socket type sends an `Identity` property in READY (RFC 37: REQ, DEALER, ROUTER). */
export function sendsIdentity(type: SocketType): boolean {
  return type === "REQ" || type === "DEALER" || type === "ROUTER";
}
