/** Picks the transport for a parsed endpoint: listen and connect over tcp:// or ipc://. */
import type { Endpoint } from "./endpoint.ts";
import { connectIpc, listenIpc } from "./ipc-transport.ts";
import { connectTcp, listenTcp } from "./tcp-transport.ts";
import type { Listener, Stream, StreamHandler } from "./transport.ts";

/** Binds a listener on `endpoint`; `onAccept` receives each new stream and returns its handler. Rejects on bind errors. */
export async function listenOn(endpoint: Endpoint, onAccept: (stream: Stream) => StreamHandler): Promise<Listener> {
  return endpoint.transport === "ipc" ? listenIpc(endpoint, onAccept) : listenTcp(endpoint, onAccept);
}

/** Opens a connection to `endpoint`; resolves once connected, after `makeHandler` has been attached. */
export function connectTo(endpoint: Endpoint, makeHandler: (stream: Stream) => StreamHandler): Promise<Stream> {
  return endpoint.transport === "ipc" ? connectIpc(endpoint, makeHandler) : connectTcp(endpoint, makeHandler);
}
