/** One ZMTP connection over a byte stream: its states from greeting to close, messages framed in and out, commands after READY (RFC 37). */
import { AuthenticationGate } from "./authentication-gate.ts";
import { BatchedWriter } from "./batched-writer.ts";
import { parseCommand } from "./command.ts";
import type { ConnectionHooks } from "./connection-hooks.ts";
import type { ConnectionSettings } from "./connection-settings.ts";
import type { FrameCipher } from "./curve-cipher.ts";
import { FrameDecoder } from "./frame-decoder.ts";
import { FLAG_MORE } from "./frame.ts";
import { Handshake, MAX_HANDSHAKE_BYTES, readyIdentity, readySocketType } from "./handshake.ts";
import { Heartbeat } from "./heartbeat.ts";
import type { Mechanism } from "./mechanism.ts";
import type { Metadata } from "./metadata.ts";
import type { OutFrame } from "./message.ts";
import type { OutboundQueue } from "./outbound-queue.ts";
import type { Stream, StreamHandler } from "./transport.ts";
import { ZmtpError, protocolError } from "./zmtp-error.ts";

type State = "greeting" | "handshake" | "ready" | "closed";

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
  private readonly writer: BatchedWriter;
  private readonly out: OutboundQueue; // the writer's queue
  private lastReceived = performance.now();
  private readonly handshake: Handshake;
  private readonly heartbeat: Heartbeat;
  private maxFrameSize: number; // the decoder's limit at the start of a message
  private cipher: FrameCipher | null = null; // seals and opens frames after the handshake (CURVE); null for NULL
  private gate: AuthenticationGate | null = null; // until the application authenticates the peer

  constructor(
    /** The underlying byte stream. */
    readonly stream: Stream,
    /** Endpoint this connection was dialled to or accepted on. */
    readonly endpoint: string,
    private readonly settings: ConnectionSettings,
    mechanism: Mechanism,
    private readonly hooks: ConnectionHooks,
  ) {
    this.writer = new BatchedWriter(stream, () => this.onWritable());
    this.out = this.writer.queue;
    const heartbeatHost = { lastReceived: () => this.lastReceived, expire: (reason: string) => this.fail(protocolError(reason)) };
    this.heartbeat = new Heartbeat(heartbeatHost, this.writer, settings, this.stats);
    // a frame costs its body plus frameOverhead against maxMessageSize, so no single frame may exceed what that leaves
    this.maxFrameSize = settings.maxMessageSize >= 0 ? Math.max(0, settings.maxMessageSize - settings.frameOverhead) : MAX_BUFFER;
    this.decoder = new FrameDecoder(MAX_HANDSHAKE_BYTES); // handshake commands; maxMessageSize applies from READY on
    if (settings.maxUnauthenticatedBytes > 0 || settings.authenticationTimeout > 0) {
      this.gate = new AuthenticationGate(settings.maxUnauthenticatedBytes, settings.authenticationTimeout, (e) => this.fail(e));
      if (settings.maxUnauthenticatedBytes > 0) this.decoder.allowance = this.gate;
    }
    this.handshake = new Handshake(mechanism, this.writer, settings.handshakeTimeout, () => this.fail(protocolError("handshake timed out")));
  }

  /** True once READY was exchanged and until the connection closes. */
  get ready(): boolean {
    return this.state === "ready";
  }

  /** False while the socket's authentication options hold this peer to its budget and time limit; true otherwise. */
  get authenticated(): boolean {
    return this.gate === null;
  }

  /** Octets the peer may still send before it is authenticated (Infinity once authenticated or without a budget). */
  get unauthenticatedBytesLeft(): number {
    return this.gate === null || this.settings.maxUnauthenticatedBytes === 0 ? Number.POSITIVE_INFINITY : this.gate.left;
  }

  /** Ends the unauthenticated phase: no more budget, no time limit. */
  authenticate(): void {
    this.gate?.stop();
    this.gate = null;
    this.decoder.allowance = null;
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
    const cipher = this.cipher;
    for (let i = 0; i <= last; i++) {
      if (cipher === null) this.out.appendFrame(i < last ? FLAG_MORE : 0, frames[i] as OutFrame);
      else this.out.appendFrame(0, cipher.seal(i < last ? FLAG_MORE : 0, frames[i] as OutFrame)); // RFC 26 MESSAGE
    }
    this.out.messages++;
    this.stats.messagesOut++;
    this.writer.schedule();
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
    this.writer.linger(lingerMs, () => this.close(reason, null), () => this.close(`${reason} (linger expired)`, null));
  }

  /** Closes the connection now; queued output is dropped. */
  close(reason: string, error: ZmtpError | null): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.handshake.finish();
    this.heartbeat.stop();
    this.gate?.stop();
    this.writer.stop();
    this.parts = [];
    this.stream.close();
    this.hooks.onClose(this, reason, error);
  }

  // ---- StreamHandler -------------------------------------------------------------------

  onData(chunk: Buffer): void {
    if (this.state === "closed") return;
    this.lastReceived = performance.now();
    this.heartbeat.received();
    this.decoder.push(chunk);
    try {
      this.process();
    } catch (err) {
      this.fail(err);
    }
  }

  onDrain(): void {
    this.writer.drained();
  }

  onClose(error?: Error): void {
    this.close(error ? `connection error: ${error.message}` : "peer closed the connection", null);
  }

  // ---- inbound -------------------------------------------------------------------------

  private process(): void {
    if (this.state === "greeting") {
      const minor = this.handshake.readGreeting(this.decoder);
      if (minor === null) return;
      this.peerMinor = minor;
      this.state = "handshake";
      this.handshake.start();
    }
    while (this.state === "handshake") {
      const command = this.handshake.nextCommand(this.decoder);
      if (command === null) return;
      const peerMetadata = this.handshake.onCommand(command);
      if (peerMetadata) this.completeHandshake(peerMetadata);
    }
    while (this.state === "ready") {
      let frame = this.decoder.next();
      if (frame === null) return;
      if (this.cipher !== null) frame = this.cipher.open(frame);
      if (frame.command) {
        if (this.parts.length > 0) throw protocolError("command frame inside a multipart message");
        this.onCommand(frame.body);
        continue;
      }
      const maxFrames = this.settings.maxFramesPerMessage;
      if (maxFrames > 0 && this.parts.length >= maxFrames) {
        throw new ZmtpError("EMSGSIZE", `message has more than maxFramesPerMessage (${maxFrames}) frames`);
      }
      const maxSize = this.settings.maxMessageSize;
      this.partsSize += frame.body.length + this.settings.frameOverhead;
      if (maxSize >= 0 && this.partsSize > maxSize) {
        throw new ZmtpError("EMSGSIZE", `message exceeds maxMessageSize (${maxSize} octets)`);
      }
      this.parts.push(frame.body);
      if (!frame.more) {
        const frames = this.parts;
        this.parts = [];
        this.partsSize = 0;
        this.decoder.maxFrameSize = this.maxFrameSize;
        this.stats.messagesIn++;
        this.hooks.onMessage(this, frames);
      } else if (maxSize >= 0) {
        // the next frame's header is refused at once if its body cannot fit in what is left of the message's limit
        this.decoder.maxFrameSize = Math.max(0, maxSize - this.partsSize - this.settings.frameOverhead) + (this.cipher?.overhead ?? 0);
      }
    }
  }

  private completeHandshake(meta: Metadata): void {
    this.peerSocketType = readySocketType(meta);
    this.handshake.checkCompatible(this.settings.socketType, this.peerSocketType);
    this.peerIdentity = readyIdentity(meta);
    this.peerMetadata = meta;
    const hook = this.settings.authorize;
    if (hook !== null) {
      const peer = { address: this.remoteAddress, mechanism: this.handshake.mechanismName, socketType: this.peerSocketType, identity: this.peerIdentity, metadata: meta, publicKey: this.handshake.peerPublicKey };
      if (this.handshake.authorize(hook, peer)) this.authenticate();
    }
    this.cipher = this.handshake.cipher();
    if (this.cipher !== null) {
      this.maxFrameSize += this.cipher.overhead; // limits are on plaintext; a sealed frame is this much longer
      this.heartbeat.cipher = this.cipher;
    }
    this.state = "ready";
    this.decoder.maxFrameSize = this.maxFrameSize;
    this.handshake.finish();
    const refusal = this.hooks.onHandshake(this);
    if (refusal !== null) {
      this.close(refusal, null);
      return;
    }
    this.gate?.startTimer();
    if (this.peerMinor >= 1) this.heartbeat.start(); // ZMTP 3.0 peers know no PING
  }

  private onCommand(body: Buffer): void {
    const cmd = parseCommand(body);
    switch (cmd.name) {
      case "PING":
        return this.heartbeat.onPing(cmd.data); // RFC 37 "Connection Heartbeating"
      case "PONG":
        return this.heartbeat.onPong(); // any traffic counts as liveness; lastReceived is already updated
      case "ERROR":
        throw protocolError(`peer sent ERROR: ${cmd.data.toString("latin1", 1, 1 + (cmd.data[0] ?? 0))}`);
      default:
        return; // RFC 37: unknown commands (e.g. SUBSCRIBE sent to a non-SUB socket) are ignored
    }
  }

  private fail(err: unknown): void {
    const error = err instanceof ZmtpError ? err : new ZmtpError("EPROTO", err instanceof Error ? err.message : String(err));
    // Best effort: tell the peer why (RFC 37 ERROR command); only if it has seen our greeting.
    if (this.state === "handshake") this.handshake.refuse(error.message.slice(0, 255));
    this.close(error.message, error);
  }

  // ---- outbound ------------------------------------------------------------------------

  /** The queue emptied: tell the socket if a sender waits for this connection. */
  private onWritable(): void {
    if (this.wantWritable) {
      this.wantWritable = false;
      this.hooks.onWritable(this);
    }
  }
}
