/** A lean HTTP/1.1 keep-alive client for the load generator: raw sockets, one request in flight per connection. */
import type { Socket } from "bun";

/** A parsed response. */
export interface HttpResponse {
  status: number;
  body: string;
}

interface Pending {
  head: string;
  body: Buffer | null;
  resolve(r: HttpResponse): void;
  reject(e: Error): void;
}

/**
 * Keeps up to `max` connections to one `http://host:port` origin and sends each request on an idle one. Built
 * because `fetch()` hands every request to Bun's HTTP client thread and back, which cost the load generator
 * 15 % of a 2-core machine it shares with the system under test; this client does the same HTTP/1.1 exchange
 * on the main thread with a fraction of the CPU. Responses must carry Content-Length or be chunked.
 */
export class HttpPool {
  private readonly host: string;
  private readonly port: number;
  private readonly idle: Conn[] = [];
  private readonly queue: Pending[] = [];
  private open = 0;

  /** `origin`: e.g. `http://127.0.0.1:8000`. `max`: connections at most. Default: 64. `headers`: sent with every request. */
  constructor(origin: string, private readonly max = 64, private readonly headers: Record<string, string> = {}) {
    const u = new URL(origin);
    if (u.protocol !== "http:") throw new Error(`HttpPool speaks plain http only (got ${origin})`);
    this.host = u.hostname;
    this.port = Number(u.port || 80);
  }

  /** Send one request; resolves with status and body text. */
  request(method: string, path: string, body?: string, contentType = "application/json"): Promise<HttpResponse> {
    const payload = body === undefined ? null : Buffer.from(body);
    let head = `${method} ${path} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\nConnection: keep-alive\r\n`;
    for (const [k, v] of Object.entries(this.headers)) head += `${k}: ${v}\r\n`;
    head += payload ? `Content-Type: ${contentType}\r\nContent-Length: ${payload.length}\r\n\r\n` : "\r\n";
    return new Promise((resolve, reject) => {
      this.queue.push({ head, body: payload, resolve, reject });
      this.pump();
    });
  }

  /** Close every connection. */
  close(): void {
    for (const c of this.idle.splice(0)) c.socket?.end();
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const conn = this.idle.pop();
      if (conn?.closed) continue; // the server closed it while idle
      if (conn) {
        conn.send(this.queue.shift()!);
        continue;
      }
      if (this.open >= this.max) return;
      this.open++;
      const c = new Conn(() => this.release(c), () => this.open--);
      c.connect(this.host, this.port).then(() => this.release(c), (err: Error) => {
        this.open--;
        this.queue.shift()?.reject(err);
      });
      return;
    }
  }

  private release(c: Conn): void {
    if (c.closed) return this.pump();
    this.idle.push(c);
    this.pump();
  }
}

/** One keep-alive connection. */
class Conn {
  socket: Socket<undefined> | null = null;
  closed = false;
  private current: Pending | null = null;
  private buf: Buffer = Buffer.alloc(0);
  private out: Buffer | null = null;

  constructor(private readonly onIdle: () => void, private readonly onGone: () => void) {}

  async connect(hostname: string, port: number): Promise<void> {
    this.socket = await Bun.connect({
      hostname, port,
      socket: {
        data: (_s, chunk) => this.onData(chunk),
        drain: () => this.flush(),
        close: () => this.fail(new Error("connection closed")),
        error: (_s, err) => this.fail(err),
      },
    });
    this.socket.setNoDelay(true);
  }

  send(p: Pending): void {
    this.current = p;
    this.out = p.body ? Buffer.concat([Buffer.from(p.head), p.body]) : Buffer.from(p.head);
    this.flush();
  }

  private flush(): void {
    if (!this.out || !this.socket) return;
    const n = this.socket.write(this.out);
    this.out = n >= this.out.length ? null : this.out.subarray(Math.max(0, n));
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const end = this.buf.indexOf("\r\n\r\n");
    if (end < 0 || !this.current) return;
    const head = this.buf.toString("latin1", 0, end);
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    let body: string;
    let used: number;
    if (length) {
      used = end + 4 + Number(length[1]);
      if (this.buf.length < used) return;
      body = this.buf.toString("utf8", end + 4, used);
    } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      const parsed = readChunked(this.buf, end + 4);
      if (!parsed) return;
      ({ body, used } = parsed);
    } else {
      return this.fail(new Error(`response without length: ${head.split("\r\n")[0]}`));
    }
    this.buf = this.buf.subarray(used);
    const p = this.current;
    this.current = null;
    p.resolve({ status, body });
    this.onIdle();
  }

  private fail(err: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.onGone();
    this.current?.reject(err);
    this.current = null;
  }
}

/** Decode a chunked body starting at `at`; null while incomplete. */
function readChunked(buf: Buffer, at: number): { body: string; used: number } | null {
  const parts: Buffer[] = [];
  for (;;) {
    const eol = buf.indexOf("\r\n", at);
    if (eol < 0) return null;
    const size = parseInt(buf.toString("latin1", at, eol), 16);
    const start = eol + 2;
    if (size === 0) {
      const tail = buf.indexOf("\r\n\r\n", eol);
      return tail < 0 ? null : { body: Buffer.concat(parts).toString("utf8"), used: tail + 4 };
    }
    if (buf.length < start + size + 2) return null;
    parts.push(buf.subarray(start, start + size));
    at = start + size + 2;
  }
}
