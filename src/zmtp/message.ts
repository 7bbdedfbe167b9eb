/** Conversion of user message values (zeromq.js `MessageLike`) to frame buffers. */
import { ZmtpError } from "./zmtp-error.ts";

/** A frame value `send()` accepts: text (UTF-8), bytes, an ArrayBuffer, a number (as text) or null (empty). */
export type MessageLike = string | Uint8Array | ArrayBuffer | SharedArrayBuffer | ArrayBufferView | number | null;

const EMPTY = Buffer.alloc(0);

/** Converts one frame value to a Buffer without copying bytes that already are bytes. */
export function toFrame(value: MessageLike): Buffer {
  if (typeof value === "string") return Buffer.from(value, "utf8");
  if (value === null) return EMPTY;
  if (typeof value === "number") return Buffer.from(String(value), "utf8");
  if (Buffer.isBuffer(value)) return value;
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return Buffer.from(value);
  throw new ZmtpError("EINVAL", `cannot send a frame of type ${typeof value}`);
}

/** Converts a single frame or an array of frames to a non-empty Buffer list. */
export function toFrames(message: MessageLike | readonly MessageLike[]): Buffer[] {
  if (Array.isArray(message)) {
    if (message.length === 0) throw new ZmtpError("EINVAL", "cannot send a message with no frames");
    return message.map(toFrame);
  }
  return [toFrame(message as MessageLike)];
}

/** A frame on its way out: bytes, or text the connection encodes as UTF-8 straight into its write buffer. */
export type OutFrame = Buffer | string;

/** Like {@link toFrames}, but text frames stay strings (no intermediate Buffer per frame). */
export function toOutFrames(message: MessageLike | readonly MessageLike[]): OutFrame[] {
  if (Array.isArray(message)) {
    if (message.length === 0) throw new ZmtpError("EINVAL", "cannot send a message with no frames");
    const out: OutFrame[] = new Array(message.length);
    for (let i = 0; i < message.length; i++) {
      const value = message[i] as MessageLike;
      out[i] = typeof value === "string" ? value : toFrame(value);
    }
    return out;
  }
  return [typeof message === "string" ? message : toFrame(message as MessageLike)];
}
