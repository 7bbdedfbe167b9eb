/** The `Stream` over one Bun native socket (TCP or unix): the socket callbacks both transports share, and connecting one. */
import type { Socket } from "bun";
import type { Stream, StreamHandler } from "./transport.ts";

/** Per-socket state Bun keeps for us. */
export interface Slot {
  handler: StreamHandler | null;
  closed: boolean;
}

/** A connected Bun socket seen as a {@link Stream}. */
export class SocketStream implements Stream {
  constructor(
    private readonly socket: Socket<Slot>,
    /** Peer address, e.g. `tcp://127.0.0.1:5555` or `ipc:///run/faas.sock`. */
    readonly remoteAddress: string,
  ) {}
  write(data: Uint8Array): number {
    if (this.socket.data.closed) return data.length; // silently discard after close
    const n = this.socket.write(data);
    return n < 0 ? 0 : n;
  }
  close(): void {
    if (this.socket.data.closed) return;
    this.socket.end();
  }
  pause(): void {
    this.socket.pause();
  }
  resume(): void {
    this.socket.resume();
  }
}

/** Where {@link connectStream} connects: a unix socket path, or host and port (TCP, no Nagle delay). */
export type SocketTarget = { unix: string } | { hostname: string; port: number };

/**
 * Opens a connection; resolves once connected, after `makeHandler` has been attached to its stream. `describe`
 * names the peer for `remoteAddress`. Rejects with the connect error (e.g. ECONNREFUSED, ENOENT).
 */
export async function connectStream(
  target: SocketTarget,
  describe: (socket: Socket<Slot>) => string,
  makeHandler: (stream: Stream) => StreamHandler,
): Promise<Stream> {
  let stream: SocketStream | null = null;
  const socket = {
    ...socketHandlers,
    open(s: Socket<Slot>) {
      if ("port" in target) s.setNoDelay(true);
      stream = new SocketStream(s, describe(s));
      s.data.handler = makeHandler(stream);
    },
    connectError() {
      // the promise rejects; nothing to clean up
    },
  };
  const data: Slot = { handler: null, closed: false };
  await ("unix" in target
    ? Bun.connect<Slot>({ unix: target.unix, data, socket })
    : Bun.connect<Slot>({ hostname: target.hostname, port: target.port, data, socket }));
  if (stream === null) throw new Error(`connect to ${"unix" in target ? target.unix : `${target.hostname}:${target.port}`} did not open`);
  return stream;
}

/** Bun socket callbacks routing events to the stream's handler; `close` reaches the handler once. */
export const socketHandlers = {
  data(socket: Socket<Slot>, chunk: Buffer) {
    socket.data.handler?.onData(chunk);
  },
  drain(socket: Socket<Slot>) {
    socket.data.handler?.onDrain();
  },
  close(socket: Socket<Slot>, error?: Error) {
    if (socket.data.closed) return;
    socket.data.closed = true;
    const h = socket.data.handler;
    socket.data.handler = null;
    h?.onClose(error);
  },
  error(socket: Socket<Slot>, error: Error) {
    socketHandlers.close(socket, error);
  },
  end(socket: Socket<Slot>) {
    socket.end();
  },
};
