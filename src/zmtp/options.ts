/** Socket options (names follow zeromq.js v6) with their defaults, and their resolution. */
import type { Authorize } from "./authorize.ts";
import { type CurveOptions, type CurveSettings, resolveCurveOptions } from "./curve-options.ts";

/**
 * Options accepted by every socket constructor. Times are in milliseconds. The CURVE options (`curveServer`,
 * `curvePublicKey`, `curveSecretKey`, `curveServerKey`; see {@link CurveOptions}) switch the socket from NULL to CURVE.
 */
export interface SocketOptions extends CurveOptions {
  /** Our routing id, sent as `Identity` in READY (REQ, DEALER, ROUTER). Default: none. */
  routingId?: string | Uint8Array;
  /** Per-peer limit of queued outgoing messages; `send()` waits while it is reached. 0 = unlimited. Default: 1000. */
  sendHighWaterMark?: number;
  /** Per-peer limit of received, not yet consumed messages; reading from that peer pauses. 0 = unlimited. Default: 1000. */
  receiveHighWaterMark?: number;
  /** How long `send()` may wait for a peer to become writable; -1 = forever. Default: -1. */
  sendTimeout?: number;
  /** How long `receive()` may wait for a message; -1 = forever. Default: -1. */
  receiveTimeout?: number;
  /** How long `close()` keeps flushing queued messages; -1 = until done, 0 = drop them. Default: 0 (as zeromq.js). */
  linger?: number;
  /** Largest inbound message; a bigger one drops that connection. -1 = unlimited. Default: -1. */
  maxMessageSize?: number;
  /** First reconnect delay after a failed or lost outgoing connection. Default: 100. */
  reconnectInterval?: number;
  /** Upper bound for the doubling reconnect delay; 0 = no backoff, always `reconnectInterval`. Default: 0. */
  reconnectMaxInterval?: number;
  /** Interval between PINGs (ZMTP 3.1 heartbeats); 0 = off. Default: 0. */
  heartbeatInterval?: number;
  /** Drop a peer that sends nothing for this long after our first unanswered PING (as libzmq). Default: `heartbeatInterval`. */
  heartbeatTimeout?: number;
  /** TTL we ask the peer to apply to us (sent in deciseconds). 0 = none. Default: 0. */
  heartbeatTimeToLive?: number;
  /** Time allowed for greeting + READY exchange; 0 = unlimited. Default: 30000 (as libzmq). */
  handshakeInterval?: number;
  /** Called with a human-readable line for dropped connections and other notable events. Default: none. */
  log?: (message: string) => void;
  /**
   * Our extra. Octets each received message frame costs against `maxMessageSize` besides its body, so a message of
   * millions of empty frames hits the limit too (e.g. 64). Default: 0 (only bodies count, as zeromq.js).
   */
  frameOverhead?: number;
  /** Our extra. Most frames one inbound message may have; a message with more drops that connection. 0 = unlimited. Default: 0. */
  maxFramesPerMessage?: number;
  /** Our extra. Most accepted (incoming) connections at a time; further ones are closed at accept. 0 = unlimited. Default: 0. */
  maxConnections?: number;
  /**
   * Our extra, ROUTER only. Until the application calls `router.authenticate(routingId)`, a connection may send at
   * most this many octets, from its first handshake command on: every frame costs its header, its body and 64
   * octets; a frame header announcing more than what is left closes the connection before its body is read.
   * 0 = no unauthenticated phase. Default: 0.
   */
  maxUnauthenticatedBytes?: number;
  /** Our extra, ROUTER only. A handshaken connection not authenticated within this many ms is dropped. 0 = no limit. Default: 0. */
  authenticationTimeout?: number;
  /**
   * Our extra, ROUTER only (like libzmq's ZAP handler): judges every peer when its READY arrives, from its handshake
   * metadata (see {@link Authorize}): `true` authenticates it at once, `false` leaves it to the unauthenticated phase,
   * a string refuses it (ERROR `400 reason`, close). On incoming connections our READY waits for the verdict.
   * Default: none (every peer starts unauthenticated when the phase is configured).
   */
  authorize?: Authorize;
  /**
   * Application metadata properties our READY carries besides `Socket-Type` and `Identity` (libzmq's ZMQ_METADATA):
   * names must start with `X-` (RFC 37), values of at most {@link MAX_METADATA_VALUE} octets. Default: none.
   */
  metadata?: Record<string, string | Uint8Array>;
}

/** Largest application metadata value we send, in octets (handshake commands are at most 64 KiB in all). */
export const MAX_METADATA_VALUE = 8192;

/** Options with every default filled in. */
export interface ResolvedOptions {
  routingId: Buffer | null;
  sendHighWaterMark: number;
  receiveHighWaterMark: number;
  sendTimeout: number;
  receiveTimeout: number;
  linger: number;
  maxMessageSize: number;
  reconnectInterval: number;
  reconnectMaxInterval: number;
  heartbeatInterval: number;
  heartbeatTimeout: number;
  heartbeatTimeToLive: number;
  handshakeInterval: number;
  log: ((message: string) => void) | null;
  frameOverhead: number;
  maxFramesPerMessage: number;
  maxConnections: number;
  maxUnauthenticatedBytes: number;
  authenticationTimeout: number;
  authorize: Authorize | null;
  metadata: Array<readonly [string, Buffer]>;
  /** CURVE keys and role; null for the NULL mechanism. */
  curve: CurveSettings | null;
}

function intOption(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new TypeError(`option ${name} must be an integer >= ${min}, got ${value}`);
  return value;
}

/** Fills in defaults and validates. Throws TypeError on a bad value. */
export function resolveOptions(o: SocketOptions): ResolvedOptions {
  let routingId: Buffer | null = null;
  if (o.routingId !== undefined) {
    routingId = typeof o.routingId === "string" ? Buffer.from(o.routingId) : Buffer.from(o.routingId);
    if (routingId.length === 0 || routingId.length > 255) throw new TypeError("option routingId must be 1..255 octets");
  }
  const heartbeatInterval = intOption("heartbeatInterval", o.heartbeatInterval, 0, 0);
  return {
    routingId,
    sendHighWaterMark: intOption("sendHighWaterMark", o.sendHighWaterMark, 1000, 0),
    receiveHighWaterMark: intOption("receiveHighWaterMark", o.receiveHighWaterMark, 1000, 0),
    sendTimeout: intOption("sendTimeout", o.sendTimeout, -1, -1),
    receiveTimeout: intOption("receiveTimeout", o.receiveTimeout, -1, -1),
    linger: intOption("linger", o.linger, 0, -1),
    maxMessageSize: intOption("maxMessageSize", o.maxMessageSize, -1, -1),
    reconnectInterval: intOption("reconnectInterval", o.reconnectInterval, 100, 1),
    reconnectMaxInterval: intOption("reconnectMaxInterval", o.reconnectMaxInterval, 0, 0),
    heartbeatInterval,
    heartbeatTimeout: intOption("heartbeatTimeout", o.heartbeatTimeout, heartbeatInterval, 1 > heartbeatInterval ? 0 : 1),
    heartbeatTimeToLive: intOption("heartbeatTimeToLive", o.heartbeatTimeToLive, 0, 0),
    handshakeInterval: intOption("handshakeInterval", o.handshakeInterval, 30000, 0),
    log: o.log ?? null,
    frameOverhead: intOption("frameOverhead", o.frameOverhead, 0, 0),
    maxFramesPerMessage: intOption("maxFramesPerMessage", o.maxFramesPerMessage, 0, 0),
    maxConnections: intOption("maxConnections", o.maxConnections, 0, 0),
    maxUnauthenticatedBytes: intOption("maxUnauthenticatedBytes", o.maxUnauthenticatedBytes, 0, 0),
    authenticationTimeout: intOption("authenticationTimeout", o.authenticationTimeout, 0, 0),
    authorize: o.authorize ?? null,
    metadata: metadataOption(o.metadata),
    curve: resolveCurveOptions(o),
  };
}

/** The `metadata` option as properties; throws TypeError for a name without `X-` or of bad characters, or a value too long. */
function metadataOption(m: Record<string, string | Uint8Array> | undefined): Array<readonly [string, Buffer]> {
  if (m === undefined) return [];
  return Object.entries(m).map(([name, value]) => {
    if (!/^X-[A-Za-z0-9\-_.+]{1,253}$/i.test(name)) throw new TypeError(`option metadata: property name ${JSON.stringify(name)} must be X- and name characters (RFC 37)`);
    const v = typeof value === "string" ? Buffer.from(value, "utf8") : Buffer.from(value);
    if (v.length > MAX_METADATA_VALUE) throw new TypeError(`option metadata: value of ${name} is longer than ${MAX_METADATA_VALUE} octets`);
    return [name, v] as const;
  });
}
