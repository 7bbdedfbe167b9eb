/** Public API of the pure-TypeScript ZeroMQ (ZMTP 3.1) library: zeromq.js v6 compatible socket classes plus events. */
export { Dealer } from "./dealer.ts";
export { Router, type RouterOptions } from "./router.ts";
export { Request, type RequestOptions } from "./request.ts";
export { Reply } from "./reply.ts";
export type { SocketBase } from "./socket-base.ts";
export type { ConnectOptions } from "./socket-endpoints.ts";
export type { SocketOptions } from "./options.ts";
export type { CurveOptions } from "./curve-options.ts";
export { curveKeyPair, curvePublicKey, type CurveKeyPair } from "./curve-keys.ts";
export { z85Decode, z85Encode } from "./z85.ts";
export type { Authorize, HandshakePeer } from "./authorize.ts";
export { refusalText } from "./authorize.ts";
export type { MessageLike } from "./message.ts";
export { SocketEvents, type PeerInfo, type PeerStats, type SocketEventMap, type SocketEventType } from "./socket-events.ts";
export { ZmtpError, type ZmtpErrorCode } from "./zmtp-error.ts";
export type { SocketType } from "./socket-type.ts";
