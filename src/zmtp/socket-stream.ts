/** The `Stream` over one Bun native socket (TCP or unix), and the socket callbacks both transports share. */
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
