/** Incremental ZMTP frame parser over a list of received chunks (RFC 37 section "Framing"); never concatenates the stream. */
import { FLAG_COMMAND, FLAG_LONG, FLAG_MORE, FLAG_RESERVED } from "./frame.ts";
import { ZmtpError, protocolError } from "./zmtp-error.ts";

/** One decoded frame. */
export interface Frame {
  /** MORE flag: another frame of the same message follows. */
  more: boolean;
  /** COMMAND flag: this is a command frame (READY, PING, ...). */
  command: boolean;
  /** The frame body; may share memory with the received chunk. */
  body: Buffer;
}

/** Largest frame size we can hold in one Buffer. */
const MAX_BUFFER = 2 ** 32;

/**
 * A limit on the frames a decoder may still hand out, consulted as soon as a frame's header is complete (before its
 * body is read), e.g. the budget of a peer not yet authenticated.
 */
export interface FrameAllowance {
  /** Throws if a frame of `headerSize` + `bodySize` octets may not be received; asked again while its body is incomplete. */
  check(headerSize: number, bodySize: number): void;
  /** That frame was handed out. */
  charge(headerSize: number, bodySize: number): void;
}

/**
 * Buffers received chunks and hands out exact byte counts or whole frames as they become
 * complete. Frame bodies that lie inside one chunk are zero-copy `subarray`s; a body that
 * spans chunks is copied once. A claimed size is never allocated before its bytes arrive.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private head = 0; // index of the first chunk with unread bytes
  private offset = 0; // read offset inside chunks[head]
  private available = 0;
  /** Consulted for every frame once its header is complete; null for none. */
  allowance: FrameAllowance | null = null;

  /**
   * @param maxFrameSize - largest frame body accepted, in octets; bigger ones throw EMSGSIZE. The owner may lower
   *   and raise it between frames (e.g. to what is left of a message's size limit). Default: 2^32 (the largest Buffer).
   */
  constructor(public maxFrameSize: number = MAX_BUFFER) {}

  /** Number of buffered, not yet consumed octets. */
  get buffered(): number {
    return this.available;
  }

  /** Appends a received chunk. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    this.chunks.push(buf);
    this.available += buf.length;
  }

  /** Copies up to `n` leading octets without consuming them (for early greeting checks). */
  peek(n: number): Buffer {
    const len = Math.min(n, this.available);
    const out = Buffer.allocUnsafe(len);
    for (let i = 0; i < len; i++) out[i] = this.byteAt(i);
    return out;
  }

  /** Consumes and returns exactly `n` octets, or null if fewer are buffered. */
  read(n: number): Buffer | null {
    if (this.available < n) return null;
    return this.take(n);
  }

  /**
   * Returns the next complete frame, or null if more bytes are needed.
   * Throws EPROTO for reserved flag bits, a command frame with MORE, or an absurd size,
   * EMSGSIZE for a frame bigger than maxFrameSize, and whatever the allowance throws; all before the body arrives.
   */
  next(): Frame | null {
    if (this.available < 2) return null;
    const flags = this.byteAt(0);
    if ((flags & FLAG_RESERVED) !== 0) {
      throw protocolError(`bad frame: reserved flag bits set (flags 0x${flags.toString(16)})`);
    }
    if ((flags & FLAG_COMMAND) !== 0 && (flags & FLAG_MORE) !== 0) {
      throw protocolError("bad frame: command frame with MORE flag");
    }
    let size: number;
    let headerSize: number;
    if ((flags & FLAG_LONG) === 0) {
      size = this.byteAt(1);
      headerSize = 2;
    } else {
      if (this.available < 9) return null;
      const high = this.byteAt(1) * 0x100_0000 + (this.byteAt(2) << 16) + (this.byteAt(3) << 8) + this.byteAt(4);
      const low = this.byteAt(5) * 0x100_0000 + (this.byteAt(6) << 16) + (this.byteAt(7) << 8) + this.byteAt(8);
      if (high >= 0x20_0000) throw protocolError("bad frame: size does not fit in 53 bits");
      size = high * 0x1_0000_0000 + low;
      headerSize = 9;
    }
    if (size > this.maxFrameSize) {
      throw new ZmtpError("EMSGSIZE", `frame of ${size} octets exceeds the limit of ${this.maxFrameSize}`);
    }
    this.allowance?.check(headerSize, size);
    if (this.available < headerSize + size) return null;
    this.allowance?.charge(headerSize, size);
    this.skip(headerSize);
    return { more: (flags & FLAG_MORE) !== 0, command: (flags & FLAG_COMMAND) !== 0, body: this.take(size) };
  }

  private byteAt(i: number): number {
    let idx = this.head;
    let pos = this.offset + i;
    for (;;) {
      const chunk = this.chunks[idx];
      if (chunk === undefined) return 0;
      if (pos < chunk.length) return chunk[pos] ?? 0;
      pos -= chunk.length;
      idx++;
    }
  }

  private skip(n: number): void {
    this.available -= n;
    while (n > 0) {
      const chunk = this.chunks[this.head] as Buffer;
      const rest = chunk.length - this.offset;
      if (n < rest) {
        this.offset += n;
        return;
      }
      n -= rest;
      this.dropHead();
    }
  }

  private take(n: number): Buffer {
    const first = this.chunks[this.head];
    if (n === 0 || first === undefined) return Buffer.alloc(0);
    if (first.length - this.offset >= n) {
      const out = first.subarray(this.offset, this.offset + n);
      this.available -= n;
      this.offset += n;
      if (this.offset === first.length) this.dropHead();
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[this.head] as Buffer;
      const count = Math.min(n - filled, chunk.length - this.offset);
      out.set(chunk.subarray(this.offset, this.offset + count), filled);
      filled += count;
      this.offset += count;
      if (this.offset === chunk.length) this.dropHead();
    }
    this.available -= n;
    return out;
  }

  private dropHead(): void {
    this.head++;
    this.offset = 0;
    if (this.head === this.chunks.length) {
      this.chunks.length = 0;
      this.head = 0;
    } else if (this.head >= 64) {
      this.chunks.splice(0, this.head);
      this.head = 0;
    }
  }
}
