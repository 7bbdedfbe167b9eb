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
