/** Error type for everything the ZMTP library reports: protocol violations, bad options, socket state. */

/** Stable machine-readable error codes (named after the errno values zeromq.js uses where one exists). */
export type ZmtpErrorCode =
  | "EPROTO" // peer broke the wire protocol (RFC 37)
  | "ESOCKTNOSUPPORT" // peer socket type cannot talk to ours
  | "EACCES" // handshake credentials refused (our authorize hook, or the peer's)
  | "EMSGSIZE" // message larger than maxMessageSize
  | "EHOSTUNREACH" // ROUTER with mandatory: no peer with that routing id
  | "EFSM" // operation not allowed in the socket's current state (REQ/REP lockstep)
  | "EAGAIN" // send or receive timed out
  | "ETERM" // socket is closed
  | "EADDRINUSE" // bind: another process listens on that ipc path
  | "EINVAL"; // bad argument (endpoint, option, frame)

/** An error raised by the ZMTP library; `code` says what kind. */
export class ZmtpError extends Error {
  /** Machine-readable kind of the error. */
  readonly code: ZmtpErrorCode;

  constructor(code: ZmtpErrorCode, message: string) {
    super(message);
    this.name = "ZmtpError";
    this.code = code;
  }
}

/** Shorthand for a protocol violation by the peer (RFC 37 says: close the connection). */
export function protocolError(message: string): ZmtpError {
  return new ZmtpError("EPROTO", message);
}
