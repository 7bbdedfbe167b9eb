/** The handshake of one connection: greetings, the mechanism's commands up to the peer's READY, and its time limit (RFC 37 "Version Negotiation", "Authentication and Confidentiality"). */
import { AUTH_FAILURE, AUTH_INTERNAL_ERROR, type Authorize, type HandshakePeer, refusalReason } from "./authorize.ts";
import type { BatchedWriter } from "./batched-writer.ts";
import { type Command, encodeError, parseCommand } from "./command.ts";
import type { FrameCipher } from "./curve-cipher.ts";
import type { FrameDecoder } from "./frame-decoder.ts";
import { GREETING_SIZE, checkGreetingPrefix, encodeGreeting, parseGreeting } from "./greeting.ts";
import type { Mechanism } from "./mechanism.ts";
import type { Metadata } from "./metadata.ts";
import { type SocketType, isCompatible } from "./socket-type.ts";
import { ZmtpError, protocolError } from "./zmtp-error.ts";

/** Most octets a peer may make us buffer before its READY; also the largest handshake command frame. */
export const MAX_HANDSHAKE_BYTES = 64 * 1024;

/** Drives one connection from its greeting to the peer's READY; the connection keeps the state and reads the frames. */
export class Handshake {
  private timer: Timer | null = null;
  private refused = false;

  /**
   * Sends our greeting and starts the time limit.
   * @param writer - the connection's writer; handshake commands are flushed at once.
   * @param timeoutMs - ms after which `onTimeout` is called unless {@link finish} came first; 0 for no limit.
   */
  constructor(
    private readonly mechanism: Mechanism,
    private readonly writer: BatchedWriter,
    timeoutMs: number,
    onTimeout: () => void,
  ) {
    // RFC 37 "Version Negotiation": we send the whole greeting at once; any 3.x peer accepts that.
    writer.queue.appendRaw(encodeGreeting(mechanism.name, mechanism.asServer));
    writer.flush();
    if (timeoutMs > 0) {
      this.timer = setTimeout(onTimeout, timeoutMs);
      this.timer.unref();
    }
  }

  /**
   * Reads the peer's greeting once all 64 octets arrived; a non-ZMTP peer is refused at its first bad octet,
   * a peer using another security mechanism once its greeting is complete.
   * @returns the peer's ZMTP minor version (1 for 3.1 and later, 0 for 3.0), or null while the greeting is incomplete.
   */
  readGreeting(decoder: FrameDecoder): number | null {
    checkGreetingPrefix(decoder.peek(11));
    const raw = decoder.read(GREETING_SIZE);
    if (raw === null) return null;
    const greeting = parseGreeting(raw);
    if (greeting.mechanism !== this.mechanism.name) {
      throw protocolError(`security mechanism mismatch: peer uses ${greeting.mechanism}, we use ${this.mechanism.name}`);
    }
    // RFC 23/37: a 3.0 peer speaks the same framing but knows no PING/PONG.
    return greeting.major > 3 ? 1 : greeting.minor;
  }

  /** The security mechanism's name ("NULL", "CURVE"). */
  get mechanismName(): string {
    return this.mechanism.name;
  }

  /** The peer's long-term public key (Z85) the mechanism proved (CURVE server), else null. */
  get peerPublicKey(): string | null {
    return this.mechanism.peerPublicKey ?? null;
  }

  /** The mechanism's frame cipher for after the handshake (CURVE), or null (NULL: frames go as they are). */
  cipher(): FrameCipher | null {
    return this.mechanism.cipher?.() ?? null;
  }

  /** Sends the mechanism's opening commands (after the peer's greeting). */
  start(): void {
    for (const cmd of this.mechanism.start()) this.writer.queue.appendRaw(cmd);
    this.writer.flush();
  }

  /**
   * The next complete handshake command, or null until one has arrived. Before READY a peer may send
   * commands only, none over 64 KiB (the decoder's frame limit during the handshake refuses a bigger one at its header).
   */
  nextCommand(decoder: FrameDecoder): Command | null {
    const frame = decoder.next();
    if (frame === null) {
      // what follows a complete READY may be messages pipelined behind it; only an incomplete command counts here
      if (decoder.buffered > MAX_HANDSHAKE_BYTES + 9) throw protocolError("handshake command too large");
      return null;
    }
    if (!frame.command) throw protocolError("message frame received before the handshake completed");
    return parseCommand(frame.body);
  }

  /** Feeds a command to the mechanism and sends its replies; returns the peer's READY metadata once the handshake is done. */
  onCommand(command: Command): Metadata | undefined {
    const step = this.mechanism.onCommand(command);
    for (const cmd of step.reply) this.writer.queue.appendRaw(cmd);
    if (step.reply.length > 0) this.writer.flush();
    return step.peerMetadata;
  }

  /** Refuses a peer whose socket type cannot talk to ours (RFC 37 "Socket Semantics"): ERROR, then ESOCKTNOSUPPORT. */
  checkCompatible(ours: SocketType, theirs: string): void {
    if (isCompatible(ours, theirs)) return;
    this.refuse("Invalid socket type");
    throw new ZmtpError("ESOCKTNOSUPPORT", `peer socket type ${theirs} cannot talk to ${ours}`);
  }

  /**
   * Judges the peer with the socket's `authorize` hook (our extra): true or false is the verdict (authenticated or
   * not), a refusal sends ERROR with a ZAP status code (`400 reason`; `500` when the hook threw) and throws EACCES.
   * Then sends what the mechanism held back for the verdict (NULL: our READY).
   */
  authorize(hook: Authorize, peer: HandshakePeer): boolean {
    let verdict: boolean | string;
    try {
      verdict = hook(peer);
    } catch (err) {
      this.refuse(AUTH_INTERNAL_ERROR);
      throw new ZmtpError("EACCES", `authorize hook threw: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (typeof verdict === "string") {
      this.refuse(refusalReason(AUTH_FAILURE, verdict));
      throw new ZmtpError("EACCES", `peer not authorized: ${verdict}`);
    }
    const held = this.mechanism.accepted();
    for (const cmd of held) this.writer.queue.appendRaw(cmd);
    if (held.length > 0) this.writer.flush();
    return verdict;
  }

  /** Tells the peer why we drop it (RFC 37 ERROR command, reason up to 255 octets), once; only for a peer that has seen our greeting. */
  refuse(reason: string): void {
    if (this.refused) return;
    this.refused = true;
    this.writer.queue.appendRaw(encodeError(reason));
    this.writer.flush();
  }

  /** Stops the time limit (handshake complete or connection closed). */
  finish(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** The peer's socket type from its READY metadata; a READY without `Socket-Type` is a protocol error. */
export function readySocketType(meta: Metadata): string {
  const type = meta.get("socket-type");
  if (type === undefined) throw protocolError("READY without Socket-Type");
  return type.toString("latin1");
}

/** Longest routing id a peer may set (zmq_setsockopt ZMQ_ROUTING_ID: 1 to 255 octets). */
export const MAX_IDENTITY_SIZE = 255;

/**
 * A copy of the peer's `Identity` from its READY metadata, or null if absent or empty. As libzmq limits routing ids
 * (zmq_setsockopt ZMQ_ROUTING_ID), one longer than 255 octets or starting with 0x00 (reserved for ids a ROUTER
 * generates) is a protocol error.
 */
export function readyIdentity(meta: Metadata): Buffer | null {
  const identity = meta.get("identity");
  if (identity === undefined || identity.length === 0) return null;
  if (identity.length > MAX_IDENTITY_SIZE) throw protocolError(`peer Identity of ${identity.length} octets is longer than ${MAX_IDENTITY_SIZE}`);
  if (identity[0] === 0) throw protocolError("peer Identity starts with 0x00 (reserved for generated routing ids)");
  return Buffer.from(identity);
}
