/** DEALER->ROUTER echo benchmark: our ZMTP on Bun vs libzmq (zeromq.js) on Node; prints msgs/s and round-trip p50/p99. */
// Usage: bun perf/zmtp-echo.ts            (the ROUTER echo server runs in a child process for both stacks)
//        bun perf/zmtp-echo.ts --curve    (both stacks under CURVE, plus ours under NULL; prints the ratios)
import { Dealer, Router, type SocketOptions, curveKeyPair } from "../src/zmtp/index.ts";

interface Result {
  msgsPerSec: number;
  p50: number; // microseconds
  p99: number; // microseconds
}

const CASES = [
  { label: "16 B", size: 16, count: 100_000, window: 100, pings: 5_000 },
  { label: "64 KiB", size: 64 * 1024, count: 5_000, window: 16, pings: 1_000 },
];

if (process.argv[2] === "server") {
  const router = new Router(JSON.parse(process.argv[3] ?? "{}") as SocketOptions);
  await router.bind("tcp://127.0.0.1:0");
  console.log(JSON.stringify({ endpoint: router.lastEndpoint }));
  for await (const msg of router) await router.send(msg);
} else {
  await main();
}

async function main(): Promise<void> {
  const curve = process.argv.includes("--curve");
  const serverKeys = curveKeyPair();
  const clientKeys = curveKeyPair();
  const serverOptions = curve ? { curveServer: true, curveSecretKey: serverKeys.secretKey } : {};
  const clientOptions = curve ? { curveServerKey: serverKeys.publicKey, curvePublicKey: clientKeys.publicKey, curveSecretKey: clientKeys.secretKey } : {};
  const mech = curve ? " CURVE" : "";
  const rows: string[][] = [["stack", "size", "msgs/s", "rtt p50 (µs)", "rtt p99 (µs)"]];
  const ratios: string[] = [];
  for (const c of CASES) {
    const ours = await withServer(["bun", import.meta.path, "server", JSON.stringify(serverOptions)], async (ep) => {
      const dealer = new Dealer(clientOptions);
      dealer.connect(ep);
      try {
        return await measure(dealer, c.size, c.count, c.window, c.pings);
      } finally {
        dealer.close();
      }
    });
    rows.push([`ours${mech} (Bun)`, c.label, fmt(ours.msgsPerSec), fmt(ours.p50), fmt(ours.p99)]);
    const peer = `${import.meta.dir}/zmtp-echo-peer.mjs`;
    const libzmq = await withServer(["node", peer, "server", JSON.stringify(serverOptions)], async (ep) => {
      const args = [String(c.size), String(c.count), String(c.window), String(c.pings), JSON.stringify(clientOptions)];
      const proc = Bun.spawn(["node", peer, "client", ep, ...args], {
        stdout: "pipe",
        stderr: "inherit",
      });
      const out = await new Response(proc.stdout).text();
      await proc.exited;
      return JSON.parse(out) as Result;
    });
    rows.push([`libzmq${mech} (Node)`, c.label, fmt(libzmq.msgsPerSec), fmt(libzmq.p50), fmt(libzmq.p99)]);
    ratios.push(`${c.label}: ours${mech} / libzmq${mech} = ${(ours.msgsPerSec / libzmq.msgsPerSec).toFixed(2)}x`);
    if (curve) {
      // the price of CURVE on our side: the same run under NULL
      const plain = await withServer(["bun", import.meta.path, "server"], async (ep) => {
        const dealer = new Dealer();
        dealer.connect(ep);
        try {
          return await measure(dealer, c.size, c.count, c.window, c.pings);
        } finally {
          dealer.close();
        }
      });
      rows.push(["ours NULL (Bun)", c.label, fmt(plain.msgsPerSec), fmt(plain.p50), fmt(plain.p99)]);
      ratios.push(`${c.label}: ours CURVE / ours NULL = ${(ours.msgsPerSec / plain.msgsPerSec).toFixed(2)}x`);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((cell, i) => cell.padStart(widths[i]!)).join("  "));
  for (const line of ratios) console.log(line);
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1);
}

/** Starts an echo server child, runs `fn` against its endpoint, then kills the child. */
async function withServer<T>(cmd: string[], fn: (endpoint: string) => Promise<T>): Promise<T> {
  const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "inherit" });
  try {
    const reader = proc.stdout.getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`${cmd.join(" ")} exited before printing its endpoint`);
      text += new TextDecoder().decode(value);
    }
    reader.releaseLock();
    return await fn((JSON.parse(text.split("\n")[0]!) as { endpoint: string }).endpoint);
  } finally {
    proc.kill();
    await proc.exited;
  }
}

/** A pipelined window of `window` requests for `count` round trips, then `pings` sequential round trips. */
async function measure(sock: Dealer, size: number, count: number, window: number, pings: number): Promise<Result> {
  const payload = Buffer.alloc(size, 7);
  for (let i = 0; i < 100; i++) {
    await sock.send(payload);
    await sock.receive();
  }
  let inflight = 0;
  let wake = null as (() => void) | null;
  const t0 = performance.now();
  const receiver = (async () => {
    for (let i = 0; i < count; i++) {
      await sock.receive();
      inflight--;
      if (wake) {
        const w = wake;
        wake = null;
        w();
      }
    }
  })();
  for (let i = 0; i < count; i++) {
    if (inflight >= window) await new Promise<void>((r) => (wake = r));
    inflight++;
    await sock.send(payload);
  }
  await receiver;
  const seconds = (performance.now() - t0) / 1000;
  const rtts: number[] = [];
  for (let i = 0; i < pings; i++) {
    const s = performance.now();
    await sock.send(payload);
    await sock.receive();
    rtts.push((performance.now() - s) * 1000);
  }
  rtts.sort((a, b) => a - b);
  return { msgsPerSec: count / seconds, p50: rtts[Math.floor(pings * 0.5)] ?? 0, p99: rtts[Math.floor(pings * 0.99)] ?? 0 };
}
