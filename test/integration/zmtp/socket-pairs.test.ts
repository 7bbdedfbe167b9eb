import { afterEach, describe, expect, test } from "bun:test";
import { Dealer, Reply, Request, Router, type SocketBase } from "../../../src/zmtp/index.ts";
import { SocketJar, text, waitFor, within } from "./helpers.ts";

const jar = new SocketJar();
afterEach(() => jar.closeAll());

async function bound<T extends SocketBase>(sock: T): Promise<string> {
  jar.add(sock);
  await sock.bind("tcp://127.0.0.1:0");
  const ep = sock.lastEndpoint as string;
  expect(ep).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
  expect(ep).not.toEndWith(":0");
  return ep;
}

describe("every compatible socket pair over TCP", () => {
  test("REQ -> REP lockstep with multipart", async () => {
    const rep = new Reply();
    const req = jar.add(new Request());
    req.connect(await bound(rep));
    for (let i = 0; i < 3; i++) {
      await req.send(["q", String(i)]);
      expect(text(await within(rep.receive()))).toEqual(["q", String(i)]);
      await rep.send(["a", String(i)]);
      expect(text(await within(req.receive()))).toEqual(["a", String(i)]);
    }
  });

  test("REQ and REP enforce the lockstep with EFSM", async () => {
    const rep = new Reply();
    const req = jar.add(new Request());
    req.connect(await bound(rep));
    await expect(req.receive()).rejects.toMatchObject({ code: "EFSM" });
    await expect(rep.send("nothing asked")).rejects.toMatchObject({ code: "EFSM" });
    await req.send("one");
    await expect(req.send("two")).rejects.toMatchObject({ code: "EFSM" });
    await within(rep.receive());
    await expect(rep.receive()).rejects.toMatchObject({ code: "EFSM" });
  });

  test("REQ -> ROUTER sees the empty delimiter envelope", async () => {
    const router = new Router();
    const req = jar.add(new Request({ routingId: "client-1" }));
    req.connect(await bound(router));
    await req.send("hello");
    const msg = await within(router.receive());
    expect(text(msg)).toEqual(["client-1", "", "hello"]);
    await router.send([msg[0] as Buffer, "", "world"]);
    expect(text(await within(req.receive()))).toEqual(["world"]);
  });

  test("DEALER -> REP needs the delimiter and gets it back", async () => {
    const rep = new Reply();
    const dealer = jar.add(new Dealer());
    dealer.connect(await bound(rep));
    await dealer.send(["", "ping", "2"]);
    expect(text(await within(rep.receive()))).toEqual(["ping", "2"]);
    await rep.send("pong");
    expect(text(await within(dealer.receive()))).toEqual(["", "pong"]);
  });

  test("DEALER <-> ROUTER with peer identity and a generated one", async () => {
    const router = new Router();
    const ep = await bound(router);
    const named = jar.add(new Dealer({ routingId: "named" }));
    const anon = jar.add(new Dealer());
    named.connect(ep);
    anon.connect(ep);
    await named.send(["a", "b"]);
    await anon.send("c");
    const got = [await within(router.receive()), await within(router.receive())];
    const fromNamed = got.find((m) => m[0]?.toString() === "named");
    const fromAnon = got.find((m) => m[0]?.toString() !== "named");
    expect(text(fromNamed as Buffer[]).slice(1)).toEqual(["a", "b"]);
    expect((fromAnon as Buffer[])[0]?.length).toBe(5);
    expect((fromAnon as Buffer[])[0]?.[0]).toBe(0);
    await router.send([(fromAnon as Buffer[])[0] as Buffer, "to-anon"]);
    await router.send(["named", "to-named"]);
    expect(text(await within(anon.receive()))).toEqual(["to-anon"]);
    expect(text(await within(named.receive()))).toEqual(["to-named"]);
  });

  test("DEALER <-> DEALER", async () => {
    const a = new Dealer();
    const b = jar.add(new Dealer());
    b.connect(await bound(a));
    await b.send(["x", "y"]);
    expect(text(await within(a.receive()))).toEqual(["x", "y"]);
    await a.send("z");
    expect(text(await within(b.receive()))).toEqual(["z"]);
  });

  test("ROUTER <-> ROUTER with a routing id assigned at connect", async () => {
    const server = new Router({ routingId: "server" });
    const client = jar.add(new Router({ routingId: "client" }));
    client.connect(await bound(server), { routingId: "srv" });
    await waitFor(() => client.connectedPeers().length === 1 && server.connectedPeers().length === 1);
    await client.send(["srv", "hi"]);
    expect(text(await within(server.receive()))).toEqual(["client", "hi"]);
    await server.send(["client", "back"]);
    expect(text(await within(client.receive()))).toEqual(["srv", "back"]);
  });

  test("incompatible socket types are refused at handshake; good peers still served", async () => {
    const rep = new Reply({ log: () => {} });
    const ep = await bound(rep);
    const errors: string[] = [];
    rep.events.on("handshake:error:protocol", (e) => errors.push(e.error.code));
    const router = jar.add(new Router()); // ROUTER may not talk to REP
    router.connect(ep);
    await waitFor(() => errors.length > 0, 5000, "REP to refuse a ROUTER");
    expect(errors[0]).toBe("ESOCKTNOSUPPORT");
    expect(rep.connectedPeers()).toHaveLength(0);
    const good = jar.add(new Request());
    good.connect(ep);
    await good.send("still works");
    expect(text(await within(rep.receive()))).toEqual(["still works"]);
    expect(rep.connectedPeers().map((p) => p.socketType)).toEqual(["REQ"]);
  });
});

describe("messages and routing", () => {
  test("1 MiB messages both ways, intact", async () => {
    const router = new Router();
    const dealer = jar.add(new Dealer());
    dealer.connect(await bound(router));
    const big = Buffer.alloc(1 << 20);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    await dealer.send([big, "tail"]);
    const msg = await within(router.receive());
    expect(msg[1]?.equals(big)).toBe(true);
    expect(msg[2]?.toString()).toBe("tail");
    await router.send([msg[0] as Buffer, big]);
    expect((await within(dealer.receive()))[0]?.equals(big)).toBe(true);
  });

  test("DEALER round-robins over peers and fair-queues replies", async () => {
    const r1 = new Router();
    const r2 = new Router();
    const dealer = jar.add(new Dealer());
    dealer.connect(await bound(r1));
    dealer.connect(await bound(r2));
    await waitFor(() => dealer.connectedPeers().length === 2);
    for (let i = 0; i < 10; i++) await dealer.send(String(i));
    const a: string[] = [];
    const b: string[] = [];
    for (let i = 0; i < 5; i++) {
      a.push((await within(r1.receive()))[1]?.toString() ?? "");
      b.push((await within(r2.receive()))[1]?.toString() ?? "");
    }
    expect(a.length + b.length).toBe(10);
    expect(new Set([...a, ...b]).size).toBe(10);
  });

  test("ROUTER drops messages to unknown ids, or rejects them when mandatory", async () => {
    const router = jar.add(new Router());
    await router.send(["nobody", "x"]); // dropped silently
    const strict = jar.add(new Router({ mandatory: true }));
    await expect(strict.send(["nobody", "x"])).rejects.toMatchObject({ code: "EHOSTUNREACH" });
  });

  test("ROUTER refuses a second peer with an identity already in use", async () => {
    const router = new Router({ log: () => {} });
    const ep = await bound(router);
    const first = jar.add(new Dealer({ routingId: "dup" }));
    first.connect(ep);
    await waitFor(() => router.connectedPeers().length === 1);
    const reasons: string[] = [];
    router.events.on("disconnect", (e) => reasons.push(e.reason));
    const second = jar.add(new Dealer({ routingId: "dup" }));
    second.connect(ep);
    await waitFor(() => reasons.length > 0);
    expect(reasons[0]).toMatch(/already in use/);
    await first.send("first still routed");
    expect(text(await within(router.receive()))).toEqual(["dup", "first still routed"]);
  });

  test("binds IPv6 loopback and host names", async () => {
    const v6 = jar.add(new Router());
    await v6.bind("tcp://[::1]:0");
    expect(v6.lastEndpoint).toMatch(/^tcp:\/\/\[::1\]:\d+$/);
    const d6 = jar.add(new Dealer());
    d6.connect(v6.lastEndpoint as string);
    await d6.send("v6");
    expect(text(await within(v6.receive())).slice(1)).toEqual(["v6"]);
    const named = jar.add(new Router());
    await named.bind("tcp://localhost:0");
    const port = (named.lastEndpoint as string).split(":").pop();
    const dn = jar.add(new Dealer());
    dn.connect(`tcp://localhost:${port}`);
    await dn.send("named");
    expect(text(await within(named.receive())).slice(1)).toEqual(["named"]);
  });

  test("bind errors and bad endpoints are reported, not thrown later", async () => {
    const a = jar.add(new Router());
    await a.bind("tcp://127.0.0.1:0");
    const b = jar.add(new Router());
    await expect(b.bind(a.lastEndpoint as string)).rejects.toMatchObject({ code: "EINVAL" });
    expect(() => b.connect("udp://x:1")).toThrow();
    await expect(b.bind("tcp://127.0.0.1")).rejects.toMatchObject({ code: "EINVAL" });
  });

  test("strings, Buffers, Uint8Arrays, numbers and null are frames", async () => {
    const a = new Dealer();
    const b = jar.add(new Dealer());
    b.connect(await bound(a));
    await b.send(["s", Buffer.from("b"), new Uint8Array([0x75]), 7, null]);
    expect(text(await within(a.receive()))).toEqual(["s", "b", "u", "7", ""]);
  });
});
