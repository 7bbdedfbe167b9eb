/** The byte-stream seam between ZMTP connections and a transport (TCP now; ipc:// later). */

/** A connected, bidirectional byte stream. */
export interface Stream {
  /** Hands bytes to the OS; returns how many were accepted (the rest must wait for `onDrain`). */
  write(data: Uint8Array): number;
  /** Closes the stream; pending OS-buffered bytes are still sent. Idempotent. */
  close(): void;
  /** Stops delivering `onData` (receive backpressure). */
  pause(): void;
  /** Resumes delivering `onData`. */
  resume(): void;
  /** Peer address as `tcp://host:port` (or similar for other transports). */
  readonly remoteAddress: string;
}

/** Callbacks a stream delivers to its owner. */
export interface StreamHandler {
  /** Received bytes. The chunk is owned by the handler from now on. */
  onData(chunk: Buffer): void;
  /** The OS accepted more bytes after a short write. */
  onDrain(): void;
  /** The stream closed (peer closed, error, or our `close()`); called once. */
  onClose(error?: Error): void;
}

/** A bound listener. */
export interface Listener {
  /** The bound endpoint with the real port, e.g. `tcp://127.0.0.1:43121`. */
  readonly endpoint: string;
  /** Stops accepting; existing streams stay open. */
  close(): void;
}
