/** CURVE frame encryption after the handshake: every frame becomes a MESSAGE box under the short-term keys, nonces from a strictly increasing counter per direction (RFC 26 "The MESSAGE Command"). */
import { type CurveBox, MAC_SIZE, NONCE_SIZE } from "./curve-box.ts";
import { BOX_FLAG_COMMAND, BOX_FLAG_MORE, MESSAGE_NAME, NONCE_PREFIX, decodeMessage, readCounter, writeCounter } from "./curve-codec.ts";
import { FLAG_COMMAND, FLAG_MORE } from "./frame.ts";
import type { Frame } from "./frame-decoder.ts";
import { protocolError } from "./zmtp-error.ts";

/**
 * The seam a security mechanism offers for frames after its handshake (NULL has none, so a NULL connection pays one
 * null check per frame): `seal` turns a frame into what goes on the wire, `open` turns a wire frame back.
 */
export interface FrameCipher {
  /** Octets a sealed frame body is longer than the plaintext body (the decoder's frame limits grow by this). */
  readonly overhead: number;
  /** The wire body of a frame with ZMTP flags `flags` (MORE, COMMAND), to send as a plain frame (flags 0). */
  seal(flags: number, body: Uint8Array | string): Buffer;
  /** The frame a received wire frame carries; throws EPROTO for anything but an authentic MESSAGE with a fresh nonce. */
  open(frame: Frame): Frame;
}

/** Octets of a MESSAGE body besides the plaintext: name (8), short nonce (8), MAC (16), flags (1). */
export const MESSAGE_OVERHEAD = MESSAGE_NAME.length + 8 + MAC_SIZE + 1;

/** CURVE's {@link FrameCipher}: one precomputed key for both directions, a nonce prefix and counter for each. */
export class CurveCipher implements FrameCipher {
  readonly overhead = MESSAGE_OVERHEAD;
  private readonly sendNonce = Buffer.allocUnsafe(NONCE_SIZE);
  private readonly recvNonce = Buffer.allocUnsafe(NONCE_SIZE);

  /**
   * @param box - the primitives.
   * @param key - crypto_box_beforenm of the peer's short-term public key and our short-term secret key.
   * @param client - true on the client side: we send with "CurveZMQMESSAGEC" and receive "CurveZMQMESSAGES".
   * @param sent - the last counter we used in the handshake (client: INITIATE's, server: READY's); ours go on from it.
   * @param received - the last counter the peer used in the handshake; its MESSAGE counters must be higher, each above the last.
   */
  constructor(
    private readonly box: CurveBox,
    private readonly key: Uint8Array,
    client: boolean,
    private sent: number,
    private received: number,
  ) {
    (client ? NONCE_PREFIX.messageClient : NONCE_PREFIX.messageServer).copy(this.sendNonce, 0);
    (client ? NONCE_PREFIX.messageServer : NONCE_PREFIX.messageClient).copy(this.recvNonce, 0);
  }

  seal(flags: number, body: Uint8Array | string): Buffer {
    const size = typeof body === "string" ? Buffer.byteLength(body, "utf8") : body.length;
    const plain = Buffer.allocUnsafe(1 + size);
    plain[0] = ((flags & FLAG_MORE) !== 0 ? BOX_FLAG_MORE : 0) | ((flags & FLAG_COMMAND) !== 0 ? BOX_FLAG_COMMAND : 0);
    if (typeof body === "string") plain.write(body, 1, "utf8");
    else plain.set(body, 1);
    this.sent++; // never reused: the counter only goes up, and a connection never outlives 2^53 frames
    writeCounter(this.sendNonce, 16, this.sent);
    const sealed = this.box.seal(plain, this.sendNonce, this.key);
    const out = Buffer.allocUnsafe(16 + sealed.length);
    MESSAGE_NAME.copy(out, 0);
    this.sendNonce.copy(out, 8, 16, 24);
    out.set(sealed, 16);
    return out;
  }

  open(frame: Frame): Frame {
    const msg = decodeMessage(frame.body);
    const counter = readCounter(msg.nonce, 0);
    if (counter <= this.received) throw protocolError("CURVE MESSAGE nonce is not above the last one (replayed or reordered)");
    msg.nonce.copy(this.recvNonce, 16);
    const plain = this.box.open(msg.box, this.recvNonce, this.key);
    if (plain === null) throw protocolError("CURVE MESSAGE does not authenticate");
    const flags = plain[0] as number;
    if ((flags & ~(BOX_FLAG_MORE | BOX_FLAG_COMMAND)) !== 0) throw protocolError(`bad CURVE MESSAGE: reserved flag bits set (0x${flags.toString(16)})`);
    if ((flags & BOX_FLAG_MORE) !== 0 && (flags & BOX_FLAG_COMMAND) !== 0) throw protocolError("bad CURVE MESSAGE: command with MORE");
    this.received = counter; // only an authentic box moves the window
    return { more: (flags & BOX_FLAG_MORE) !== 0, command: (flags & BOX_FLAG_COMMAND) !== 0, body: plain.subarray(1) };
  }
}
