// A recording TCP proxy for wire tests: what the client sends (and what both sides send), and bytes injected upstream.
import * as net from "node:net";

/** A running proxy; `close()` stops it and drops its connections. */
export interface TcpProxy {
  /** `tcp://127.0.0.1:PORT` to connect to instead of the target. */
  endpoint: string;
  /** What clients sent, chunk by chunk, in order. */
  sent: Buffer[];
  /** Everything that passed, both ways, in order of arrival. */
  both(): Buffer;
  /** Write `bytes` to the upstream side of the latest connection, as if the client had sent them. */
  inject(bytes: Buffer): void;
  close(): void;
}

/**
 * Proxy connections to `target` (`tcp://host:port`). node:net buffers what the kernel does not take at once
 * (Bun.connect's `write` would drop it).
 */
export async function recordingProxy(target: string): Promise<TcpProxy> {
  const { hostname, port } = new URL(target.replace("tcp://", "http://"));
  const sent: Buffer[] = [];
  const all: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  let upstream: net.Socket | null = null;
  const server = net.createServer((down) => {
    const up = net.connect({ host: hostname, port: Number(port) });
    upstream = up;
    for (const s of [down, up]) sockets.add(s);
    down.on("data", (d: Buffer) => {
      sent.push(Buffer.from(d));
      all.push(Buffer.from(d));
      up.write(d);
    });
    up.on("data", (d: Buffer) => {
      all.push(Buffer.from(d));
      down.write(d);
    });
    const closeBoth = () => {
      down.destroy();
      up.destroy();
    };
    down.on("close", closeBoth).on("error", closeBoth);
    up.on("close", closeBoth).on("error", closeBoth);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port: own } = server.address() as net.AddressInfo;
  return {
    endpoint: `tcp://127.0.0.1:${own}`,
    sent,
    both: () => Buffer.concat(all),
    inject: (bytes) => void upstream?.write(bytes),
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
