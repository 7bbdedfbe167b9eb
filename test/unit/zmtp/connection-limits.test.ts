import { describe, expect, test } from "bun:test";
import { AuthenticationGate, UNAUTHENTICATED_FRAME_OVERHEAD } from "../../../src/zmtp/authentication-gate.ts";
import { authRefusal, type HandshakePeer } from "../../../src/zmtp/authorize.ts";
import { encodeError, encodeReady } from "../../../src/zmtp/command.ts";
import { Connection } from "../../../src/zmtp/connection.ts";
import type { ConnectionSettings } from "../../../src/zmtp/connection-settings.ts";
import { FrameDecoder } from "../../../src/zmtp/frame-decoder.ts";
import { encodeGreeting } from "../../../src/zmtp/greeting.ts";
import { NullMechanism } from "../../../src/zmtp/mechanism.ts";
import type { Stream } from "../../../src/zmtp/transport.ts";
import type { ZmtpError } from "../../../src/zmtp/zmtp-error.ts";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
const O = UNAUTHENTICATED_FRAME_OVERHEAD; // 64

const BASE: ConnectionSettings = {
  socketType: "ROUTER",
  maxMessageSize: -1,
  heartbeatInterval: 0,
  heartbeatTimeout: 0,
  heartbeatTimeToLive: 0,
  handshakeTimeout: 0,
  frameOverhead: 0,
  maxFramesPerMessage: 0,
  maxUnauthenticatedBytes: 0,
  authenticationTimeout: 0,
  authorize: null,
};

/** A Connection over an in-memory stream, fed bytes by the test; records what it delivers and how it ends. */
function harness(settings: Partial<ConnectionSettings>, holdReady = false) {
  const written: Buffer[] = [];
  const messages: string[][] = [];
  const end: { reason: string | null; error: ZmtpError | null; streamClosed: boolean } = { reason: null, error: null, streamClosed: false };
  const stream: Stream = {
    write: (d) => (written.push(Buffer.from(d)), d.length),
    close: () => (end.streamClosed = true),
    pause() {},
    resume() {},
    remoteAddress: "tcp://127.0.0.1:1",
  };
  const conn = new Connection(stream, "tcp://127.0.0.1:0", { ...BASE, ...settings }, new NullMechanism([["Socket-Type", "ROUTER"]], holdReady), {
    onHandshake: () => null,
    onMessage: (_c, frames) => messages.push(frames.map((f) => f.toString("hex"))),
    onWritable() {},
    onClose: (_c, reason, error) => {
      end.reason = reason;
      end.error = error;
    },
  });
  return { conn, messages, end, written: () => Buffer.concat(written), feed: (b: Uint8Array) => conn.onData(Buffer.from(b)) };
}

const GREETING = encodeGreeting("NULL", false);
/** READY of a DEALER: 2 header + 28 body octets = 30 on the wire. */
const READY = encodeReady([["Socket-Type", "DEALER"]]);
const handshake = (extra: Array<readonly [string, Uint8Array | string]> = []) =>
  Buffer.concat([GREETING, encodeReady([["Socket-Type", "DEALER"], ...extra])]);

describe("frame decoder allowance (budget checked at the header, before the body)", () => {
  // [name, budget, stream, frames handed out, error or null]
  const cases: Array<[string, number, string, number, RegExp | null]> = [
    ["empty frame costs 2 + 0 + 64", 2 + O, "00 00", 1, null],
    ["one octet short for an empty frame", 2 + O - 1, "00 00", 0, /maxUnauthenticatedBytes/],
    ["second empty frame over budget", 2 * (2 + O) - 1, "01 00 01 00", 1, /maxUnauthenticatedBytes/],
    ["short frame with body", 2 + 3 + O, "00 03 616263", 1, null],
    ["long header announcing 250 MiB: refused with only its 9 octets here", 16384, "02 000000000fa00000", 0, /maxUnauthenticatedBytes/],
    ["long header for a small body counts 9 header octets", 9 + 3 + O, "02 0000000000000003 616263", 1, null],
    ["partial body within budget waits for more", 2 + 200 + O, "00 c8 6162", 0, null],
  ];
  for (const [name, budget, bytes, handed, error] of cases) {
    test(name, () => {
      const gate = new AuthenticationGate(budget, 0, () => {});
      const d = new FrameDecoder();
      d.allowance = gate;
      d.push(hex(bytes));
      let got = 0;
      let thrown: unknown = null;
      try {
        while (d.next() !== null) got++;
      } catch (err) {
        thrown = err;
      }
      expect(got).toBe(handed);
      if (error === null) expect(thrown).toBeNull();
      else expect((thrown as ZmtpError).code).toBe("EMSGSIZE"), expect((thrown as Error).message).toMatch(error);
    });
  }

  test("the budget is charged per frame: left = budget - (header + body + 64) each", () => {
    const gate = new AuthenticationGate(1000, 0, () => {});
    const d = new FrameDecoder();
    d.allowance = gate;
    d.push(hex("01 00 01 02 6869 00 00"));
    while (d.next() !== null);
    expect(gate.left).toBe(1000 - (2 + O) - (2 + 2 + O) - (2 + O));
  });
});

describe("connection before authentication (maxUnauthenticatedBytes)", () => {
  test("the handshake's READY is charged too; then frames until the budget is spent", () => {
    const budget = 2 + 28 + O + 2 * (2 + O) + 10; // READY + two empty frames + 10 spare
    const h = harness({ maxUnauthenticatedBytes: budget });
    h.feed(GREETING);
    expect(h.conn.unauthenticatedBytesLeft).toBe(budget);
    h.feed(READY);
    expect(h.conn.ready).toBe(true);
    expect(h.conn.unauthenticatedBytesLeft).toBe(budget - (READY.length + O));
    h.feed(hex("00 00 00 00"));
    expect(h.messages).toEqual([[""], [""]]);
    expect(h.end.reason).toBeNull();
    h.feed(hex("00 00"));
    expect(h.end.error?.code).toBe("EMSGSIZE");
    expect(h.end.reason).toMatch(/unauthenticated peer exceeded maxUnauthenticatedBytes/);
    expect(h.end.streamClosed).toBe(true);
  });

  test("a frame header announcing more than what is left closes at once, before its body", () => {
    const h = harness({ maxUnauthenticatedBytes: 16384 });
    h.feed(Buffer.concat([handshake(), hex("02 000000000fa00000"), Buffer.alloc(100)])); // 250 MiB announced
    expect(h.end.error?.code).toBe("EMSGSIZE");
    expect(h.messages).toEqual([]);
  });

  test("empty frames of one multipart message run out of budget as fast as bytes do", () => {
    const h = harness({ maxUnauthenticatedBytes: 16384 });
    h.feed(handshake());
    const left = h.conn.unauthenticatedBytesLeft;
    h.feed(Buffer.alloc(1 << 20, hex("0100"))); // 512 Ki empty MORE frames
    expect(h.end.reason).toMatch(/maxUnauthenticatedBytes/);
    expect(Math.floor(left / (2 + O))).toBeLessThan(250); // at most ~250 frames were ever held
  });

  test("after authenticate() only the usual limits apply", () => {
    const h = harness({ maxUnauthenticatedBytes: 200 });
    h.feed(handshake());
    expect(h.conn.authenticated).toBe(false);
    h.conn.authenticate();
    expect(h.conn.authenticated).toBe(true);
    h.feed(Buffer.concat([hex("02 0000000000010000"), Buffer.alloc(65536, 1)]));
    expect(h.end.reason).toBeNull();
    expect(h.messages[0]?.[0]?.length).toBe(2 * 65536);
  });

  test("without the authentication options a connection starts authenticated", () => {
    const h = harness({});
    h.feed(handshake());
    expect(h.conn.authenticated).toBe(true);
    expect(h.conn.unauthenticatedBytesLeft).toBe(Number.POSITIVE_INFINITY);
  });

  test("authenticationTimeout drops a handshaken peer not authenticated in time", async () => {
    const h = harness({ authenticationTimeout: 20 });
    h.feed(handshake());
    const deadline = performance.now() + 2000;
    while (h.end.reason === null && performance.now() < deadline) await Bun.sleep(5);
    expect(h.end.reason).toMatch(/not authenticated within authenticationTimeout \(20 ms\)/);
  });

  test("authenticationTimeout is cleared by authenticate()", async () => {
    const h = harness({ authenticationTimeout: 20 });
    h.feed(handshake());
    h.conn.authenticate();
    // the time limit would have fired by now; a later message still arrives
    const until = performance.now() + 60;
    while (performance.now() < until) await Bun.sleep(10);
    h.feed(hex("00 02 6869"));
    expect(h.end.reason).toBeNull();
    expect(h.messages).toEqual([["6869"]]);
  });
});

describe("message limits", () => {
  test("maxFramesPerMessage: as many frames pass, one more closes", () => {
    const ok = harness({ maxFramesPerMessage: 3 });
    ok.feed(Buffer.concat([handshake(), hex("01 00 01 00 00 00")]));
    expect(ok.messages).toEqual([["", "", ""]]);
    const bad = harness({ maxFramesPerMessage: 3 });
    bad.feed(Buffer.concat([handshake(), hex("01 00 01 00 01 00 00 00")]));
    expect(bad.messages).toEqual([]);
    expect(bad.end.error?.code).toBe("EMSGSIZE");
    expect(bad.end.reason).toMatch(/more than maxFramesPerMessage \(3\)/);
  });

  test("frameOverhead: each frame costs body + overhead against maxMessageSize", () => {
    const ok = harness({ maxMessageSize: 1000, frameOverhead: 64 });
    ok.feed(Buffer.concat([handshake(), Buffer.alloc(2 * 14, hex("0100")), hex("00 28"), Buffer.alloc(40)])); // 15 * 64 + 40 = 1000
    expect(ok.messages[0]).toHaveLength(15);
    const bad = harness({ maxMessageSize: 1000, frameOverhead: 64 });
    bad.feed(Buffer.concat([handshake(), Buffer.alloc(2 * 15, hex("0100")), hex("00 00")])); // 16 * 64 = 1024
    expect(bad.end.reason).toMatch(/maxMessageSize \(1000 octets\)/);
  });

  test("without frameOverhead empty frames cost nothing (today's behaviour)", () => {
    const h = harness({ maxMessageSize: 10 });
    h.feed(Buffer.concat([handshake(), Buffer.alloc(2 * 1000, hex("0100")), hex("00 0a"), Buffer.alloc(10)]));
    expect(h.messages[0]).toHaveLength(1001);
  });

  test("a frame header announcing more than what is left of maxMessageSize closes before its body", () => {
    const h = harness({ maxMessageSize: 1000 });
    h.feed(Buffer.concat([handshake(), hex("01 ff"), Buffer.alloc(255), hex("02 0000000000000300")])); // 255 + 768 > 1000
    expect(h.end.error?.code).toBe("EMSGSIZE");
    const fits = harness({ maxMessageSize: 1000 });
    fits.feed(Buffer.concat([handshake(), hex("01 ff"), Buffer.alloc(255), hex("02 00000000000002e9"), Buffer.alloc(745)]));
    expect(fits.messages[0]?.map((f) => f.length / 2)).toEqual([255, 745]);
  });
});

describe("peer Identity limits (as zmq_setsockopt ZMQ_ROUTING_ID)", () => {
  const cases: Array<[string, Buffer, RegExp | null]> = [
    ["255 octets accepted", Buffer.alloc(255, 0x41), null],
    ["256 octets refused", Buffer.alloc(256, 0x41), /longer than 255/],
    ["leading 0x00 refused", hex("00 616263"), /starts with 0x00/],
    ["0x00 later is fine", hex("61 00 63"), null],
  ];
  for (const [name, identity, error] of cases) {
    test(name, () => {
      const h = harness({});
      h.feed(handshake([["Identity", identity]]));
      if (error === null) {
        expect(h.conn.ready).toBe(true);
        expect(h.conn.peerIdentity).toEqual(identity);
      } else {
        expect(h.end.error?.code).toBe("EPROTO");
        expect(h.end.reason).toMatch(error);
        expect(h.written().includes(Buffer.from("\x05ERROR", "latin1"))).toBe(true); // told the peer why
      }
    });
  }
});

describe("the authorize hook (our extra, like ZAP): judged when the peer's READY arrives", () => {
  /** Our READY, as the ROUTER sends it: 2 header + 28 body octets. */
  const OUR_READY = encodeReady([["Socket-Type", "ROUTER"]]);
  const afterGreeting = (h: ReturnType<typeof harness>) => h.written().subarray(GREETING.length);

  test("true: authenticated from the first byte; our READY was held until the verdict; the hook saw the metadata", () => {
    const seen: HandshakePeer[] = [];
    const h = harness({ maxUnauthenticatedBytes: 200, authenticationTimeout: 20, authorize: (p) => (seen.push(p), true) }, true);
    h.feed(GREETING);
    expect(afterGreeting(h)).toHaveLength(0); // nothing before the peer's READY
    h.feed(encodeReady([["Socket-Type", "DEALER"], ["X-Auth", "1 w s"]]));
    expect(afterGreeting(h)).toEqual(Buffer.from(OUR_READY));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ mechanism: "NULL", socketType: "DEALER", identity: null, publicKey: null, address: "tcp://127.0.0.1:1" });
    expect(seen[0]!.metadata.get("x-auth")?.toString()).toBe("1 w s");
    expect(h.conn.authenticated).toBe(true);
    h.feed(Buffer.concat([hex("02 0000000000001000"), Buffer.alloc(4096)])); // far over the 200-octet budget
    expect(h.messages).toHaveLength(1);
    expect(h.end.error).toBeNull();
  });

  test("false: the unauthenticated phase applies as without the hook", () => {
    const h = harness({ maxUnauthenticatedBytes: 200, authorize: () => false }, true);
    h.feed(handshake());
    expect(h.conn.ready).toBe(true);
    expect(h.conn.authenticated).toBe(false);
    h.feed(Buffer.concat([hex("02 0000000000001000"), Buffer.alloc(4096)]));
    expect(h.end.error?.code).toBe("EMSGSIZE");
  });

  // [verdict, ERROR reason on the wire, our error]
  const refusals: Array<[string, () => string, string, RegExp]> = [
    ["a string refuses: ERROR 400 with the reason, no READY", () => "wrong secret", "400 wrong secret", /peer not authorized: wrong secret/],
    ["a hook that throws refuses: ERROR 500", () => { throw new Error("boom"); }, "500", /authorize hook threw: boom/],
  ];
  test.each(refusals)("%s", (_name, hook, reason, message) => {
    const h = harness({ authorize: hook }, true);
    h.feed(handshake());
    expect(afterGreeting(h)).toEqual(Buffer.from(encodeError(reason))); // exactly one ERROR, and never our READY
    expect(h.end.error?.code).toBe("EACCES");
    expect(h.end.reason).toMatch(message);
    expect(h.end.streamClosed).toBe(true);
    expect(h.conn.ready).toBe(false);
  });

  test("the refused side reads an ERROR with a ZAP status code as EACCES, and any other as a protocol error", () => {
    const h = harness({});
    h.feed(Buffer.concat([GREETING, encodeError("400 wrong secret")]));
    expect(h.end.error?.code).toBe("EACCES");
    expect(h.end.reason).toBe("peer refused our credentials: wrong secret");
    const other = harness({});
    other.feed(Buffer.concat([GREETING, encodeError("Invalid socket type")]));
    expect(other.end.error?.code).toBe("EPROTO");
  });

  const reasons: Array<[string, string | null]> = [
    ["300", "status 300"], ["400", "status 400"], ["500", "status 500"], ["400 wrong secret", "wrong secret"],
    ["200", null], ["4000", null], ["400x", null], ["Invalid socket type", null], ["", null],
  ];
  test.each(reasons)("ERROR reason %j", (reason, text) => {
    const e = authRefusal(reason);
    if (text === null) expect(e).toBeNull();
    else expect(e?.message).toBe(`peer refused our credentials: ${text}`);
  });
});
