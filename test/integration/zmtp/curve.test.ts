import { afterEach, describe, expect, test } from "bun:test";
import { readCounter } from "../../../src/zmtp/curve-codec.ts";
import { FrameDecoder } from "../../../src/zmtp/frame-decoder.ts";
import { Dealer, Router, curveKeyPair } from "../../../src/zmtp/index.ts";
import { recordingProxy, type TcpProxy } from "../../support/tcp-proxy.ts";
import { SocketJar, text, waitFor, within } from "./helpers.ts";

// CURVE between our own sockets over real TCP, through a recording proxy that can also replay a frame.
const jar = new SocketJar();
const proxies: TcpProxy[] = [];
afterEach(() => {
  jar.closeAll();
  for (const p of proxies.splice(0)) p.close();
});

const server = curveKeyPair();
const client = curveKeyPair();
const clientOptions = { curveServerKey: server.publicKey, curvePublicKey: client.publicKey, curveSecretKey: client.secretKey };

/** The frames (header + body) the client sent after its greeting. */
function framesOf(stream: Buffer): Array<{ raw: Buffer; command: boolean; body: Buffer }> {
  const decoder = new FrameDecoder();
  decoder.push(stream.subarray(64));
  const out: Array<{ raw: Buffer; command: boolean; body: Buffer }> = [];
  let at = 64;
  for (let f = decoder.next(); f !== null; f = decoder.next()) {
    const size = (f.body.length > 255 ? 9 : 2) + f.body.length;
    out.push({ raw: stream.subarray(at, at + size), command: f.command, body: f.body });
    at += size;
  }
  return out;
}

describe("CURVE between our sockets", () => {
  test("1,000 messages: MESSAGE nonces on the wire strictly increase; a replayed MESSAGE drops the connection and is never delivered", async () => {
    const router = jar.add(new Router({ curveServer: true, curveSecretKey: server.secretKey }));
    await router.bind("tcp://127.0.0.1:0");
    const p = await recordingProxy(router.lastEndpoint as string);
    proxies.push(p);
    const dealer = jar.add(new Dealer({ routingId: "d", ...clientOptions }));
    dealer.connect(p.endpoint);
    for (let i = 0; i < 1000; i++) await dealer.send(`plaintext-marker-${i}`);
    for (let i = 0; i < 1000; i++) expect(text(await within(router.receive()))).toEqual(["d", `plaintext-marker-${i}`]);

    const frames = framesOf(Buffer.concat(p.sent));
    expect(frames.slice(0, 2).map((f) => f.body.subarray(1, 1 + (f.body[0] as number)).toString())).toEqual(["HELLO", "INITIATE"]);
    const messages = frames.slice(2);
    expect(messages).toHaveLength(1000);
    for (const m of messages) {
      expect(m.command).toBe(false); // as libzmq: a plain frame whose body is the MESSAGE command
      expect(m.body.subarray(0, 8).toString("latin1")).toBe("\x07MESSAGE");
      expect(m.body.includes(Buffer.from("plaintext-marker"))).toBe(false); // no plaintext on the wire
    }
    const nonces = messages.map((m) => readCounter(m.body, 8));
    expect(new Set(nonces).size).toBe(1000);
    for (let i = 1; i < nonces.length; i++) expect(nonces[i] as number).toBeGreaterThan(nonces[i - 1] as number);

    const reasons: string[] = [];
    router.events.on("disconnect", (e) => reasons.push(e.reason));
    let handshakes = 0;
    dealer.events.on("handshake", () => handshakes++);
    p.inject(messages[999]?.raw as Buffer);
    await waitFor(() => reasons.length > 0, 5000, "the replay to drop the connection");
    expect(reasons[0]).toContain("replayed");
    // the dealer reconnects (a message sent before it notices the drop would be lost, as with libzmq);
    // the next message the router gets is the new one, never the replayed m999
    await waitFor(() => handshakes > 0, 10_000, "the dealer to reconnect");
    await dealer.send("after");
    expect(text(await within(router.receive(), 10_000))).toEqual(["d", "after"]);
  }, 30_000);

  test("an unknown client key is refused by authorize (EACCES on both sides), a known one is let in", async () => {
    const router = jar.add(new Router({ curveServer: true, curveSecretKey: server.secretKey, receiveTimeout: 300, authorize: (peer) => (peer.publicKey === client.publicKey ? true : "unknown key") }));
    await router.bind("tcp://127.0.0.1:0");
    const stranger = curveKeyPair();
    const bad = jar.add(new Dealer({ curveServerKey: server.publicKey, curveSecretKey: stranger.secretKey }));
    const refused: string[] = [];
    bad.events.on("handshake:error:auth", (e) => refused.push(e.error.message));
    bad.connect(router.lastEndpoint as string);
    void bad.send("intruder").catch(() => {});
    await waitFor(() => refused.length > 0, 5000, "the refusal");
    expect(refused[0]).toContain("unknown key");
    const good = jar.add(new Dealer({ routingId: "ok", ...clientOptions }));
    good.connect(router.lastEndpoint as string);
    await good.send("friend");
    expect(text(await within(router.receive()))).toEqual(["ok", "friend"]);
    expect(router.connectedPeers().map((peer) => peer.identity?.toString())).toEqual(["ok"]);
  });

  test("a NULL peer and a CURVE socket never handshake", async () => {
    const router = jar.add(new Router({ curveServer: true, curveSecretKey: server.secretKey }));
    await router.bind("tcp://127.0.0.1:0");
    const errors: string[] = [];
    router.events.on("handshake:error:protocol", (e) => errors.push(e.error.message));
    const plain = jar.add(new Dealer());
    plain.connect(router.lastEndpoint as string);
    await waitFor(() => errors.length > 0, 5000, "the mismatch");
    expect(errors[0]).toContain("mechanism mismatch");
    expect(router.connectedPeers()).toHaveLength(0);
  });
});
