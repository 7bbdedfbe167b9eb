/** Test helper: a hand-driven TCP peer that speaks raw bytes (for silent peers, bad input, fuzzing). */
import type { Socket } from "bun";
import { encodeReady } from "../../../src/zmtp/command.ts";
import { encodeGreeting } from "../../../src/zmtp/greeting.ts";

/** A raw TCP client connected to a ZMTP endpoint. */
export interface RawPeer {
  write(bytes: Uint8Array): void;
  /**
   * Writes `bytes` `times` times over, waiting for drain after short writes; resolves with the octets the OS took,
   * early when the connection closes.
   */
  pump(bytes: Uint8Array, times: number): Promise<number>;
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
  let onDrain: () => void = () => {};
  const closedPromise = new Promise<void>((r) => (onClosed = r));
  const socket: Socket = await Bun.connect({
    hostname: (m[1] as string).replace(/^\[|\]$/g, ""),
    port: Number(m[2]),
    socket: {
      data(_s, d) {
        chunks.push(Buffer.from(d));
      },
      drain() {
        onDrain();
      },
      close() {
        closed = true;
        onClosed();
        onDrain();
      },
      error() {
        closed = true;
        onClosed();
        onDrain();
      },
    },
  });
  return {
    write: (bytes) => {
      if (!closed) socket.write(bytes);
    },
    pump: async (bytes, times) => {
      let taken = 0;
      for (let i = 0; i < times && !closed; i++) {
        let rest = bytes;
        while (rest.length > 0 && !closed) {
          const n = Math.max(0, socket.write(rest));
          taken += n;
          rest = rest.subarray(n);
          if (rest.length > 0) await new Promise<void>((r) => (onDrain = r));
        }
      }
      return taken;
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
