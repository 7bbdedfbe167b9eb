/** The dispatcher ↔ remote worker protocol: message shapes, encoders and validating decoders. */
export * from "./messages.ts";
export { encodeDispatcherMessage, decodeDispatcherMessage } from "./dispatcher-messages.ts";
export { encodePullRequest, decodePullRequest, encodePullNotice, decodePullNotice } from "./pull-messages.ts";
export { encodePushMessage, decodePushMessage } from "./push-messages.ts";
export { MAX_ID_BYTES, MAX_SECRET_BYTES } from "./frame-reader.ts";
export { startedFrame, readStarted } from "./started-ids.ts";
export { AUTH_PROPERTY, MAX_AUTH_PROPERTY_BYTES, encodeHandshakeAuth, decodeHandshakeAuth } from "./handshake-auth.ts";
export { RUNTIMES_PROPERTY, encodeRuntimes, decodeRuntimes, type Runtime } from "./handshake-runtimes.ts";
