import { afterEach, describe, expect, test } from "bun:test";
import { encodeGreeting } from "../../../src/zmtp/greeting.ts";
import { encodeReady } from "../../../src/zmtp/command.ts";
import { Dealer, Router, type SocketEventMap } from "../../../src/zmtp/index.ts";
import { SocketJar, text, waitFor, within } from "./helpers.ts";
import { type RawPeer, rawConnect, silentPeer } from "./raw-peer.ts";

const jar = new SocketJar();
afterEach(() => jar.closeAll());

const MiB = 1 << 20;
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

/** Forces a full collection, then reads the resident set size. */
function rss(): number {
  Bun.gc(true);
  return process.memoryUsage().rss;
}

/** A ROUTER as the dispatcher runs it: 16 KiB and a few seconds to authenticate. */
async function guardedRouter(extra: ConstructorParameters<typeof Router>[0] = {}): Promise<{ router: Router; endpoint: string; drops: SocketEventMap["disconnect"][] }> {
  const router = jar.add(new Router({ maxUnauthenticatedBytes: 16384, authenticationTimeout: 3000, ...extra }));
  await router.bind("tcp://127.0.0.1:0");
  const drops: SocketEventMap["disconnect"][] = [];
  router.events.on("disconnect", (e) => drops.push(e));
  return { router, endpoint: router.lastEndpoint as string, drops };
}

describe("a ROUTER before its peers are authenticated", () => {
  test("floods from handshaken raw peers are cut off: 40 MiB of empty frames, 8 × a 250 MiB frame announced; RSS grows < 100 MB", async () => {
    const { router, endpoint, drops } = await guardedRouter();
    const before = rss();
    let peak = before;
    const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
    const handshake = Buffer.concat([encodeGreeting("NULL", false), encodeReady([["Socket-Type", "DEALER"]])]);
    const peers: RawPeer[] = [];
    const pumps: Promise<number>[] = [];
    // 40 MiB of empty MORE frames (one endless message) and 40 MiB of empty single-frame messages
    for (const pattern of ["0100", "0000"]) {
      const peer = await rawConnect(endpoint);
      peer.write(handshake);
      peers.push(peer);
      pumps.push(peer.pump(Buffer.alloc(64 * 1024, hex(pattern)), 640));
    }
    // 8 connections announcing a 250 MiB frame, then 1 MiB of its body
    const header = hex("02 000000000fa00000");
    for (let i = 0; i < 8; i++) {
      const peer = await rawConnect(endpoint);
      peer.write(Buffer.concat([handshake, header]));
      peers.push(peer);
      pumps.push(peer.pump(Buffer.alloc(64 * 1024, 0x55), 16));
    }
    await waitFor(() => (sample(), peers.every((p) => p.isClosed())), 10_000, "the router to close every flooding connection");
    const taken = await within(Promise.all(pumps), 5000, "the floods to stop");
    const growth = rss() - before;
    expect(growth).toBeLessThan(100 * 1e6);
    expect(peak - before).toBeLessThan(100 * 1e6);
    expect(taken[0]).toBeLessThan(40 * MiB); // cut off long before the end
    await waitFor(() => drops.length === 10, 5000, "10 disconnect events");
    for (const d of drops) expect(d.reason).toMatch(/maxUnauthenticatedBytes/);
    expect(router.connectedPeers()).toHaveLength(0);
  }, 30_000);

  test("an authenticated peer sends large messages normally; unknown ids are not authenticated", async () => {
    const { router, endpoint, drops } = await guardedRouter({ maxMessageSize: 64 * MiB, frameOverhead: 64, maxFramesPerMessage: 1000 });
    const dealer = jar.add(new Dealer({ routingId: "worker-1" }));
    dealer.connect(endpoint);
    await dealer.send(["HELLO", "secret"]);
    const [id, ...hello] = await within(router.receive(), 5000, "hello");
    expect(text(hello)).toEqual(["HELLO", "secret"]);
    expect(router.connectedPeers()[0]?.authenticated).toBe(false);
    expect(router.authenticate(Buffer.from("nobody"))).toBe(false);
    expect(router.authenticate(id as Buffer)).toBe(true);
    expect(router.connectedPeers()[0]?.authenticated).toBe(true);
    const big = Buffer.alloc(8 * MiB, 0xab);
    await dealer.send(["RESULT", big, "tail"]);
    const [, kind, body, tail] = await within(router.receive(), 10_000, "the 8 MiB message");
    expect(kind?.toString()).toBe("RESULT");
    expect(body?.equals(big)).toBe(true);
    expect(tail?.toString()).toBe("tail");
    expect(drops).toHaveLength(0);
    await router.send([id as Buffer, "ok"]);
    expect(text(await within(dealer.receive()))).toEqual(["ok"]);
  }, 30_000);

  test("an unauthenticated peer's message over the budget drops it; a silent one goes at authenticationTimeout", async () => {
    const { router, endpoint, drops } = await guardedRouter({ authenticationTimeout: 200 });
    const talker = jar.add(new Dealer({ routingId: "talker", reconnectInterval: 60_000 }));
    talker.connect(endpoint);
    await talker.send(Buffer.alloc(32 * 1024));
    const mute = await silentPeer(endpoint);
    await within(mute.closed, 5000, "the silent peer to be dropped");
    await waitFor(() => drops.length === 2, 5000, "both drops");
    const reasons = drops.map((d) => d.reason).sort();
    expect(reasons[0]).toMatch(/not authenticated within authenticationTimeout \(200 ms\)/);
    expect(reasons[1]).toMatch(/maxUnauthenticatedBytes/);
    expect(drops.every((d) => d.handshaken)).toBe(true);
  });

  test("the authentication options need a ROUTER", () => {
    expect(() => new Dealer({ maxUnauthenticatedBytes: 16384 })).toThrow(TypeError);
    expect(() => new Dealer({ authenticationTimeout: 1000 })).toThrow(TypeError);
  });
});

describe("maxConnections", () => {
  test("incoming connections beyond the limit are closed at accept, before our greeting", async () => {
    const router = jar.add(new Router({ maxConnections: 2 }));
    await router.bind("tcp://127.0.0.1:0");
    const endpoint = router.lastEndpoint as string;
    const logs: string[] = [];
    const logged = jar.add(new Router({ maxConnections: 2, log: (l) => logs.push(l) }));
    await logged.bind("tcp://127.0.0.1:0");
    const first = await silentPeer(endpoint);
    const second = await silentPeer(endpoint);
    await waitFor(() => router.connectedPeers().length === 2, 5000, "two peers");
    const third = await rawConnect(endpoint);
    await within(third.closed, 5000, "the third connection to be closed");
    expect(third.received()).toHaveLength(0); // not even a greeting
    expect(first.isClosed() || second.isClosed()).toBe(false);
    first.end();
    await waitFor(() => router.connectedPeers().length === 1, 5000, "the first peer to leave");
    const fourth = await silentPeer(endpoint);
    await waitFor(() => router.connectedPeers().length === 2, 5000, "a new peer in the freed place");
    expect(fourth.isClosed()).toBe(false);
    // the refusal is logged
    const a = await rawConnect(logged.lastEndpoint as string);
    const b = await rawConnect(logged.lastEndpoint as string);
    const c = await rawConnect(logged.lastEndpoint as string);
    await within(c.closed, 5000, "refused");
    expect(logs.some((l) => /maxConnections \(2\) reached/.test(l))).toBe(true);
    a.end();
    b.end();
  });
});

describe("authorize: peers authenticated (or refused) at handshake by their READY metadata", () => {
  const verdict = (peer: { metadata: Map<string, Buffer> }) => {
    const key = peer.metadata.get("x-key")?.toString();
    return key === undefined ? false : key === "right" || `wrong key ${key}`;
  };

  test("a peer with the right key is authenticated from its first byte: a large first message passes a 16 KiB budget", async () => {
    const { router, endpoint, drops } = await guardedRouter({ authorize: verdict, maxMessageSize: 64 * MiB });
    const dealer = jar.add(new Dealer({ metadata: { "X-Key": "right" } }));
    dealer.connect(endpoint);
    const big = Buffer.alloc(4 * MiB, 0xcd);
    await dealer.send(["RESULT", big]);
    const [id, kind, body] = await within(router.receive(), 10_000, "the 4 MiB first message");
    expect(kind?.toString()).toBe("RESULT");
    expect(body?.equals(big)).toBe(true);
    const [peer] = router.connectedPeers();
    expect(peer?.authenticated).toBe(true);
    expect(peer?.metadata.get("x-key")?.toString()).toBe("right");
    await router.send([id as Buffer, "ok"]);
    expect(text(await within(dealer.receive()))).toEqual(["ok"]);
    expect(drops).toHaveLength(0);
  });

  test("a wrong key is refused at handshake: the peer reads EACCES with the reason and never completes its handshake", async () => {
    const { router, endpoint } = await guardedRouter({ authorize: verdict });
    const routerRefusals: SocketEventMap["handshake:error:auth"][] = [];
    router.events.on("handshake:error:auth", (e) => routerRefusals.push(e));
    const dealer = jar.add(new Dealer({ metadata: { "X-Key": "guess" }, reconnectInterval: 60_000 }));
    let handshaken = false;
    dealer.events.on("handshake", () => (handshaken = true));
    const refused = dealer.events.once("handshake:error:auth");
    dealer.connect(endpoint);
    const { error } = await within(refused, 5000, "the refusal");
    expect(error.code).toBe("EACCES");
    expect(error.message).toBe("peer refused our credentials: wrong key guess");
    expect(handshaken).toBe(false);
    await waitFor(() => routerRefusals.length === 1, 5000, "the router's event");
    expect(routerRefusals[0]!.error.message).toBe("peer not authorized: wrong key guess");
    expect(router.connectedPeers()).toHaveLength(0);
  });

  test("no key: false, so the unauthenticated phase applies (here: dropped at the time limit)", async () => {
    const { router, endpoint, drops } = await guardedRouter({ authorize: verdict, authenticationTimeout: 200 });
    const dealer = jar.add(new Dealer({ reconnectInterval: 60_000 }));
    dealer.connect(endpoint);
    await waitFor(() => drops.length === 1, 5000, "the drop");
    expect(drops[0]!.reason).toMatch(/not authenticated within authenticationTimeout/);
    expect(drops[0]!.handshaken).toBe(true);
    expect(router.connectedPeers()).toHaveLength(0);
  });

  test("option checks: authorize needs a ROUTER; metadata names need X-", () => {
    expect(() => new Dealer({ authorize: () => true })).toThrow(TypeError);
    expect(() => new Dealer({ metadata: { Key: "v" } })).toThrow(TypeError);
    expect(() => new Dealer({ metadata: { "X-Key": "v".repeat(9000) } })).toThrow(TypeError);
  });
});
