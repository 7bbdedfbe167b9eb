import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Dealer, Reply, Request, Router } from "../../src/zmtp/index.ts";
import { SocketJar, text, waitFor, within } from "../integration/zmtp/helpers.ts";
import { killAllPeers, startZmqPeer } from "./zmq-peer.ts";

// Interop with real libzmq 4.3 (zeromq.js under Node, spawned as a child process).
const jar = new SocketJar();
afterEach(() => {
  jar.closeAll();
  killAllPeers();
});
const ipcDir = mkdtempSync(join(tmpdir(), "zmtp-interop-"));
afterAll(() => {
  killAllPeers();
  rmSync(ipcDir, { recursive: true, force: true });
});

const ANY = "tcp://127.0.0.1:*";
const MIB = Buffer.alloc(1 << 20);
for (let i = 0; i < MIB.length; i++) MIB[i] = (i * 7) & 0xff;

async function ours<T extends Dealer | Router | Request | Reply>(sock: T): Promise<string> {
  jar.add(sock);
  await sock.bind("tcp://127.0.0.1:0");
  return sock.lastEndpoint as string;
}

describe("DEALER <-> ROUTER", () => {
  test("our DEALER to libzmq ROUTER: identity, multipart, 1 MiB both ways", async () => {
    const peer = await startZmqPeer("Router", "bind", ANY);
    const dealer = jar.add(new Dealer({ routingId: "bun-dealer" }));
    dealer.connect(peer.endpoint);
    await dealer.send(["a", "", "c"]);
    expect(text(await within(peer.recv()))).toEqual(["bun-dealer", "a", "", "c"]);
    await dealer.send([MIB, "end"]);
    const big = await within(peer.recv());
    expect(big[1]?.equals(MIB)).toBe(true);
    await peer.send(["bun-dealer", MIB, "x"]);
    const back = await within(dealer.receive());
    expect(back[0]?.equals(MIB)).toBe(true);
    expect(back[1]?.toString()).toBe("x");
  });

  test("libzmq DEALER to our ROUTER: routing by libzmq identity and by generated id", async () => {
    const router = new Router();
    const ep = await ours(router);
    const named = await startZmqPeer("Dealer", "connect", ep, { routingId: "node-dealer" });
    const anon = await startZmqPeer("Dealer", "connect", ep);
    await named.send(["m1", "m2"]);
    expect(text(await within(router.receive()))).toEqual(["node-dealer", "m1", "m2"]);
    await anon.send(["anon"]);
    const fromAnon = await within(router.receive());
    expect(fromAnon[0]?.length).toBe(5);
    await router.send([fromAnon[0] as Buffer, "to-anon"]);
    await router.send(["node-dealer", "to-named"]);
    expect(text(await within(anon.recv()))).toEqual(["to-anon"]);
    expect(text(await within(named.recv()))).toEqual(["to-named"]);
  });
});

describe("REQ <-> REP", () => {
  test("our REQ to libzmq REP", async () => {
    const peer = await startZmqPeer("Reply", "bind", ANY);
    const req = jar.add(new Request());
    req.connect(peer.endpoint);
    await req.send(["question", "2"]);
    expect(text(await within(peer.recv()))).toEqual(["question", "2"]);
    await peer.send(["answer"]);
    expect(text(await within(req.receive()))).toEqual(["answer"]);
  });

  test("libzmq REQ to our REP, 1 MiB request", async () => {
    const rep = new Reply();
    const peer = await startZmqPeer("Request", "connect", await ours(rep));
    await peer.send([MIB]);
    expect((await within(rep.receive()))[0]?.equals(MIB)).toBe(true);
    await rep.send(["ok", "done"]);
    expect(text(await within(peer.recv()))).toEqual(["ok", "done"]);
  });
});

describe("REQ <-> ROUTER and DEALER <-> REP", () => {
  test("our REQ to libzmq ROUTER", async () => {
    const peer = await startZmqPeer("Router", "bind", ANY);
    const req = jar.add(new Request({ routingId: "bun-req" }));
    req.connect(peer.endpoint);
    await req.send("hi");
    expect(text(await within(peer.recv()))).toEqual(["bun-req", "", "hi"]);
    await peer.send(["bun-req", "", "hello"]);
    expect(text(await within(req.receive()))).toEqual(["hello"]);
  });

  test("libzmq REQ to our ROUTER", async () => {
    const router = new Router();
    const peer = await startZmqPeer("Request", "connect", await ours(router), { routingId: "node-req" });
    await peer.send(["hi"]);
    expect(text(await within(router.receive()))).toEqual(["node-req", "", "hi"]);
    await router.send(["node-req", "", "hello"]);
    expect(text(await within(peer.recv()))).toEqual(["hello"]);
  });

  test("our DEALER to libzmq REP", async () => {
    const peer = await startZmqPeer("Reply", "bind", ANY);
    const dealer = jar.add(new Dealer());
    dealer.connect(peer.endpoint);
    await dealer.send(["", "q"]);
    expect(text(await within(peer.recv()))).toEqual(["q"]);
    await peer.send(["a"]);
    expect(text(await within(dealer.receive()))).toEqual(["", "a"]);
  });

  test("libzmq DEALER to our REP", async () => {
    const rep = new Reply();
    const peer = await startZmqPeer("Dealer", "connect", await ours(rep));
    await peer.send(["", "q1", "q2"]);
    expect(text(await within(rep.receive()))).toEqual(["q1", "q2"]);
    await rep.send("a");
    expect(text(await within(peer.recv()))).toEqual(["", "a"]);
  });

  test("an incompatible libzmq peer (REP to our ROUTER) is refused", async () => {
    const router = new Router({ log: () => {} });
    const errors: string[] = [];
    router.events.on("handshake:error:protocol", (e) => errors.push(e.error.code));
    await startZmqPeer("Reply", "connect", await ours(router));
    await waitFor(() => errors.length > 0, 5000, "refusal");
    expect(errors[0]).toBe("ESOCKTNOSUPPORT");
  });
});

describe("heartbeats against libzmq", () => {
  test("libzmq PINGs us; we answer, so it keeps the connection", async () => {
    const peer = await startZmqPeer("Router", "bind", ANY, { heartbeatInterval: 25, heartbeatTimeout: 75, heartbeatTimeToLive: 300 });
    const dealer = jar.add(new Dealer({ routingId: "hb" }));
    let disconnects = 0;
    dealer.events.on("disconnect", () => disconnects++);
    dealer.connect(peer.endpoint);
    await waitFor(() => (dealer.connectedPeers()[0]?.stats.pingsReceived ?? 0) >= 8, 5000, "8 PINGs from libzmq");
    expect(disconnects).toBe(0);
    await dealer.send("alive");
    expect(text(await within(peer.recv()))).toEqual(["hb", "alive"]);
    expect(await peer.events()).not.toContain("disconnect");
  });

  test("we PING libzmq with a TTL; it answers PONG", async () => {
    const router = new Router({ heartbeatInterval: 25, heartbeatTimeout: 75, heartbeatTimeToLive: 500 });
    const ep = await ours(router);
    let disconnects = 0;
    router.events.on("disconnect", () => disconnects++);
    const peer = await startZmqPeer("Dealer", "connect", ep, { routingId: "z" });
    await waitFor(() => (router.connectedPeers()[0]?.stats.pongsReceived ?? 0) >= 8, 5000, "8 PONGs from libzmq");
    expect(disconnects).toBe(0);
    await peer.send(["still here"]);
    expect(text(await within(router.receive()))).toEqual(["z", "still here"]);
  });

  test("when the libzmq peer process dies, the disconnect is reported at once", async () => {
    const router = new Router({ heartbeatInterval: 25, heartbeatTimeout: 75 });
    const ep = await ours(router);
    const reasons: string[] = [];
    router.events.on("disconnect", (e) => reasons.push(e.reason));
    const peer = await startZmqPeer("Dealer", "connect", ep);
    await waitFor(() => router.connectedPeers().length === 1, 5000, "handshake");
    peer.kill(); // SIGTERM: the OS closes the TCP connection
    await waitFor(() => reasons.length > 0, 5000, "disconnect");
    expect(router.connectedPeers()).toHaveLength(0);
  });
});

describe("ipc:// transport", () => {
  test("our DEALER to a libzmq ROUTER bound on ipc://, and a libzmq DEALER to our ROUTER on ipc://", async () => {
    const theirs = `ipc://${join(ipcDir, "libzmq.sock")}`;
    const peer = await startZmqPeer("Router", "bind", theirs);
    const dealer = jar.add(new Dealer({ routingId: "bun-ipc" }));
    dealer.connect(theirs);
    await dealer.send(["over", MIB]);
    const got = await within(peer.recv());
    expect(got[0]?.toString()).toBe("bun-ipc");
    expect(got[2]?.equals(MIB)).toBe(true);
    await peer.send(["bun-ipc", "reply"]);
    expect(text(await within(dealer.receive()))).toEqual(["reply"]);

    const mine = `ipc://${join(ipcDir, "ours.sock")}`;
    const router = jar.add(new Router());
    await router.bind(mine);
    const node = await startZmqPeer("Dealer", "connect", mine, { routingId: "node-ipc" });
    await node.send(["hi"]);
    expect(text(await within(router.receive()))).toEqual(["node-ipc", "hi"]);
    await router.send(["node-ipc", "back"]);
    expect(text(await within(node.recv()))).toEqual(["back"]);
  });
});
