// The dispatcher port of the compiled binary under hostile peers (pull and push): floods before authentication,
// unauthenticated and wrongly authenticated connections, the connection cap; afterwards it still serves tasks.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { FaasClient } from "../../src/client/index.ts";
import { encodeReady } from "../../src/zmtp/command.ts";
import { encodeGreeting } from "../../src/zmtp/greeting.ts";
import { type RawPeer, rawConnect } from "../integration/zmtp/raw-peer.ts";
import { copyBinary, eventually, spawnFaas, type FaasCopy, type FaasProcess } from "../support/faas-binary.ts";
import { startRedis, type TestRedis } from "../support/redis-server.ts";

const SECRET = "s3cret";
const MB = 1e6;
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
const GREETING = encodeGreeting("NULL", false);
/** A handshake as a worker's socket sends it, with these credentials (`version workerId secret`), or none. */
const handshake = (type: string, auth?: string) =>
  Buffer.concat([GREETING, encodeReady([["Socket-Type", type], ...(auth === undefined ? [] : [["X-Faas-Auth", auth] as const])])]);

/** Resident set size of a process, in bytes (VmRSS of /proc/<pid>/status). */
function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

let copy: FaasCopy;
let redis: TestRedis;
const procs: FaasProcess[] = [];
beforeAll(async () => {
  copy = copyBinary();
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop("SIGKILL")));
  await redis.stop();
  copy.remove();
});

function faas(args: string[]): FaasProcess {
  const p = spawnFaas(copy.bin, [...args, "--log-level", "warn"], copy.dir);
  procs.push(p);
  return p;
}

for (const mode of ["pull", "push"] as const) {
  describe(`${mode} mode: the dispatcher port before authentication`, () => {
    let dispatcher: FaasProcess;
    let endpoint: string;
    let client: FaasClient;
    const peerType = mode === "pull" ? "REQ" : "DEALER";
    beforeAll(async () => {
      Bun.spawnSync(["redis-cli", "-s", redis.socket, "FLUSHALL"]);
      dispatcher = faas(["dispatcher", "-m", mode, "-p", "0", "--redis", redis.url, "--secret", SECRET]);
      endpoint = (await dispatcher.waitFor(/ready dispatcher (tcp:\/\/\S+)/))[1]!;
      const api = faas(["api", "-p", "0", "--redis", redis.url]);
      client = new FaasClient({ baseUrl: (await api.waitFor(/ready api (\S+)/))[1]! });
    });

    /** A real worker joins, a task completes through the API, the worker leaves. */
    async function stillServes(tag: string): Promise<void> {
      const w = faas(["worker", mode, "1", endpoint, "--secret", SECRET]);
      try {
        await w.waitFor(/ready worker/);
        const fid = await client.register(`(x) => x + "-${tag}"`);
        const id = await client.execute(fid, ["ok"]);
        const r = await eventually(async () => {
          const r = await client.result(id, { wait: 5 });
          return r.status === "COMPLETED" || r.status === "FAILED" ? r : null;
        }, 30_000, "the task after the flood");
        expect(r).toMatchObject({ status: "COMPLETED", result: JSON.stringify(`ok-${tag}`) });
      } finally {
        await w.stop("SIGKILL");
      }
    }

    test("40 MiB of empty frames and 8 × a 250 MiB frame announced, from handshaken peers without credentials: RSS grows < 100 MB; then a task completes", async () => {
      const pid = dispatcher.proc.pid;
      const before = rssOf(pid);
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 20);
      const peers: RawPeer[] = [];
      const pumps: Promise<number>[] = [];
      try {
        // 40 MiB of empty MORE frames (one endless message), and as many empty single-frame messages
        for (const pattern of ["0100", "0000"]) {
          const peer = await rawConnect(endpoint);
          peer.write(handshake(peerType));
          peers.push(peer);
          pumps.push(peer.pump(Buffer.alloc(64 * 1024, hex(pattern)), 640));
        }
        // 8 connections announcing a 250 MiB frame, then 1 MiB of its body
        for (let i = 0; i < 8; i++) {
          const peer = await rawConnect(endpoint);
          peer.write(Buffer.concat([handshake(peerType), hex("02 000000000fa00000")]));
          peers.push(peer);
          pumps.push(peer.pump(Buffer.alloc(64 * 1024, 0x55), 16));
        }
        await eventually(async () => peers.every((p) => p.isClosed()), 15_000, "the dispatcher to close every flooding connection");
        const taken = await Promise.all(pumps);
        expect(taken[0]).toBeLessThan(40 * 1024 * 1024); // cut off long before the end
      } finally {
        clearInterval(sampler);
        for (const p of peers) p.end();
      }
      peak = Math.max(peak, rssOf(pid));
      console.log(`${mode}: dispatcher RSS ${(before / MB).toFixed(1)} MB before the flood, peak +${((peak - before) / MB).toFixed(1)} MB`);
      expect(peak - before).toBeLessThan(100 * MB);
      await stillServes("after-flood");
    }, 60_000);

    test("a handshaken connection without credentials is dropped within a few seconds; a wrong secret is refused at handshake (ERROR, no READY)", async () => {
      const silent = await rawConnect(endpoint);
      silent.write(handshake(peerType));
      const at = Date.now();
      await eventually(async () => silent.isClosed(), 10_000, "the silent connection to be dropped");
      const after = Date.now() - at;
      expect(after).toBeLessThan(5000);
      expect(silent.received().includes(Buffer.from("\x05READY", "latin1"))).toBe(true); // it was handshaken

      for (const [auth, reason] of [[`3 intruder wrong`, "400 wrong secret"], ["3 intruder ", "400 this dispatcher requires a secret"], ["2 old s3cret", "400 protocol version 2"]] as const) {
        const intruder = await rawConnect(endpoint);
        intruder.write(handshake(peerType, auth));
        await eventually(async () => intruder.isClosed(), 5000, `the ${auth} connection to be refused`);
        const got = intruder.received();
        expect(got.subarray(0, 10)).toEqual(GREETING.subarray(0, 10)); // the dispatcher's greeting …
        expect(got.includes(Buffer.from("\x05ERROR", "latin1"))).toBe(true); // … then ERROR …
        expect(got.includes(Buffer.from(reason, "latin1"))).toBe(true);
        expect(got.includes(Buffer.from("\x05READY", "latin1"))).toBe(false); // … and never its READY
      }
      console.log(`${mode}: a connection without credentials was dropped ${after} ms after its handshake`);
      await stillServes("after-intruders");
    }, 60_000);

    test("connections beyond the cap (4096) are closed at accept; once they go, a worker connects", async () => {
      const held: RawPeer[] = [];
      try {
        // Plain TCP connections that never send a byte: each holds a place until its handshake time limit.
        for (let i = 0; i < 4096; i += 256) held.push(...(await Promise.all(Array.from({ length: 256 }, () => rawConnect(endpoint)))));
        await eventually(async () => held.every((p) => p.received().length >= 10), 10_000, "every held connection to get the greeting");
        const extra = await rawConnect(endpoint);
        await eventually(async () => extra.isClosed(), 5000, "the connection over the cap to be closed");
        expect(extra.received()).toHaveLength(0); // closed before the greeting
      } finally {
        for (const p of held) p.end();
      }
      await eventually(async () => held.every((p) => p.isClosed()), 10_000, "the held connections to close");
      await stillServes("after-cap");
    }, 90_000);
  });
}
