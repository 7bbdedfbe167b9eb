/** mitata benches for ZMTP frame encode/decode (registered here, run by perf/bench.ts). */
import { bench } from "mitata";
import { encodePing, encodeReady } from "../../src/zmtp/command.ts";
import { FrameDecoder } from "../../src/zmtp/frame-decoder.ts";
import { FLAG_MORE, encodeFrame, writeFrameHeader } from "../../src/zmtp/frame.ts";

const small = Buffer.alloc(16, 1);
const large = Buffer.alloc(64 * 1024, 2);
const scratch = Buffer.allocUnsafe(1024);
const smallStream = Buffer.concat(Array.from({ length: 100 }, (_, i) => encodeFrame(i % 2 === 0 ? FLAG_MORE : 0, small)));
const largeFrame = encodeFrame(0, large);
const splitLarge = Array.from({ length: 16 }, (_, i) => largeFrame.subarray(i * 4096, i === 15 ? undefined : (i + 1) * 4096));

// writes one short frame header plus a 16-byte body into a reused buffer (the coalescing path)
bench("zmtp: encode 16 B frame into scratch", () => {
  const at = writeFrameHeader(scratch, 0, FLAG_MORE, small.length);
  scratch.set(small, at);
});

// allocates a standalone 64 KiB long frame (header + copy)
bench("zmtp: encode 64 KiB frame", () => encodeFrame(0, large));

// decodes 100 short frames (50 two-part messages) delivered as one chunk
bench("zmtp: decode 100 x 16 B frames from one chunk", () => {
  const d = new FrameDecoder();
  d.push(smallStream);
  let n = 0;
  while (d.next() !== null) n++;
  return n;
});

// decodes a 64 KiB frame that arrives in 16 chunks of 4 KiB (one copy to join)
bench("zmtp: decode 64 KiB frame split in 16 chunks", () => {
  const d = new FrameDecoder();
  for (const c of splitLarge) d.push(c);
  return d.next();
});

// builds the READY and PING commands sent at handshake / heartbeat time
bench("zmtp: encode READY + PING commands", () => {
  encodeReady([
    ["Socket-Type", "DEALER"],
    ["Identity", "worker-1"],
  ]);
  return encodePing(30);
});
