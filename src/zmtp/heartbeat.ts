/** ZMTP 3.1 connection heartbeating (RFC 37 "Connection Heartbeating"): our PINGs and their timeout, PONGs for the peer's PINGs, and its TTL. */
import type { BatchedWriter } from "./batched-writer.ts";
import { decodePing, encodePing, encodePong } from "./command.ts";
import type { ConnectionSettings } from "./connection-settings.ts";
import type { FrameCipher } from "./curve-cipher.ts";
import { FLAG_COMMAND, FLAG_LONG } from "./frame.ts";
import type { PeerStats } from "./socket-events.ts";

/** What the heartbeat needs from its connection besides its writer. */
export interface HeartbeatHost {
  /** Time (performance.now()) any bytes were last received. */
  lastReceived(): number;
  /** Drops the connection with a reason. */
  expire(reason: string): void;
}

/**
 * Heartbeat timers and counters of one connection. All timers are unref'd and cleared by `stop()`.
 *
 * The timeout works as libzmq's (`stream_engine_base.cpp`): its timer starts at the first PING sent while none is
 * running, and any traffic received from the peer cancels it; the next PING starts it again. So a peer silent since
 * time s is dropped at the latest at s + interval + timeout, never before s + timeout.
 */
export class Heartbeat {
  private pingTimer: Timer | null = null;
  private timeoutTimer: Timer | null = null;
  private ttlTimer: Timer | null = null;
  private ttlMs = 0;
  private stopped = false;
  /** Set by the connection once its handshake is done under a mechanism that encrypts frames (CURVE): PING/PONG go sealed. */
  cipher: FrameCipher | null = null;

  /**
   * @param writer - the connection's writer: PINGs are flushed at once, PONGs go with the tick's batch.
   * @param settings - `heartbeatInterval` (ms between our PINGs; 0 sends none), `heartbeatTimeout` (ms after the first PING
   *   without any received traffic since before the peer is dropped), `heartbeatTimeToLive` (the TTL we ask the peer for).
   * @param stats - the connection's counters of PINGs sent and PINGs and PONGs received.
   */
  constructor(
    private readonly host: HeartbeatHost,
    private readonly writer: BatchedWriter,
    private readonly settings: Pick<ConnectionSettings, "heartbeatInterval" | "heartbeatTimeout" | "heartbeatTimeToLive">,
    private readonly stats: Pick<PeerStats, "pingsSent" | "pingsReceived" | "pongsReceived">,
  ) {}

  /** Starts sending PINGs (call once the handshake is done, for ZMTP 3.1 peers only). */
  start(): void {
    if (this.settings.heartbeatInterval <= 0 || this.stopped) return;
    this.pingTimer = setTimeout(() => {
      if (this.stopped) return;
      const ping = encodePing(this.settings.heartbeatTimeToLive / 100);
      this.stats.pingsSent++;
      this.queueCommand(ping);
      this.writer.flush();
      // the first unanswered PING starts the timeout; later PINGs leave it running (libzmq `produce_ping_message`)
      if (this.timeoutTimer === null && this.settings.heartbeatTimeout > 0) {
        this.timeoutTimer = setTimeout(() => {
          this.timeoutTimer = null;
          if (!this.stopped) this.host.expire("heartbeat timeout: peer sent nothing after PING");
        }, this.settings.heartbeatTimeout);
        this.timeoutTimer.unref();
      }
      this.start();
    }, this.settings.heartbeatInterval);
    this.pingTimer.unref();
  }

  /** Bytes arrived from the peer: that is liveness, so a running heartbeat timeout is cancelled. */
  received(): void {
    if (this.timeoutTimer !== null) {
      clearTimeout(this.timeoutTimer);
      this.timeoutTimer = null;
    }
  }

  /** The peer sent PING (with this command data): answer with PONG echoing its context; honour its TTL. */
  onPing(data: Buffer): void {
    const ping = decodePing(data);
    this.stats.pingsReceived++;
    this.queueCommand(encodePong(ping.context));
    this.writer.schedule();
    if (ping.ttlDeciseconds > 0) this.peerTtl(ping.ttlDeciseconds * 100);
  }

  /** The peer sent PONG. Any traffic counts as liveness, so there is nothing to do beyond counting it. */
  onPong(): void {
    this.stats.pongsReceived++;
  }

  /** The peer's PING asked us to drop it after `ttlMs` without traffic. */
  peerTtl(ttlMs: number): void {
    this.ttlMs = ttlMs;
    if (this.ttlTimer !== null || this.stopped) return;
    const check = (): void => {
      this.ttlTimer = null;
      if (this.stopped) return;
      const idle = performance.now() - this.host.lastReceived();
      if (idle >= this.ttlMs) return this.host.expire(`peer heartbeat TTL of ${this.ttlMs} ms expired`);
      this.ttlTimer = setTimeout(check, this.ttlMs - idle + 1);
      this.ttlTimer.unref();
    };
    this.ttlTimer = setTimeout(check, ttlMs);
    this.ttlTimer.unref();
  }

  /** Clears all timers. */
  stop(): void {
    this.stopped = true;
    for (const t of [this.pingTimer, this.timeoutTimer, this.ttlTimer]) if (t !== null) clearTimeout(t);
  }

  /** Queues a command frame as it is, or sealed when the connection has a cipher. */
  private queueCommand(frame: Buffer): void {
    if (this.cipher === null) return this.writer.queue.appendRaw(frame);
    const body = frame.subarray((frame[0] as number) & FLAG_LONG ? 9 : 2);
    this.writer.queue.appendFrame(0, this.cipher.seal(FLAG_COMMAND, body));
  }
}
