/** A raw HTTP/1.1 client over one TCP connection: writes a request head and body as a naive client would, reads the answer to EOF. */
import { connect } from "node:net";

/** What came back on the connection. */
export interface RawAnswer {
  /** The error writing the request hit (EPIPE, ECONNRESET: the server closed on unread data), if any. */
  writeError: string | undefined;
  status: number;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  body: string;
  /** The body as JSON, or undefined when it is not JSON. */
  json: any;
  /** True when the body has exactly the Content-Length the head announced. */
  complete: boolean;
}

/** Options of {@link rawRequest}. */
export interface RawRequestOptions {
  /** Extra header lines, e.g. `{ Host: "evil.example" }`. Host defaults to `127.0.0.1:PORT`; Connection to close. */
  headers?: Record<string, string>;
  /** Bytes sent after the head, in 64 KiB writes, each awaited, without waiting for any answer first. */
  body?: Uint8Array;
  /** Give up after this many ms. Default: 15000. */
  deadlineMs?: number;
}

/** Send `METHOD path` to 127.0.0.1:`port` and read until the server closes the connection. */
export function rawRequest(port: number, method: string, path: string, opts: RawRequestOptions = {}): Promise<RawAnswer> {
  const headers: Record<string, string> = { Host: `127.0.0.1:${port}`, Connection: "close", ...opts.headers };
  const head = `${method} ${path} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    const chunks: Buffer[] = [];
    let writeError: string | undefined;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer to ${method} ${path} within ${opts.deadlineMs ?? 15_000} ms`));
    }, opts.deadlineMs ?? 15_000);
    socket.on("data", (d: Buffer) => chunks.push(d));
    socket.on("error", (err) => {
      writeError ??= (err as NodeJS.ErrnoException).code ?? err.message;
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(parseAnswer(Buffer.concat(chunks), writeError));
    });
    const write = (data: Uint8Array) =>
      new Promise<void>((done) => {
        if (socket.destroyed || !socket.write(data)) socket.once("drain", done).once("close", done);
        else done();
      });
    void (async () => {
      await write(Buffer.from(head));
      const body = opts.body;
      if (body) for (let at = 0; at < body.byteLength && !socket.destroyed; at += 65_536) await write(body.subarray(at, at + 65_536));
    })();
  });
}

function parseAnswer(raw: Buffer, writeError: string | undefined): RawAnswer {
  const end = raw.indexOf("\r\n\r\n");
  const head = (end === -1 ? raw : raw.subarray(0, end)).toString("latin1").split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? "")?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const bodyBytes = end === -1 ? Buffer.alloc(0) : raw.subarray(end + 4);
  const body = bodyBytes.toString("utf8");
  let json: any;
  try {
    json = JSON.parse(body);
  } catch {}
  const complete = headers["content-length"] !== undefined && Number(headers["content-length"]) === bodyBytes.byteLength;
  return { writeError, status, headers, body, json, complete };
}

/**
 * POST `count` bodies of 5 MiB to `url + path` from python3's urllib (as the users' own clients do: no
 * `Expect: 100-continue`), and count the answers that were a complete 413 PAYLOAD_TOO_LARGE JSON error.
 * `stderr` holds what any other failure printed.
 */
export async function urllibOversizePosts(url: string, path: string, count = 20): Promise<{ ok: number; stderr: string }> {
  const script = `
import json, sys, urllib.request, urllib.error
ok = 0
for i in range(int(sys.argv[3])):
    req = urllib.request.Request(sys.argv[1] + sys.argv[2], data=b"a" * (5 << 20), method="POST", headers={"Content-Type": "application/json"})
    try:
        urllib.request.urlopen(req, timeout=10)
    except urllib.error.HTTPError as e:
        ok += e.code == 413 and json.loads(e.read())["error"]["code"] == "PAYLOAD_TOO_LARGE"
    except Exception as e:
        print(repr(e), file=sys.stderr)
print(ok)
`;
  const proc = Bun.spawn(["python3", "-c", script, url, path, String(count)], { stdout: "pipe", stderr: "pipe", timeout: 60_000 });
  const [out, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  return { ok: Number(out.trim()), stderr };
}
