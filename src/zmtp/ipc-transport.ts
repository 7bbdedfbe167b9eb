/** ipc:// transport (zmq_ipc(7)): ZMTP over unix domain stream sockets, on Bun's native sockets. */
import { lstatSync, unlinkSync } from "node:fs";
import { type IpcEndpoint, formatIpcEndpoint } from "./endpoint.ts";
import { type Slot, SocketStream, connectStream, socketHandlers } from "./socket-stream.ts";
import type { Listener, Stream, StreamHandler } from "./transport.ts";
import { ZmtpError } from "./zmtp-error.ts";

/**
 * Binds a unix socket at the endpoint's path. A socket file left there by a process that died is removed first
 * (as libzmq does); unlike libzmq, a path another process is still listening on is refused with EADDRINUSE
 * rather than taken over. Closing the listener removes the file.
 */
export async function listenIpc(endpoint: IpcEndpoint, onAccept: (stream: Stream) => StreamHandler): Promise<Listener> {
  const { path } = endpoint;
  if (isSocketFile(path)) {
    if (await answers(path)) throw new ZmtpError("EADDRINUSE", `${formatIpcEndpoint(path)} is in use by another process`);
    unlinkSync(path);
  }
  const address = formatIpcEndpoint(path);
  const server = Bun.listen<Slot>({
    unix: path,
    socket: {
      ...socketHandlers,
      open(socket) {
        socket.data = { handler: null, closed: false };
        socket.data.handler = onAccept(new SocketStream(socket, address));
      },
    },
  });
  return {
    endpoint: address,
    close() {
      server.stop(false);
      try {
        if (isSocketFile(path)) unlinkSync(path);
      } catch {
        // already gone
      }
    },
  };
}

/** Opens a unix socket connection; resolves once connected, after `makeHandler` has been attached. */
export function connectIpc(endpoint: IpcEndpoint, makeHandler: (stream: Stream) => StreamHandler): Promise<Stream> {
  const address = formatIpcEndpoint(endpoint.path);
  return connectStream({ unix: endpoint.path }, () => address, makeHandler);
}

function isSocketFile(path: string): boolean {
  try {
    return lstatSync(path).isSocket();
  } catch {
    return false;
  }
}

/** True when something accepts connections on the unix socket at `path`. */
async function answers(path: string): Promise<boolean> {
  try {
    const s = await Bun.connect({ unix: path, socket: { data() {} } });
    s.end();
    return true;
  } catch {
    return false;
  }
}
