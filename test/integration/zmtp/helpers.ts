/** Shared helpers for ZMTP tests: deadlines instead of sleeps, socket cleanup. */
import type { SocketBase } from "../../../src/zmtp/index.ts";

/** Polls `cond` every event-loop turn (and every 5 ms) until true; throws after `timeoutMs`. */
export async function waitFor(cond: () => boolean, timeoutMs = 5000, what = "condition"): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Rejects if `promise` does not settle within `timeoutMs`. */
export async function within<T>(promise: Promise<T>, timeoutMs = 5000, what = "operation"): Promise<T> {
  let timer: Timer | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Tracks sockets created by a test so afterEach can close them even when the test failed. */
export class SocketJar {
  private sockets: SocketBase[] = [];
  add<T extends SocketBase>(sock: T): T {
    this.sockets.push(sock);
    return sock;
  }
  closeAll(): void {
    for (const s of this.sockets.splice(0)) s.close();
  }
}

/** Frames as strings, for readable assertions. */
export function text(frames: Buffer[]): string[] {
  return frames.map((f) => f.toString());
}
