// A libzmq peer (zeromq.js under Node) driven by JSON lines on stdin, answering on stdout.
// argv: <Dealer|Router|Request|Reply> <bind|connect> <endpoint> [options-json]
// Commands: {"op":"send","frames":[b64..]} | {"op":"recv"} | {"op":"echo","count":n} | {"op":"close"}
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import path from "node:path";

const require = createRequire(path.join(process.cwd(), "package.json"));
const zmq = require("zeromq");

const [type, mode, endpoint, optionsJson] = process.argv.slice(2);
const options = optionsJson ? JSON.parse(optionsJson) : {};
const sock = new zmq[type]({ linger: 0, ...options });
const out = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);
const b64 = (frames) => frames.map((f) => Buffer.from(f).toString("base64"));

const events = [];
(async () => {
  for await (const ev of sock.events) events.push(ev.type);
})().catch(() => {});

if (mode === "bind") await sock.bind(endpoint);
else sock.connect(endpoint);
out({ ready: true, endpoint: sock.lastEndpoint ?? endpoint });

const queue = [];
let busy = false;
const rl = createInterface({ input: process.stdin });
rl.on("line", (line) => {
  queue.push(JSON.parse(line));
  if (!busy) pump();
});
rl.on("close", () => {
  sock.close();
  process.exit(0);
});

async function pump() {
  busy = true;
  while (queue.length > 0) {
    const cmd = queue.shift();
    try {
      if (cmd.op === "send") {
        await sock.send(cmd.frames.map((f) => Buffer.from(f, "base64")));
        out({ ok: true });
      } else if (cmd.op === "recv") {
        out({ frames: b64(await sock.receive()) });
      } else if (cmd.op === "echo") {
        for (let i = 0; i < cmd.count; i++) await sock.send(await sock.receive());
        out({ ok: true });
      } else if (cmd.op === "events") {
        out({ events });
      } else if (cmd.op === "close") {
        sock.close();
        out({ ok: true });
        process.exit(0);
      }
    } catch (err) {
      out({ error: String(err && err.message ? err.message : err) });
    }
  }
  busy = false;
}
