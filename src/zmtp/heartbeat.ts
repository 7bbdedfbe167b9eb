/** ZMTP 3.1 connection heartbeating timers: our PING interval/timeout and the peer's TTL (RFC 37 "Connection Heartbeating"). */

/** What the heartbeat needs from its connection. */
export interface HeartbeatHost {
  /** Sends a PING with our TTL. */
  sendPing(): void;
  /** Time (performance.now()) any bytes were last received. */
  lastReceived(): number;
  /** Drops the connection with a reason. */
  expire(reason: string): void;
}

/** Timers of one connection. All timers are unref'd and cleared by `stop()`. */
export class Heartbeat {
  private pingTimer: Timer | null = null;
  private checkTimer: Timer | null = null;
  private ttlTimer: Timer | null = null;
  private ttlMs = 0;
  private pingSentAt = 0;
  private stopped = false;

  /**
   * @param interval - ms between our PINGs; 0 sends none.
   * @param timeout - ms after a PING without any received traffic before the peer is dropped.
   */
  constructor(
    private readonly host: HeartbeatHost,
    private readonly interval: number,
    private readonly timeout: number,
  ) {}

  /** Starts sending PINGs (call once the handshake is done, for ZMTP 3.1 peers only). */
  start(): void {
    if (this.interval <= 0 || this.stopped) return;
    this.pingTimer = setTimeout(() => {
      if (this.stopped) return;
      this.host.sendPing();
      this.pingSentAt = performance.now();
      if (this.checkTimer === null) {
        this.checkTimer = setTimeout(() => {
          this.checkTimer = null;
          if (!this.stopped && this.host.lastReceived() < this.pingSentAt) {
            this.host.expire("heartbeat timeout: peer sent nothing after PING");
          }
        }, this.timeout);
        this.checkTimer.unref();
      }
      this.start();
    }, this.interval);
    this.pingTimer.unref();
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
    for (const t of [this.pingTimer, this.checkTimer, this.ttlTimer]) if (t !== null) clearTimeout(t);
  }
}
