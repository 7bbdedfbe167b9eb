/** The sealed pool ↔ executor-process channel: every message encrypted and authenticated, so code that reaches the descriptor can neither read, forge nor replay one. */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

// AES-256-GCM (node:crypto), one key per direction, a 96-bit nonce holding a per-direction message counter
// (NIST SP 800-38D §8.2.1, deterministic construction). The counter is not sent: messages travel in order over
// one stream socket, so the receiver expects exactly the next number. A message that was altered, dropped,
// replayed or reordered, or bytes written between two messages, fail authentication: `open` returns null and the
// channel is closed for good (every later message fails too), since its stream can no longer be trusted.

const ALGORITHM = "aes-256-gcm";
const TAG_BYTES = 16;

/** The keys an executor process is given first, in the clear, before any user code exists in it (base64). */
export interface ChannelKeys {
  /** The key of what this side sends. */
  send: string;
  /** The key of what this side receives. */
  receive: string;
}

/** One side of a sealed channel. Messages are JSON values; sealed, each is a base64 string. */
export class SealedChannel {
  readonly #sendKey: Buffer;
  readonly #receiveKey: Buffer;
  #sent = 0;
  #received = 0;
  #broken = false;
  /** The nonce buffer of each direction, rewritten per message (the cipher copies it). */
  readonly #sendNonce = Buffer.alloc(12);
  readonly #receiveNonce = Buffer.alloc(12);

  private constructor(sendKey: Buffer, receiveKey: Buffer) {
    this.#sendKey = sendKey;
    this.#receiveKey = receiveKey;
  }

  /** A new channel for the pool side, and the keys to hand the executor (its send key is our receive key). */
  static create(): { channel: SealedChannel; peerKeys: ChannelKeys } {
    const down = randomBytes(32);
    const up = randomBytes(32);
    return { channel: new SealedChannel(down, up), peerKeys: { send: up.toString("base64"), receive: down.toString("base64") } };
  }

  /** The executor side, from the keys its pool sent; null when `keys` is not a pair of 32-byte keys. */
  static fromKeys(keys: unknown): SealedChannel | null {
    if (typeof keys !== "object" || keys === null) return null;
    const { send, receive } = keys as Partial<ChannelKeys>;
    if (typeof send !== "string" || typeof receive !== "string") return null;
    const sendKey = Buffer.from(send, "base64");
    const receiveKey = Buffer.from(receive, "base64");
    if (sendKey.length !== 32 || receiveKey.length !== 32) return null;
    return new SealedChannel(sendKey, receiveKey);
  }

  /** Whether a message failed to open: nothing more is accepted. */
  get broken(): boolean {
    return this.#broken;
  }

  /** Seal `message` (a JSON value) as the next message of this direction. */
  seal(message: unknown): string {
    const cipher = createCipheriv(ALGORITHM, this.#sendKey, nonce(this.#sendNonce, this.#sent++));
    const body = cipher.update(JSON.stringify(message), "utf8");
    return Buffer.concat([body, cipher.final(), cipher.getAuthTag()]).toString("base64");
  }

  /** Seal the messages of one turn as one message: the message itself when alone, else `{ kind: "batch", messages }`. */
  sealAll(messages: readonly unknown[]): string {
    return this.seal(messages.length === 1 ? messages[0] : { kind: "batch", messages });
  }

  /** Open what {@link sealAll} sealed: its messages, in order; null as {@link open}. */
  openAll(sealed: unknown): unknown[] | null {
    const message = this.open(sealed);
    if (message === null) return null;
    const batch = (message as { kind?: unknown }).kind === "batch" ? (message as { messages?: unknown }).messages : undefined;
    return Array.isArray(batch) ? batch : [message];
  }

  /** Open the next message; null (and broken from now on) when it is not exactly the next one sealed for us. */
  open(sealed: unknown): unknown {
    if (this.#broken) return null;
    try {
      if (typeof sealed !== "string") throw new TypeError("not a sealed message");
      const bytes = Buffer.from(sealed, "base64");
      if (bytes.length < TAG_BYTES) throw new TypeError("too short");
      const decipher = createDecipheriv(ALGORITHM, this.#receiveKey, nonce(this.#receiveNonce, this.#received));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      const text = Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)), decipher.final()]).toString("utf8");
      this.#received++;
      return JSON.parse(text) as unknown;
    } catch {
      this.#broken = true;
      return null;
    }
  }
}

/** `iv` (12 bytes, the first six always zero) as the GCM nonce of message number `n`: `n` big-endian in the last six (48 bits are plenty). */
function nonce(iv: Buffer, n: number): Buffer {
  iv.writeUIntBE(n, 6, 6);
  return iv;
}
