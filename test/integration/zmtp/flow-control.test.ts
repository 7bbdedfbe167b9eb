import { afterEach, describe, expect, test } from "bun:test";
import { Dealer, Router } from "../../../src/zmtp/index.ts";
import { SocketJar, text, waitFor, within } from "./helpers.ts";

const jar = new SocketJar();
afterEach(() => jar.closeAll());

/** Yields to the event loop until `value()` has not changed for `turns` consecutive turns. */
async function settle(value: () => number, turns = 30, timeoutMs = 5000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let last = value();
  let still = 0;
  while (still < turns && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 2));
    const now = value();
    still = now === last ? still + 1 : 0;
    last = now;
  }
  return last;
}

describe("high-water marks", () => {
  test("send() waits when the peer stops reading, memory stays bounded, nothing is lost", async () => {
    const router = jar.add(new Router({ receiveHighWaterMark: 2 }));
    await router.bind("tcp://127.0.0.1:0");
    const dealer = jar.add(new Dealer({ sendHighWaterMark: 4 }));
    dealer.connect(router.lastEndpoint as string);
    await waitFor(() => dealer.connectedPeers().length === 1);
    const N = 600; // 600 x 64 KiB = 37.5 MiB: far more than loopback socket buffers hold
    const body = Buffer.alloc(64 * 1024, 1);
    let resolved = 0;
    const sends: Promise<void>[] = [];
    for (let i = 0; i < N; i++) {
      const frame = Buffer.from(body);
      frame.writeUInt32BE(i, 0);
      sends.push(dealer.send(frame).then(() => void resolved++));
    }
    const stalledAt = await settle(() => resolved);
    expect(stalledAt).toBeGreaterThan(0);
    expect(stalledAt).toBeLessThan(N); // backpressure: the rest is waiting, not buffered
    for (let i = 0; i < N; i++) {
      const msg = await within(router.receive(), 5000, `message ${i}`);
      expect(msg[1]?.readUInt32BE(0)).toBe(i);
    }
    await within(Promise.all(sends), 5000, "all sends");
    expect(resolved).toBe(N);
  });

  test("sendTimeout makes a blocked send fail with EAGAIN", async () => {
    const dealer = jar.add(new Dealer({ sendTimeout: 30 }));
    await expect(dealer.send("no peer")).rejects.toMatchObject({ code: "EAGAIN" });
    const r = jar.add(new Dealer({ receiveTimeout: 30 }));
    await expect(r.receive()).rejects.toMatchObject({ code: "EAGAIN" });
  });
});

describe("maximum message size", () => {
  test("an oversized message drops only that connection", async () => {
    const router = jar.add(new Router({ maxMessageSize: 1000, log: () => {} }));
    await router.bind("tcp://127.0.0.1:0");
    const errors: string[] = [];
    router.events.on("disconnect", (e) => e.error && errors.push(e.error.code));
    const good = jar.add(new Dealer({ routingId: "good" }));
    const bad = jar.add(new Dealer({ routingId: "bad" }));
    good.connect(router.lastEndpoint as string);
    bad.connect(router.lastEndpoint as string);
    await waitFor(() => router.connectedPeers().length === 2);
    await bad.send([Buffer.alloc(600), Buffer.alloc(600)]); // 1200 > 1000 across frames
    await waitFor(() => errors.length > 0, 5000, "oversized connection to drop");
    expect(errors[0]).toBe("EMSGSIZE");
    await good.send(Buffer.alloc(1000));
    const msg = await within(router.receive());
    expect(msg[0]?.toString()).toBe("good");
    expect(msg[1]?.length).toBe(1000);
  });
});

describe("close", () => {
  test("with linger, messages queued at close are still delivered", async () => {
    const router = jar.add(new Router());
    await router.bind("tcp://127.0.0.1:0");
    const dealer = new Dealer({ linger: 2000 });
    dealer.connect(router.lastEndpoint as string);
    await waitFor(() => dealer.connectedPeers().length === 1);
    for (let i = 0; i < 200; i++) await dealer.send(["n", String(i)]);
    dealer.close(); // same tick: nothing has been written yet
    for (let i = 0; i < 200; i++) expect(text(await within(router.receive())).slice(1)).toEqual(["n", String(i)]);
  });

  test("pending receive rejects and for-await ends when the socket closes", async () => {
    const dealer = new Dealer();
    const pending = dealer.receive();
    const iterated = (async () => {
      let count = 0;
      for await (const _ of dealer) count++;
      return count;
    })();
    dealer.close();
    await expect(pending).rejects.toMatchObject({ code: "ETERM" });
    expect(await within(iterated)).toBe(0);
    await expect(dealer.send("x")).rejects.toMatchObject({ code: "ETERM" });
    expect(() => dealer.connect("tcp://127.0.0.1:1")).toThrow();
  });

  test("the process exits by itself after close (no timers or sockets left)", async () => {
    const proc = Bun.spawn(["bun", "test/integration/zmtp/fixtures/exit-check.ts"], { stdout: "pipe", stderr: "pipe" });
    const timer = setTimeout(() => proc.kill(), 10_000);
    const code = await proc.exited;
    clearTimeout(timer);
    const out = await new Response(proc.stdout).text();
    expect(out).toContain("pending receive: ETERM");
    expect(out).toContain("closed");
    expect(code).toBe(0);
  });
});
