// libzmq side of perf/zmtp-echo.ts: zeromq.js under Node.
//   node perf/zmtp-echo-peer.mjs server [options-json]          -> prints {"endpoint"} then echoes forever
//   node perf/zmtp-echo-peer.mjs client <endpoint> <size> <count> <window> <pings> [options-json] -> prints one JSON result line
// options-json: socket options, e.g. the CURVE keys (curveServer, curveSecretKey / curveServerKey, curvePublicKey, ...)
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.cwd(), "package.json"));
const zmq = require("zeromq");
const [mode, endpoint, size, count, window, pings, clientJson] = process.argv.slice(2);

if (mode === "server") {
  const router = new zmq.Router({ linger: 0, ...JSON.parse(endpoint ?? "{}") });
  await router.bind("tcp://127.0.0.1:*");
  console.log(JSON.stringify({ endpoint: router.lastEndpoint }));
  for await (const msg of router) await router.send(msg);
} else {
  const dealer = new zmq.Dealer({ linger: 0, ...JSON.parse(clientJson ?? "{}") });
  dealer.connect(endpoint);
  const result = await measure(dealer, Number(size), Number(count), Number(window), Number(pings));
  console.log(JSON.stringify(result));
  dealer.close();
}

/** Same algorithm as measure() in perf/zmtp-echo.ts: a pipelined window, then sequential ping-pongs. */
async function measure(sock, size, count, window, pings) {
  const payload = Buffer.alloc(size, 7);
  for (let i = 0; i < 100; i++) {
    await sock.send(payload);
    await sock.receive();
  }
  let inflight = 0;
  let wake = null;
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
    if (inflight >= window) await new Promise((r) => (wake = r));
    inflight++;
    await sock.send(payload);
  }
  await receiver;
  const seconds = (performance.now() - t0) / 1000;
  const rtts = [];
  for (let i = 0; i < pings; i++) {
    const s = performance.now();
    await sock.send(payload);
    await sock.receive();
    rtts.push((performance.now() - s) * 1000);
  }
  rtts.sort((a, b) => a - b);
  return { msgsPerSec: count / seconds, p50: rtts[Math.floor(pings * 0.5)], p99: rtts[Math.floor(pings * 0.99)] };
}
