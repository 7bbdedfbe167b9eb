/** TCP transport on Bun's native sockets (`Bun.listen` / `Bun.connect`): byte streams with explicit short-write handling. */
import type { Socket } from "bun";
import { type TcpEndpoint, formatEndpoint } from "./endpoint.ts";
import type { Listener, Stream, StreamHandler } from "./transport.ts";

interface Slot {
  handler: StreamHandler | null;
  closed: boolean;
}

class TcpStream implements Stream {
  readonly remoteAddress: string;
  constructor(
    private readonly socket: Socket<Slot>,
    port: number,
  ) {
    this.remoteAddress = formatEndpoint(socket.remoteAddress, port);
  }
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

const handlers = {
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
    handlers.close(socket, error);
  },
  end(socket: Socket<Slot>) {
    socket.end();
  },
};

/** Binds a TCP listener; `onAccept` receives each new stream and returns its handler. Throws on bind errors. */
export function listenTcp(endpoint: TcpEndpoint, onAccept: (stream: Stream) => StreamHandler): Listener {
  const server = Bun.listen<Slot>({
    hostname: endpoint.host,
    port: endpoint.port,
    socket: {
      ...handlers,
      open(socket) {
        socket.setNoDelay(true);
        socket.data = { handler: null, closed: false };
        socket.data.handler = onAccept(new TcpStream(socket, socket.remotePort));
      },
    },
  });
  const bound = formatEndpoint(server.hostname, server.port);
  return {
    endpoint: bound,
    close() {
      server.stop(false);
    },
  };
}

/**
 * Opens a TCP connection; resolves once connected, after `makeHandler` has been attached.
 * Rejects with the connect error (e.g. ECONNREFUSED).
 */
export async function connectTcp(endpoint: TcpEndpoint, makeHandler: (stream: Stream) => StreamHandler): Promise<Stream> {
  let stream: TcpStream | null = null;
  await Bun.connect<Slot>({
    hostname: endpoint.host,
    port: endpoint.port,
    data: { handler: null, closed: false },
    socket: {
      ...handlers,
      open(socket) {
        socket.setNoDelay(true);
        stream = new TcpStream(socket, endpoint.port);
        socket.data.handler = makeHandler(stream);
      },
      connectError() {
        // the promise rejects; nothing to clean up
      },
    },
  });
  if (stream === null) throw new Error(`connect to ${formatEndpoint(endpoint.host, endpoint.port)} did not open`);
  return stream;
}
