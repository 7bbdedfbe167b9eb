import { afterEach, describe, expect, test } from "bun:test";
import { Dealer, Reply, Request, Router, type SocketEventMap } from "../../../src/zmtp/index.ts";
import { SocketJar, text, waitFor, within } from "./helpers.ts";
import { silentPeer } from "./raw-peer.ts";

const jar = new SocketJar();
afterEach(() => jar.closeAll());

/** Returns a port that was free a moment ago. */
async function freePort(): Promise<number> {
  const probe = new Router();
  await probe.bind("tcp://127.0.0.1:0");
  const port = Number((probe.lastEndpoint as string).split(":").pop());
  probe.close();
  return port;
}

describe("connection events", () => {
  test("connect, handshake (with peer type and identity) and disconnect with reason", async () => {
    const router = jar.add(new Router());
    await router.bind("tcp://127.0.0.1:0");
    const seen: string[] = [];
    const handshakes: SocketEventMap["handshake"][] = [];
    const disconnects: SocketEventMap["disconnect"][] = [];
    router.events.on("accept", () => seen.push("accept"));
    router.events.on("handshake", (e) => handshakes.push(e));
    router.events.on("disconnect", (e) => disconnects.push(e));
    const dealer = new Dealer({ routingId: "worker-7" });
    const dealerEvents: string[] = [];
    dealer.events.on("connect", () => dealerEvents.push("connect"));
    dealer.events.on("handshake", (e) => dealerEvents.push(`handshake:${e.peer.socketType}`));
    dealer.connect(router.lastEndpoint as string);
    await waitFor(() => handshakes.length === 1 && dealerEvents.length === 2);
    expect(seen).toEqual(["accept"]);
    expect(dealerEvents).toEqual(["connect", "handshake:ROUTER"]);
    expect(handshakes[0]?.peer.socketType).toBe("DEALER");
    expect(handshakes[0]?.peer.identity?.toString()).toBe("worker-7");
    expect(handshakes[0]?.peer.routingId?.toString()).toBe("worker-7");
    dealer.close();
    await waitFor(() => disconnects.length === 1, 5000, "disconnect event");
    expect(disconnects[0]?.reason).toMatch(/peer closed/);
    expect(disconnects[0]?.handshaken).toBe(true);
    expect(disconnects[0]?.peer.identity?.toString()).toBe("worker-7");
    expect(router.connectedPeers()).toHaveLength(0);
  });
});

describe("reconnect", () => {
  test("connect before bind works", async () => {
    const port = await freePort();
    const dealer = jar.add(new Dealer({ reconnectInterval: 20 }));
    const retries: number[] = [];
    dealer.events.on("connect:retry", (e) => retries.push(e.interval));
    dealer.connect(`tcp://127.0.0.1:${port}`);
    const sent = dealer.send("early"); // waits for a peer
    await waitFor(() => retries.length >= 1, 5000, "a failed attempt");
    const router = jar.add(new Router());
    await router.bind(`tcp://127.0.0.1:${port}`);
    await within(sent, 5000, "send after late bind");
    expect(text(await within(router.receive())).slice(1)).toEqual(["early"]);
  });

  test("reconnects after the peer restarts", async () => {
    const first = jar.add(new Router());
    await first.bind("tcp://127.0.0.1:0");
    const ep = first.lastEndpoint as string;
    const dealer = jar.add(new Dealer({ routingId: "d", reconnectInterval: 20 }));
    let handshakes = 0;
    let disconnects = 0;
    dealer.events.on("handshake", () => handshakes++);
    dealer.events.on("disconnect", () => disconnects++);
    dealer.connect(ep);
    await dealer.send("one");
    expect(text(await within(first.receive()))).toEqual(["d", "one"]);
    first.close();
    await waitFor(() => disconnects === 1, 5000, "dealer to notice the restart");
    const second = jar.add(new Router());
    await second.bind(ep);
    await waitFor(() => handshakes === 2, 5000, "reconnect");
    await dealer.send("two");
    expect(text(await within(second.receive()))).toEqual(["d", "two"]);
  });

  test("retry interval doubles up to reconnectMaxInterval", async () => {
    const port = await freePort();
    const dealer = jar.add(new Dealer({ reconnectInterval: 10, reconnectMaxInterval: 80 }));
    const intervals: number[] = [];
    dealer.events.on("connect:retry", (e) => intervals.push(e.interval));
    dealer.connect(`tcp://127.0.0.1:${port}`);
    await waitFor(() => intervals.length >= 6, 5000, "six retries");
    expect(intervals.slice(0, 6)).toEqual([10, 20, 40, 80, 80, 80]);
  });
});

describe("heartbeats", () => {
  test("a silent peer is disconnected after the heartbeat timeout", async () => {
    const router = jar.add(new Router({ heartbeatInterval: 30, heartbeatTimeout: 90 }));
    await router.bind("tcp://127.0.0.1:0");
    const reasons: string[] = [];
    router.events.on("disconnect", (e) => reasons.push(e.reason));
    let handshook = false;
    router.events.on("handshake", () => (handshook = true));
    const peer = await silentPeer(router.lastEndpoint as string);
    await waitFor(() => handshook, 5000, "handshake of the silent peer");
    await within(peer.closed, 5000, "router to drop the silent peer");
    expect(reasons[0]).toMatch(/heartbeat timeout/);
    // the bytes the silent peer got include our PING command: flags 0x04, size 0x07, "\x04PING", TTL
    expect(peer.received().includes(Buffer.from("\x04PING", "latin1"))).toBe(true);
  });

  test("the timeout runs from the first unanswered PING (1 s / 2.5 s): silent 2 s stays, silent for good goes by 3.5 s", async () => {
    const { encodePong } = await import("../../../src/zmtp/command.ts");
    const router = jar.add(new Router({ heartbeatInterval: 1000, heartbeatTimeout: 2500 }));
    await router.bind("tcp://127.0.0.1:0");
    const handshakeAt: number[] = [];
    const dropped = new Map<number, { at: number; reason: string }>(); // by connection id
    router.events.on("handshake", () => handshakeAt.push(performance.now()));
    router.events.on("disconnect", (e) => dropped.set(e.peer.connectionId, { at: performance.now(), reason: e.reason }));
    // `pauser` is quiet for 2 s, sends one PONG, is quiet 2 s again, ...; `mute` never says anything after READY
    const pauser = await silentPeer(router.lastEndpoint as string);
    await waitFor(() => handshakeAt.length === 1, 5000, "handshake of the pausing peer");
    const mute = await silentPeer(router.lastEndpoint as string);
    await waitFor(() => handshakeAt.length === 2, 5000, "handshake of the mute peer");
    const muteSince = handshakeAt[1] as number; // its last traffic (READY) came just before this
    const [pauserId, muteId] = router.connectedPeers().map((p) => p.connectionId) as [number, number];
    for (let round = 1; round <= 2; round++) {
      await Bun.sleep(2000); // the silence under test, not a wait for a condition
      expect(pauser.isClosed()).toBe(false);
      pauser.write(encodePong(Buffer.alloc(0)));
    }
    // ~4 s after the pauser's READY: the old rule (timeout from the latest PING) dropped it at ~3.5 s
    await within(mute.closed, Math.max(0, muteSince + 3500 + 500 - performance.now()), "mute peer dropped by 3.5 s (+0.5 s slack)");
    const muteDrop = dropped.get(muteId);
    expect(muteDrop?.reason).toMatch(/heartbeat timeout/);
    expect((muteDrop?.at ?? 0) - muteSince).toBeGreaterThanOrEqual(2500 - 5); // never before the timeout itself
    expect(dropped.has(pauserId)).toBe(false);
    expect(pauser.isClosed()).toBe(false);
    expect(router.connectedPeers().map((p) => p.connectionId)).toEqual([pauserId]);
  }, 15000);

  test("peers that answer PINGs stay connected past several timeouts", async () => {
    const router = jar.add(new Router({ heartbeatInterval: 20, heartbeatTimeout: 60 }));
    await router.bind("tcp://127.0.0.1:0");
    const dealer = jar.add(new Dealer({ heartbeatInterval: 20, heartbeatTimeout: 60 }));
    let disconnects = 0;
    router.events.on("disconnect", () => disconnects++);
    dealer.connect(router.lastEndpoint as string);
    await waitFor(() => (router.connectedPeers()[0]?.stats.pongsReceived ?? 0) >= 8, 5000, "8 PONGs");
    expect(disconnects).toBe(0);
    expect(dealer.connectedPeers()[0]?.stats.pingsReceived).toBeGreaterThanOrEqual(8);
  });

  test("the TTL we announce makes the peer drop us when we go quiet", async () => {
    // dealer asks the router to drop it after 100 ms of silence; the dealer then stops pinging (closed timer-less peer)
    const router = jar.add(new Router());
    await router.bind("tcp://127.0.0.1:0");
    const reasons: string[] = [];
    router.events.on("disconnect", (e) => reasons.push(e.reason));
    const { rawConnect } = await import("./raw-peer.ts");
    const { encodeGreeting } = await import("../../../src/zmtp/greeting.ts");
    const { encodeReady, encodePing } = await import("../../../src/zmtp/command.ts");
    const peer = await rawConnect(router.lastEndpoint as string);
    peer.write(Buffer.concat([encodeGreeting("NULL", false), encodeReady([["Socket-Type", "DEALER"]]), encodePing(1)]));
    await within(peer.closed, 5000, "TTL expiry");
    expect(reasons[0]).toMatch(/TTL of 100 ms expired/);
    expect(peer.received().includes(Buffer.from("\x04PONG", "latin1"))).toBe(true);
  });
});

describe("REQ relaxed mode", () => {
  test("a relaxed REQ may send again after its REP vanished", async () => {
    const rep = new Reply();
    await rep.bind("tcp://127.0.0.1:0");
    const ep = rep.lastEndpoint as string;
    const req = jar.add(new Request({ relaxed: true, reconnectInterval: 20 }));
    let gone = false;
    req.events.on("disconnect", () => (gone = true));
    req.connect(ep);
    await req.send("lost");
    await within(rep.receive());
    await expect(req.send("too early")).resolves.toBeUndefined(); // relaxed: no EFSM
    rep.close();
    await waitFor(() => gone, 5000, "REQ to notice the REP left");
    const rep2 = jar.add(new Reply());
    await rep2.bind(ep);
    await req.send("again");
    expect(text(await within(rep2.receive()))).toEqual(["again"]);
    await rep2.send("answer");
    expect(text(await within(req.receive()))).toEqual(["answer"]);
  });
});
