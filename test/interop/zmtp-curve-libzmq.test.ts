import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { Dealer, Reply, Request, Router, curveKeyPair } from "../../src/zmtp/index.ts";
import { SocketJar, text, waitFor, within } from "../integration/zmtp/helpers.ts";
import { killAllPeers, startZmqPeer } from "./zmq-peer.ts";

// CURVE interop with real libzmq 4.3 (zeromq.js under Node): both roles, both directions, and the refusals.
const jar = new SocketJar();
afterEach(() => {
  jar.closeAll();
  killAllPeers();
});
afterAll(killAllPeers);

const ANY = "tcp://127.0.0.1:*";
const server = curveKeyPair();
const client = curveKeyPair();
const clientOptions = { curveServerKey: server.publicKey, curvePublicKey: client.publicKey, curveSecretKey: client.secretKey };
const serverOptions = { curveServer: true, curveSecretKey: server.secretKey };
const BIG = Buffer.alloc(300_000);
for (let i = 0; i < BIG.length; i++) BIG[i] = (i * 13) & 0xff;

async function ours<T extends Router | Reply>(sock: T): Promise<string> {
  jar.add(sock);
  await sock.bind("tcp://127.0.0.1:0");
  return sock.lastEndpoint as string;
}

describe("CURVE with libzmq", () => {
  test("libzmq DEALER (client) to our ROUTER (server): multipart, 300 kB, replies; authorize sees its public key", async () => {
    const keys: Array<string | null> = [];
    const router = new Router({ ...serverOptions, authorize: (peer) => (keys.push(peer.publicKey), true) });
    const peer = await startZmqPeer("Dealer", "connect", await ours(router), { routingId: "node-curve", ...clientOptions });
    await peer.send(["a", "", "c"]);
    expect(text(await within(router.receive()))).toEqual(["node-curve", "a", "", "c"]);
    expect(keys).toEqual([client.publicKey]);
    await router.send(["node-curve", BIG, "x"]);
    const back = await within(peer.recv());
    expect(back[0]?.equals(BIG)).toBe(true);
    expect(back[1]?.toString()).toBe("x");
    await peer.send([BIG]);
    expect((await within(router.receive()))[1]?.equals(BIG)).toBe(true);
  });

  test("our DEALER (client) to libzmq ROUTER (server), with heartbeats both ways", async () => {
    const peer = await startZmqPeer("Router", "bind", ANY, { ...serverOptions, heartbeatInterval: 50 });
    const dealer = jar.add(new Dealer({ routingId: "bun-curve", heartbeatInterval: 50, ...clientOptions }));
    dealer.connect(peer.endpoint);
    await dealer.send(["m1", BIG]);
    const got = await within(peer.recv());
    expect(got[0]?.toString()).toBe("bun-curve");
    expect(got[2]?.equals(BIG)).toBe(true);
    await waitFor(() => (dealer.connectedPeers()[0]?.stats.pongsReceived ?? 0) >= 2 && (dealer.connectedPeers()[0]?.stats.pingsReceived ?? 0) >= 2, 5000, "PINGs and PONGs both ways");
    await peer.send(["bun-curve", "reply"]);
    expect(text(await within(dealer.receive()))).toEqual(["reply"]);
  });

  test("our REQ to libzmq REP, and libzmq REQ to our REP", async () => {
    const rep = await startZmqPeer("Reply", "bind", ANY, serverOptions);
    const req = jar.add(new Request(clientOptions));
    req.connect(rep.endpoint);
    await req.send(["q"]);
    expect(text(await within(rep.recv()))).toEqual(["q"]);
    await rep.send(["a"]);
    expect(text(await within(req.receive()))).toEqual(["a"]);

    const ourRep = new Reply(serverOptions);
    const theirReq = await startZmqPeer("Request", "connect", await ours(ourRep), clientOptions);
    await theirReq.send(["question"]);
    expect(text(await within(ourRep.receive()))).toEqual(["question"]);
    await ourRep.send(["answer"]);
    expect(text(await within(theirReq.recv()))).toEqual(["answer"]);
  });

  test("a libzmq client with the wrong server key never gets a message through", async () => {
    const router = new Router(serverOptions);
    const errors: string[] = [];
    router.events.on("handshake:error:protocol", (e) => errors.push(e.error.message));
    const peer = await startZmqPeer("Dealer", "connect", await ours(router), { ...clientOptions, curveServerKey: curveKeyPair().publicKey });
    await waitFor(() => errors.length > 0, 5000, "refused HELLO");
    expect(errors[0]).toContain("HELLO does not authenticate");
    expect(router.connectedPeers()).toHaveLength(0);
  });

  test("our client with the wrong server key is refused by libzmq and delivers nothing", async () => {
    const peer = await startZmqPeer("Router", "bind", ANY, serverOptions);
    const dealer = jar.add(new Dealer({ ...clientOptions, curveServerKey: curveKeyPair().publicKey }));
    let disconnects = 0;
    dealer.events.on("disconnect", () => disconnects++);
    dealer.connect(peer.endpoint);
    await waitFor(() => disconnects > 0, 5000, "libzmq to drop us");
    expect(dealer.connectedPeers()).toHaveLength(0);
    expect(await peer.events()).toContain("handshake:error:protocol");
  });

  test("an unknown libzmq client key is refused by our authorize hook (400 ERROR, no message)", async () => {
    const router = new Router({ ...serverOptions, authorize: (peer) => (peer.publicKey === client.publicKey ? true : "unknown key") });
    const refused: string[] = [];
    router.events.on("handshake:error:auth", (e) => refused.push(e.error.message));
    const stranger = curveKeyPair();
    const peer = await startZmqPeer("Dealer", "connect", await ours(router), { ...clientOptions, curvePublicKey: stranger.publicKey, curveSecretKey: stranger.secretKey });
    await waitFor(() => refused.length > 0, 5000, "refusal");
    expect(refused[0]).toContain("unknown key");
    expect(router.connectedPeers()).toHaveLength(0);
    expect(await peer.events()).not.toContain("handshake");
  });

  test("a NULL libzmq peer cannot talk to our CURVE ROUTER, nor our NULL DEALER to a libzmq CURVE server", async () => {
    // whichever side reads the other's greeting first drops the connection; no handshake, no message
    const router = new Router(serverOptions);
    const dropped: boolean[] = [];
    router.events.on("disconnect", (e) => dropped.push(e.handshaken));
    const plain = await startZmqPeer("Dealer", "connect", await ours(router));
    await waitFor(() => dropped.length > 0, 5000, "mechanism mismatch");
    expect(dropped).not.toContain(true);
    expect(await plain.events()).not.toContain("handshake");

    const peer = await startZmqPeer("Router", "bind", ANY, serverOptions);
    const dealer = jar.add(new Dealer());
    const gone: boolean[] = [];
    dealer.events.on("disconnect", (e) => gone.push(e.handshaken));
    dealer.connect(peer.endpoint);
    await waitFor(() => gone.length > 0, 5000, "mechanism mismatch");
    expect(gone).not.toContain(true);
    expect(await peer.events()).not.toContain("handshake");
  });
});
