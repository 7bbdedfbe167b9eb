import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Dealer, Reply, Request, Router } from "../../../src/zmtp/index.ts";
import { SocketJar, text, waitFor, within } from "./helpers.ts";

const jar = new SocketJar();
afterEach(() => jar.closeAll());
const dir = mkdtempSync(join(tmpdir(), "zmtp-ipc-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => `ipc://${join(dir, `s${++n}.sock`)}`;

describe("ipc:// transport (unix domain sockets)", () => {
  test("REQ -> REP and DEALER <-> ROUTER over a socket file; lastEndpoint is the ipc endpoint", async () => {
    const ep = fresh();
    const rep = jar.add(new Reply());
    await rep.bind(ep);
    expect(rep.lastEndpoint).toBe(ep);
    expect(statSync(ep.slice(6)).isSocket()).toBe(true);
    const req = jar.add(new Request());
    req.connect(ep);
    await req.send(["q", "1"]);
    expect(text(await within(rep.receive()))).toEqual(["q", "1"]);
    await rep.send("a");
    expect(text(await within(req.receive()))).toEqual(["a"]);

    const ep2 = fresh();
    const router = jar.add(new Router());
    await router.bind(ep2);
    const dealer = jar.add(new Dealer({ routingId: "w1" }));
    dealer.connect(ep2);
    await dealer.send(["hello", Buffer.alloc(200_000, 7)]);
    const [id, hello, big] = await within(router.receive());
    expect(id?.toString()).toBe("w1");
    expect(hello?.toString()).toBe("hello");
    expect(big?.length).toBe(200_000);
    await router.send(["w1", "back"]);
    expect(text(await within(dealer.receive()))).toEqual(["back"]);
    const peers = router.connectedPeers();
    expect(peers[0]?.address).toBe(ep2);
  });

  test("connect before bind works, and a peer reconnects after the binder restarts", async () => {
    const ep = fresh();
    const dealer = jar.add(new Dealer({ reconnectInterval: 20 }));
    dealer.connect(ep);
    const r1 = new Router();
    await r1.bind(ep);
    await dealer.send("one");
    expect(text(await within(r1.receive())).slice(1)).toEqual(["one"]);
    r1.close();
    const r2 = jar.add(new Router());
    await r2.bind(ep);
    await waitFor(() => r2.connectedPeers().length === 1, 5000, "reconnect over ipc");
    await dealer.send("two");
    expect(text(await within(r2.receive())).slice(1)).toEqual(["two"]);
  });

  test("close removes the socket file; a stale file is replaced; a live one is refused with EADDRINUSE", async () => {
    const ep = fresh();
    const path = ep.slice("ipc://".length);
    const a = new Router();
    await a.bind(ep);
    const b = jar.add(new Router());
    await expect(b.bind(ep)).rejects.toMatchObject({ code: "EADDRINUSE" });
    a.close();
    expect(existsSync(path)).toBe(false);

    // A socket file nobody listens on (left by a killed process) is taken over.
    const stale = Bun.listen({ unix: path, socket: { data() {} } });
    stale.stop(true);
    writeFileSync(join(dir, "plain-file"), "x");
    const c = jar.add(new Router());
    await c.bind(ep);
    const d = jar.add(new Dealer());
    d.connect(ep);
    await d.send("ok");
    expect(text(await within(c.receive())).slice(1)).toEqual(["ok"]);
    // A path that is a regular file is not deleted: bind fails instead.
    await expect(jar.add(new Router()).bind(`ipc://${join(dir, "plain-file")}`)).rejects.toMatchObject({ code: "EINVAL" });
    expect(existsSync(join(dir, "plain-file"))).toBe(true);
  });
});
