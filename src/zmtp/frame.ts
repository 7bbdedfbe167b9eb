/** ZMTP frame flags and frame header encoding (RFC 37 section "Framing"). */

/** Flag bit 0: more frames follow in this message. */
export const FLAG_MORE = 0x01;
/** Flag bit 1: the size field is 8 octets (long frame) instead of 1. */
export const FLAG_LONG = 0x02;
/** Flag bit 2: this is a command frame, not a message frame. */
export const FLAG_COMMAND = 0x04;
/** Bits 3-7 are reserved and MUST be zero. */
export const FLAG_RESERVED = 0xf8;
/** Bodies up to this size use a short (1-octet) size field. */
export const MAX_SHORT_SIZE = 255;

/** Size of the header (flags + size) for a body of `size` octets: 2 or 9. */
export function frameHeaderSize(size: number): number {
  return size > MAX_SHORT_SIZE ? 9 : 2;
}

/**
 * Writes a frame header (flags octet, then a 1-octet or 8-octet network-order size) into
 * `target` at `offset` and returns the offset after it. `flags` holds MORE/COMMAND; LONG is
 * added automatically when `size` > 255, as RFC 37 requires of senders.
 */
export function writeFrameHeader(target: Uint8Array, offset: number, flags: number, size: number): number {
  if (size <= MAX_SHORT_SIZE) {
    target[offset] = flags & ~FLAG_LONG;
    target[offset + 1] = size;
    return offset + 2;
  }
  target[offset] = flags | FLAG_LONG;
  const high = Math.floor(size / 0x1_0000_0000);
  const low = size >>> 0;
  target[offset + 1] = high >>> 24;
  target[offset + 2] = (high >>> 16) & 0xff;
  target[offset + 3] = (high >>> 8) & 0xff;
  target[offset + 4] = high & 0xff;
  target[offset + 5] = low >>> 24;
  target[offset + 6] = (low >>> 16) & 0xff;
  target[offset + 7] = (low >>> 8) & 0xff;
  target[offset + 8] = low & 0xff;
  return offset + 9;
}

/** Encodes one complete frame (header + body) into a new buffer. Handy for tests and commands. */
export function encodeFrame(flags: number, body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(frameHeaderSize(body.length) + body.length);
  const at = writeFrameHeader(out, 0, flags, body.length);
  out.set(body, at);
  return out;
}
