/** Test helper: a hand-driven TCP peer that speaks raw bytes (for silent peers, bad input, fuzzing). */
import type { Socket } from "bun";
import { encodeReady } from "../../../src/zmtp/command.ts";
import { encodeGreeting } from "../../../src/zmtp/greeting.ts";

/** A raw TCP client connected to a ZMTP endpoint. */
export interface RawPeer {
  write(bytes: Uint8Array): void;
  /** Bytes received so far. */
  received(): Buffer;
  /** Resolves when the remote side closed the connection. */
  closed: Promise<void>;
  isClosed(): boolean;
  end(): void;
}

/** Connects to `tcp://host:port` without speaking ZMTP. */
export async function rawConnect(endpoint: string): Promise<RawPeer> {
  const m = /^tcp:\/\/(.+):(\d+)$/.exec(endpoint);
  if (!m) throw new Error(`bad endpoint ${endpoint}`);
  const chunks: Buffer[] = [];
  let closed = false;
  let onClosed: () => void = () => {};
  const closedPromise = new Promise<void>((r) => (onClosed = r));
  const socket: Socket = await Bun.connect({
    hostname: (m[1] as string).replace(/^\[|\]$/g, ""),
    port: Number(m[2]),
    socket: {
      data(_s, d) {
        chunks.push(Buffer.from(d));
      },
      close() {
        closed = true;
        onClosed();
      },
      error() {
        closed = true;
        onClosed();
      },
    },
  });
  return {
    write: (bytes) => {
      if (!closed) socket.write(bytes);
    },
    received: () => Buffer.concat(chunks),
    closed: closedPromise,
    isClosed: () => closed,
    end: () => socket.end(),
  };
}

/** Connects and completes a NULL handshake as `socketType`, then goes silent (never answers PINGs). */
export async function silentPeer(endpoint: string, socketType = "DEALER"): Promise<RawPeer> {
  const peer = await rawConnect(endpoint);
  peer.write(Buffer.concat([encodeGreeting("NULL", false), encodeReady([["Socket-Type", socketType]])]));
  return peer;
}
