/** AuthenticationGate: what a connection may do before the application authenticates its peer: a receive budget charged per frame, and a time limit (our extra). */
import type { FrameAllowance } from "./frame-decoder.ts";
import { ZmtpError, protocolError } from "./zmtp-error.ts";

/**
 * What every frame received before authentication costs besides its header and body: about what holding it costs
 * us (a Buffer object, a slot in a message), so that a flood of empty frames runs out of budget as fast as bytes do.
 */
export const UNAUTHENTICATED_FRAME_OVERHEAD = 64;

/**
 * The unauthenticated phase of one connection. As a {@link FrameAllowance} it refuses a frame whose header, body and
 * {@link UNAUTHENTICATED_FRAME_OVERHEAD} exceed what is left of `maxBytes` (at its header, before the body is read);
 * its timer drops the connection if nobody authenticates it in time. The connection drops the gate on authentication.
 */
export class AuthenticationGate implements FrameAllowance {
  private remaining: number;
  private timer: Timer | null = null;

  /**
   * @param maxBytes - octets the peer may send (frames with headers and overhead); 0 for no budget.
   * @param timeoutMs - ms from {@link startTimer} until `onTimeout` unless {@link stop} came first; 0 for no limit.
   * @param onTimeout - drops the connection with the error given.
   */
  constructor(
    private readonly maxBytes: number,
    private readonly timeoutMs: number,
    private readonly onTimeout: (error: ZmtpError) => void,
  ) {
    this.remaining = maxBytes;
  }

  /** Octets the peer may still send before it is authenticated. */
  get left(): number {
    return this.remaining;
  }

  check(headerSize: number, bodySize: number): void {
    if (this.maxBytes > 0 && headerSize + bodySize + UNAUTHENTICATED_FRAME_OVERHEAD > this.remaining) {
      throw new ZmtpError(
        "EMSGSIZE",
        `unauthenticated peer exceeded maxUnauthenticatedBytes (${this.maxBytes} octets): a frame of ${bodySize} octets with ${this.remaining} left`,
      );
    }
  }

  charge(headerSize: number, bodySize: number): void {
    this.remaining -= headerSize + bodySize + UNAUTHENTICATED_FRAME_OVERHEAD;
  }

  /** Starts the time limit (the handshake completed). */
  startTimer(): void {
    if (this.timeoutMs <= 0 || this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.onTimeout(protocolError(`peer not authenticated within authenticationTimeout (${this.timeoutMs} ms)`));
    }, this.timeoutMs);
    this.timer.unref();
  }

  /** Clears the time limit (authenticated or closed). */
  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
