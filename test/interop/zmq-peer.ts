/** Test helper: spawns test/interop/zmq-peer.mjs (libzmq via zeromq.js under Node) and talks to it over JSON lines. */
import type { Subprocess } from "bun";

/** A running libzmq peer process. */
export interface ZmqPeer {
  /** The peer's bound endpoint (real port) or the endpoint it connects to. */
  endpoint: string;
  send(frames: Array<string | Buffer>): Promise<void>;
  recv(): Promise<Buffer[]>;
  /** Receives and sends back `count` messages unchanged. */
  echo(count: number): Promise<void>;
  /** Monitor event types seen by libzmq so far. */
  events(): Promise<string[]>;
  kill(): void;
  exited: Promise<number>;
}

const live = new Set<Subprocess>();

/** Kills every peer still running (call from afterEach/afterAll). */
export function killAllPeers(): void {
  for (const p of live) p.kill();
  live.clear();
}

/** Starts a peer; resolves once it is bound or connecting. */
export async function startZmqPeer(
  type: "Dealer" | "Router" | "Request" | "Reply",
  mode: "bind" | "connect",
  endpoint: string,
  options: Record<string, unknown> = {},
  timeoutMs = 10_000,
): Promise<ZmqPeer> {
  const proc = Bun.spawn(["node", "test/interop/zmq-peer.mjs", type, mode, endpoint, JSON.stringify(options)], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  live.add(proc);
  proc.exited.then(() => live.delete(proc));
  const lines = readLines(proc.stdout);
  const next = async (): Promise<Record<string, unknown>> => {
    const timer = new Promise<never>((_, reject) => {
      const t = setTimeout(() => reject(new Error("libzmq peer did not answer in time")), timeoutMs);
      t.unref();
    });
    const { value, done } = await Promise.race([lines.next(), timer]);
    if (done) throw new Error("libzmq peer exited");
    const msg = JSON.parse(value) as Record<string, unknown>;
    if (typeof msg.error === "string") throw new Error(`libzmq peer: ${msg.error}`);
    return msg;
  };
  const command = async (cmd: Record<string, unknown>) => {
    proc.stdin.write(`${JSON.stringify(cmd)}\n`);
    proc.stdin.flush();
    return next();
  };
  const hello = await next();
  return {
    endpoint: String(hello.endpoint),
    async send(frames) {
      await command({ op: "send", frames: frames.map((f) => Buffer.from(f).toString("base64")) });
    },
    async recv() {
      const msg = await command({ op: "recv" });
      return (msg.frames as string[]).map((f) => Buffer.from(f, "base64"));
    },
    async echo(count) {
      await command({ op: "echo", count });
    },
    async events() {
      return (await command({ op: "events" })).events as string[];
    },
    kill() {
      proc.kill();
    },
    exited: proc.exited,
  };
}

async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl = buffered.indexOf("\n");
    while (nl >= 0) {
      yield buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      nl = buffered.indexOf("\n");
    }
  }
}
