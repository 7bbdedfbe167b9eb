/** Outgoing byte queue of one connection: coalesces small frames into a scratch buffer, keeps large bodies uncopied, survives short writes. */
import { MAX_SHORT_SIZE, frameHeaderSize, writeFrameHeader } from "./frame.ts";
import type { Stream } from "./transport.ts";

const SCRATCH_SIZE = 64 * 1024; // coalescing buffer for small frames
const COPY_LIMIT = 8 * 1024; // bodies up to this size are copied into the coalescing buffer

/** Bytes waiting to be handed to the OS, as a list of segments. */
export class OutboundQueue {
  /** Octets queued and not yet accepted by the stream. */
  bytes = 0;
  /** Messages queued since the queue was last fully written (the send high-water mark counts these). */
  messages = 0;
  private out: Uint8Array[] = [];
  private scratch = Buffer.allocUnsafe(SCRATCH_SIZE);
  private scratchStart = 0;
  private scratchEnd = 0;

  /** Appends one frame (header + body); a string body is written as UTF-8 straight into the coalescing buffer. */
  appendFrame(flags: number, body: Uint8Array | string): void {
    if (typeof body === "string") return this.appendText(flags, body);
    const size = body.length;
    const header = frameHeaderSize(size);
    if (size <= COPY_LIMIT) {
      this.reserve(header + size);
      const at = writeFrameHeader(this.scratch, this.scratchEnd, flags, size);
      this.scratch.set(body, at);
      this.scratchEnd = at + size;
    } else {
      this.reserve(header);
      this.scratchEnd = writeFrameHeader(this.scratch, this.scratchEnd, flags, size);
      this.seal();
      this.out.push(body);
    }
    this.bytes += header + size;
  }

  private appendText(flags: number, text: string): void {
    const worst = text.length * 3; // UTF-8 octets per UTF-16 unit, at most
    if (worst <= MAX_SHORT_SIZE) {
      // short frame: encode in place, then fill in the 2-octet header
      this.reserve(2 + worst);
      const at = this.scratchEnd;
      const size = worst === 0 ? 0 : this.scratch.write(text, at + 2, "utf8");
      writeFrameHeader(this.scratch, at, flags, size);
      this.scratchEnd = at + 2 + size;
      this.bytes += 2 + size;
      return;
    }
    const size = Buffer.byteLength(text, "utf8");
    if (size > COPY_LIMIT) return this.appendFrame(flags, Buffer.from(text, "utf8"));
    const header = frameHeaderSize(size);
    this.reserve(header + size);
    const at = writeFrameHeader(this.scratch, this.scratchEnd, flags, size);
    if (size > 0) this.scratch.write(text, at, size, "utf8");
    this.scratchEnd = at + size;
    this.bytes += header + size;
  }

  /** Appends pre-encoded bytes (greeting, commands). */
  appendRaw(bytes: Uint8Array): void {
    this.seal();
    this.out.push(bytes);
    this.bytes += bytes.length;
  }

  /** Writes segments until the stream takes less than offered; returns true if the queue is now empty. */
  writeTo(stream: Stream): boolean {
    this.seal();
    const out = this.out;
    for (let i = 0; i < out.length; i++) {
      const seg = out[i] as Uint8Array;
      const n = stream.write(seg);
      this.bytes -= n;
      if (n < seg.length) {
        out[i] = seg.subarray(n);
        out.splice(0, i);
        // Segments still queued may point into the scratch buffer: start a fresh one.
        this.scratch = Buffer.allocUnsafe(SCRATCH_SIZE);
        this.scratchStart = 0;
        this.scratchEnd = 0;
        return false;
      }
    }
    out.length = 0;
    this.bytes = 0;
    this.messages = 0;
    this.scratchStart = 0; // everything was written: the scratch buffer can be reused
    this.scratchEnd = 0;
    return true;
  }

  /** Drops everything queued. */
  clear(): void {
    this.out = [];
    this.bytes = 0;
    this.messages = 0;
    this.scratchStart = 0;
    this.scratchEnd = 0;
  }

  private reserve(n: number): void {
    if (this.scratch.length - this.scratchEnd >= n) return;
    this.seal();
    this.scratch = Buffer.allocUnsafe(Math.max(SCRATCH_SIZE, n));
    this.scratchStart = 0;
    this.scratchEnd = 0;
  }

  private seal(): void {
    if (this.scratchEnd > this.scratchStart) {
      this.out.push(this.scratch.subarray(this.scratchStart, this.scratchEnd));
      this.scratchStart = this.scratchEnd;
    }
  }
}
