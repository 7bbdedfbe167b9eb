/** One ZMTP connection over a byte stream: greeting, mechanism handshake, framing, heartbeats and batched writes (RFC 37). */
import { decodePing, encodeError, encodePing, encodePong, parseCommand } from "./command.ts";
import { FrameDecoder } from "./frame-decoder.ts";
import { FLAG_MORE } from "./frame.ts";
import { GREETING_SIZE, checkGreetingPrefix, encodeGreeting, parseGreeting } from "./greeting.ts";
import type { Mechanism } from "./mechanism.ts";
import type { Metadata } from "./metadata.ts";
import { Heartbeat } from "./heartbeat.ts";
import type { OutFrame } from "./message.ts";
import { OutboundQueue } from "./outbound-queue.ts";
import { type SocketType, isCompatible } from "./socket-type.ts";
import type { Stream, StreamHandler } from "./transport.ts";
import { ZmtpError, protocolError } from "./zmtp-error.ts";

/** Per-connection settings, resolved from the socket options. */
export interface ConnectionSettings {
  /** Our socket type (for the compatibility check). */
  socketType: SocketType;
  /** Largest inbound message in octets; -1 for no limit. */
  maxMessageSize: number;
  /** Milliseconds between our PINGs; 0 disables heartbeats. */
  heartbeatInterval: number;
  /** Milliseconds without any traffic after a PING before we drop the peer. */
  heartbeatTimeout: number;
  /** TTL in milliseconds we ask the peer to apply (sent in deciseconds); 0 for none. */
  heartbeatTimeToLive: number;
  /** Milliseconds allowed for greeting + handshake; 0 for no limit. */
  handshakeTimeout: number;
}

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

type State = "greeting" | "handshake" | "ready" | "closed";

const EAGER_FLUSH = 256 * 1024; // flush at once when this much is queued
const MAX_HANDSHAKE_BYTES = 64 * 1024; // a peer may not buffer more than this before READY
const MAX_BUFFER = 2 ** 32;

let nextConnectionId = 1;

/** A ZMTP connection. Created by the socket core for every accepted or dialled stream. */
export class Connection implements StreamHandler {
  /** Process-unique connection number. */
  readonly id = nextConnectionId++;
  /** Peer socket type from READY (after the handshake). */
  peerSocketType = "";
  /** Peer `Identity` property from READY, or null if absent/empty. */
  peerIdentity: Buffer | null = null;
  /** All READY properties of the peer (lower-cased names). */
  peerMetadata: Metadata = new Map();
  /** Peer ZMTP minor version (1 for 3.1, 0 for 3.0). */
  peerMinor = 0;
  /** Routing id assigned by a ROUTER socket. */
  routingId: Buffer | null = null;
  /** Messages queued and not yet fully handed to the OS. */
  get queuedMessages(): number {
    return this.out.messages;
  }
  /** Received messages from this peer not yet consumed by the socket user. */
  queuedInbound = 0;
  /** Traffic counters (messages, heartbeats) since the connection opened. */
  readonly stats = { messagesIn: 0, messagesOut: 0, pingsSent: 0, pingsReceived: 0, pongsReceived: 0 };
  /** Set by the owner when a sender waits for this connection to drain. */
  wantWritable = false;

  private state: State = "greeting";
  private readonly decoder: FrameDecoder;
  private parts: Buffer[] = [];
  private partsSize = 0;
  private readonly out = new OutboundQueue();
  private blocked = false;
  private flushScheduled = false;
  private lastReceived = performance.now();
  private handshakeTimer: Timer | null = null;
  private readonly heartbeat: Heartbeat;
  private lingerTimer: Timer | null = null;
  private closeWhenFlushed = false;
  private readonly flushNow = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  constructor(
    /** The underlying byte stream. */
    readonly stream: Stream,
    /** Endpoint this connection was dialled to or accepted on. */
    readonly endpoint: string,
    private readonly settings: ConnectionSettings,
    private readonly mechanism: Mechanism,
    private readonly hooks: ConnectionHooks,
  ) {
    this.heartbeat = new Heartbeat(
      {
        sendPing: () => {
          this.appendRaw(encodePing(settings.heartbeatTimeToLive / 100));
          this.stats.pingsSent++;
          this.flush();
        },
        lastReceived: () => this.lastReceived,
        expire: (reason) => this.fail(protocolError(reason)),
      },
      settings.heartbeatInterval,
      settings.heartbeatTimeout,
    );
    const max = settings.maxMessageSize >= 0 ? settings.maxMessageSize : MAX_BUFFER;
    this.decoder = new FrameDecoder(max);
    // RFC 37 "Version Negotiation": we send the whole greeting at once; any 3.x peer accepts that.
    this.appendRaw(encodeGreeting(mechanism.name, mechanism.asServer));
    this.flush();
    if (settings.handshakeTimeout > 0) {
      this.handshakeTimer = setTimeout(() => this.fail(protocolError("handshake timed out")), settings.handshakeTimeout);
      this.handshakeTimer.unref();
    }
  }

  /** True once READY was exchanged and until the connection closes. */
  get ready(): boolean {
    return this.state === "ready";
  }

  /** True after close. */
  get closed(): boolean {
    return this.state === "closed";
  }

  /** Peer address, e.g. `tcp://127.0.0.1:51234`. */
  get remoteAddress(): string {
    return this.stream.remoteAddress;
  }

  /** Queues a multipart message; the write happens in a batch at the end of the tick. */
  sendMessage(frames: readonly OutFrame[]): void {
    if (this.state !== "ready") return;
    const last = frames.length - 1;
    for (let i = 0; i <= last; i++) {
      this.out.appendFrame(i < last ? FLAG_MORE : 0, frames[i] as OutFrame);
    }
    this.out.messages++;
    this.stats.messagesOut++;
    this.scheduleFlush();
  }

  /** Stops reading from the peer (receive high-water mark reached). */
  pause(): void {
    if (this.state !== "closed") this.stream.pause();
  }

  /** Resumes reading from the peer. */
  resume(): void {
    if (this.state !== "closed") this.stream.resume();
  }

  /** Closes after queued output is written or `lingerMs` elapsed (0: at once, -1: no limit). */
  closeGracefully(lingerMs: number, reason: string): void {
    if (this.state === "closed") return;
    this.flush();
    if (this.out.bytes === 0 || lingerMs === 0) return this.close(reason, null);
    this.closeWhenFlushed = true;
    this.lingerReason = reason;
    if (lingerMs > 0) {
      this.lingerTimer = setTimeout(() => this.close(`${reason} (linger expired)`, null), lingerMs);
    }
  }
  private lingerReason = "";

  /** Closes the connection now; queued output is dropped. */
  close(reason: string, error: ZmtpError | null): void {
    if (this.state === "closed") return;
    this.state = "closed";
    for (const t of [this.handshakeTimer, this.lingerTimer]) if (t !== null) clearTimeout(t);
    this.heartbeat.stop();
    this.out.clear();
    this.parts = [];
    this.stream.close();
    this.hooks.onClose(this, reason, error);
  }

  // ---- StreamHandler -------------------------------------------------------------------

  onData(chunk: Buffer): void {
    if (this.state === "closed") return;
    this.lastReceived = performance.now();
    this.decoder.push(chunk);
    try {
      this.process();
    } catch (err) {
      this.fail(err);
    }
  }

  onDrain(): void {
    this.blocked = false;
    this.flush();
  }

  onClose(error?: Error): void {
    this.close(error ? `connection error: ${error.message}` : "peer closed the connection", null);
  }

  // ---- inbound -------------------------------------------------------------------------

  private process(): void {
    if (this.state === "greeting") {
      checkGreetingPrefix(this.decoder.peek(11));
      const raw = this.decoder.read(GREETING_SIZE);
      if (raw === null) return;
      const greeting = parseGreeting(raw);
      if (greeting.mechanism !== this.mechanism.name) {
        throw protocolError(`security mechanism mismatch: peer uses ${greeting.mechanism}, we use ${this.mechanism.name}`);
      }
      // RFC 23/37: a 3.0 peer speaks the same framing but knows no PING/PONG.
      this.peerMinor = greeting.major > 3 ? 1 : greeting.minor;
      this.state = "handshake";
      for (const cmd of this.mechanism.start()) this.appendRaw(cmd);
      this.flush();
    }
    while (this.state === "handshake") {
      if (this.decoder.buffered > MAX_HANDSHAKE_BYTES) throw protocolError("handshake command too large");
      const frame = this.decoder.next();
      if (frame === null) return;
      if (!frame.command) throw protocolError("message frame received before the handshake completed");
      const step = this.mechanism.onCommand(parseCommand(frame.body));
      for (const cmd of step.reply) this.appendRaw(cmd);
      if (step.reply.length > 0) this.flush();
      if (step.peerMetadata) this.completeHandshake(step.peerMetadata);
    }
    while (this.state === "ready") {
      const frame = this.decoder.next();
      if (frame === null) return;
      if (frame.command) {
        if (this.parts.length > 0) throw protocolError("command frame inside a multipart message");
        this.onCommand(frame.body);
        continue;
      }
      this.partsSize += frame.body.length;
      if (this.settings.maxMessageSize >= 0 && this.partsSize > this.settings.maxMessageSize) {
        throw new ZmtpError("EMSGSIZE", `message exceeds maxMessageSize (${this.settings.maxMessageSize} octets)`);
      }
      this.parts.push(frame.body);
      if (!frame.more) {
        const frames = this.parts;
        this.parts = [];
        this.partsSize = 0;
        this.stats.messagesIn++;
        this.hooks.onMessage(this, frames);
      }
    }
  }

  private completeHandshake(meta: Metadata): void {
    const type = meta.get("socket-type");
    if (type === undefined) throw protocolError("READY without Socket-Type");
    this.peerSocketType = type.toString("latin1");
    if (!isCompatible(this.settings.socketType, this.peerSocketType)) {
      this.appendRaw(encodeError("Invalid socket type"));
      this.flush();
      throw new ZmtpError("ESOCKTNOSUPPORT", `peer socket type ${this.peerSocketType} cannot talk to ${this.settings.socketType}`);
    }
    const identity = meta.get("identity");
    this.peerIdentity = identity !== undefined && identity.length > 0 ? Buffer.from(identity) : null;
    this.peerMetadata = meta;
    this.state = "ready";
    if (this.handshakeTimer !== null) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
    const refusal = this.hooks.onHandshake(this);
    if (refusal !== null) {
      this.close(refusal, null);
      return;
    }
    if (this.peerMinor >= 1) this.heartbeat.start(); // ZMTP 3.0 peers know no PING
  }

  private onCommand(body: Buffer): void {
    const cmd = parseCommand(body);
    switch (cmd.name) {
      case "PING": {
        // RFC 37 "Connection Heartbeating": answer with PONG echoing the context; honour the TTL.
        const ping = decodePing(cmd.data);
        this.stats.pingsReceived++;
        this.appendRaw(encodePong(ping.context));
        this.scheduleFlush();
        if (ping.ttlDeciseconds > 0) this.heartbeat.peerTtl(ping.ttlDeciseconds * 100);
        return;
      }
      case "PONG":
        this.stats.pongsReceived++;
        return; // any traffic counts as liveness; lastReceived is already updated
      case "ERROR":
        throw protocolError(`peer sent ERROR: ${cmd.data.toString("latin1", 1, 1 + (cmd.data[0] ?? 0))}`);
      default:
        return; // RFC 37: unknown commands (e.g. SUBSCRIBE sent to a non-SUB socket) are ignored
    }
  }

  private fail(err: unknown): void {
    const error = err instanceof ZmtpError ? err : new ZmtpError("EPROTO", err instanceof Error ? err.message : String(err));
    if (this.state === "greeting" || this.state === "handshake") {
      // Best effort: tell the peer why (RFC 37 ERROR command); only if it has seen our greeting.
      if (this.state === "handshake") {
        this.appendRaw(encodeError(error.message.slice(0, 255)));
        this.flush();
      }
    }
    this.close(error.message, error);
  }

  // ---- outbound ------------------------------------------------------------------------

  private appendRaw(bytes: Uint8Array): void {
    this.out.appendRaw(bytes);
  }

  private scheduleFlush(): void {
    if (this.out.bytes >= EAGER_FLUSH) return this.flush();
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flushNow);
  }

  private flush(): void {
    if (this.blocked || this.state === "closed") return;
    if (!this.out.writeTo(this.stream)) {
      this.blocked = true;
      return;
    }
    if (this.closeWhenFlushed) return this.close(this.lingerReason, null);
    if (this.wantWritable) {
      this.wantWritable = false;
      this.hooks.onWritable(this);
    }
  }
}
