/** Outgoing connection with automatic reconnect and optional exponential backoff (connect before bind works). */
import { type Endpoint, parseEndpoint } from "./endpoint.ts";
import { connectTo } from "./transports.ts";
import type { Stream, StreamHandler } from "./transport.ts";

/** Callbacks from a dialer to its socket. */
export interface DialerHooks {
  /** A stream is connected; return its handler (normally a new Connection). */
  onStream(dialer: Dialer, stream: Stream): StreamHandler;
  /** A connection attempt failed; the next one is in `interval` ms. */
  onRetry(dialer: Dialer, error: Error, interval: number): void;
}

/** Keeps one outgoing connection to an endpoint alive until stopped. */
export class Dialer {
  private readonly target: Endpoint;
  private interval: number;
  private timer: Timer | null = null;
  private stopped = false;

  /**
   * @param endpoint - `tcp://host:port` or `ipc://path` to connect to (validated here; throws EINVAL).
   * @param baseInterval - first retry delay in ms.
   * @param maxInterval - cap for the doubling delay; 0 keeps it at `baseInterval`.
   */
  constructor(
    readonly endpoint: string,
    private readonly baseInterval: number,
    private readonly maxInterval: number,
    private readonly hooks: DialerHooks,
    /** Per-connect options such as the routing id a ROUTER should assign to this peer. */
    readonly routingId: Buffer | null = null,
  ) {
    this.target = parseEndpoint(endpoint, false);
    this.interval = baseInterval;
  }

  /** Starts the first attempt. */
  start(): void {
    this.attempt();
  }

  /** Called after a successful handshake: the next retry starts from the base interval again. */
  resetBackoff(): void {
    this.interval = this.baseInterval;
  }

  /** Schedules a reconnect after the current interval (the connection was lost). */
  scheduleReconnect(): void {
    if (this.stopped || this.timer !== null) return;
    const delay = this.interval;
    if (this.maxInterval > this.baseInterval) this.interval = Math.min(this.interval * 2, this.maxInterval);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.attempt();
    }, delay);
  }

  /** Stops reconnecting; an attempt in flight is closed as soon as it connects. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private attempt(): void {
    if (this.stopped) return;
    connectTo(this.target, (stream) => {
      if (this.stopped) {
        stream.close();
        return { onData() {}, onDrain() {}, onClose() {} };
      }
      return this.hooks.onStream(this, stream);
    }).catch((error: Error) => {
      if (this.stopped) return;
      const delay = this.interval;
      this.scheduleReconnect();
      this.hooks.onRetry(this, error, delay);
    });
  }
}
