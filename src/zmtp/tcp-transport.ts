/** TCP transport on Bun's native sockets (`Bun.listen` / `Bun.connect`): byte streams with explicit short-write handling. */
import { type TcpEndpoint, formatEndpoint } from "./endpoint.ts";
import { type Slot, SocketStream, connectStream, socketHandlers } from "./socket-stream.ts";
import type { Listener, Stream, StreamHandler } from "./transport.ts";

/** Binds a TCP listener; `onAccept` receives each new stream and returns its handler. Throws on bind errors. */
export function listenTcp(endpoint: TcpEndpoint, onAccept: (stream: Stream) => StreamHandler): Listener {
  const server = Bun.listen<Slot>({
    hostname: endpoint.host,
    port: endpoint.port,
    socket: {
      ...socketHandlers,
      open(socket) {
        socket.setNoDelay(true);
        socket.data = { handler: null, closed: false };
        socket.data.handler = onAccept(new SocketStream(socket, formatEndpoint(socket.remoteAddress, socket.remotePort)));
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
export function connectTcp(endpoint: TcpEndpoint, makeHandler: (stream: Stream) => StreamHandler): Promise<Stream> {
  return connectStream({ hostname: endpoint.host, port: endpoint.port },
    (socket) => formatEndpoint(socket.remoteAddress, endpoint.port), makeHandler);
}
