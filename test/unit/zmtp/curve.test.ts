import { beforeAll, describe, expect, test } from "bun:test";
import { parseCommand } from "../../../src/zmtp/command.ts";
import { type CurveBox, loadCurveBox } from "../../../src/zmtp/curve-box.ts";
import { CurveCipher, MESSAGE_OVERHEAD } from "../../../src/zmtp/curve-cipher.ts";
import {
  INITIATE_MIN_DATA_SIZE,
  NONCE_PREFIX,
  decodeCurveReady,
  decodeHello,
  decodeInitiate,
  decodeMessage,
  decodeWelcome,
  encodeHello,
  longNonce,
  readCounter,
  shortNonce,
} from "../../../src/zmtp/curve-codec.ts";
import { curveKeyBytes, curveKeyPair, curvePublicKey } from "../../../src/zmtp/curve-keys.ts";
import { CurveClientMechanism, CurveServerMechanism, type CurveKeys } from "../../../src/zmtp/curve-mechanism.ts";
import { resolveCurveOptions } from "../../../src/zmtp/curve-options.ts";
import { FLAG_COMMAND, FLAG_MORE } from "../../../src/zmtp/frame.ts";
import type { Frame } from "../../../src/zmtp/frame-decoder.ts";
import { z85Decode, z85Encode } from "../../../src/zmtp/z85.ts";

let box: CurveBox;
beforeAll(async () => {
  box = await loadCurveBox();
});

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
/** A command frame's body (after the 2- or 9-octet header) parsed into name and data. */
const command = (frame: Buffer) => parseCommand(frame.subarray((frame[0] as number) & 0x02 ? 9 : 2));

describe("Z85 (RFC 32)", () => {
  test("the RFC's test vector", () => {
    expect(z85Encode(hex("86 4F D2 6F B5 59 F7 5B"))).toBe("HelloWorld");
    expect(z85Decode("HelloWorld")).toEqual(hex("86 4F D2 6F B5 59 F7 5B"));
  });
  test("round trip of 32 octets is 40 characters; bad input is refused", () => {
    const bytes = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 8 + 1));
    const text = z85Encode(bytes);
    expect(text).toHaveLength(40);
    expect(z85Decode(text)).toEqual(bytes);
    expect(z85Encode(Buffer.alloc(4, 0xff))).toBe("%nSc0");
    expect(() => z85Encode(Buffer.alloc(3))).toThrow(TypeError);
    expect(() => z85Decode("Hello")).not.toThrow();
    expect(() => z85Decode("Hell")).toThrow(TypeError);
    expect(() => z85Decode("Hell~")).toThrow(TypeError);
    expect(() => z85Decode("%nSc1")).toThrow(TypeError); // above 2^32 - 1
  });
});

describe("CURVE keys and options", () => {
  test("curveKeyPair gives 40-character Z85 keys whose public key matches the secret key", () => {
    const pair = curveKeyPair();
    expect(pair.publicKey).toHaveLength(40);
    expect(pair.secretKey).toHaveLength(40);
    expect(curvePublicKey(pair.secretKey)).toBe(pair.publicKey);
    expect(curvePublicKey(z85Decode(pair.secretKey))).toBe(pair.publicKey);
    expect(curveKeyPair().publicKey).not.toBe(pair.publicKey);
  });
  test("keys are 40 Z85 characters or 32 octets", () => {
    expect(curveKeyBytes(Buffer.alloc(32, 1), "k")).toEqual(Buffer.alloc(32, 1));
    expect(() => curveKeyBytes("short", "k")).toThrow(TypeError);
    expect(() => curveKeyBytes(Buffer.alloc(31), "k")).toThrow(TypeError);
  });
  test("resolution: none is NULL, server needs a secret key, client a server key, mismatched public key is refused", () => {
    const s = curveKeyPair();
    const c = curveKeyPair();
    expect(resolveCurveOptions({})).toBeNull();
    expect(resolveCurveOptions({ curveServer: false })).toBeNull();
    const server = resolveCurveOptions({ curveServer: true, curveSecretKey: s.secretKey });
    expect(server?.server).toBe(true);
    expect(z85Encode(server?.publicKey as Buffer)).toBe(s.publicKey);
    const client = resolveCurveOptions({ curveServerKey: s.publicKey, curvePublicKey: c.publicKey, curveSecretKey: c.secretKey });
    expect(client?.server).toBe(false);
    expect(z85Encode(client?.serverKey as Buffer)).toBe(s.publicKey);
    expect(() => resolveCurveOptions({ curveServer: true })).toThrow(TypeError);
    expect(() => resolveCurveOptions({ curveServerKey: s.publicKey })).toThrow(TypeError);
    expect(() => resolveCurveOptions({ curveSecretKey: c.secretKey })).toThrow(TypeError);
    expect(() => resolveCurveOptions({ curveServer: true, curveSecretKey: s.secretKey, curveServerKey: s.publicKey })).toThrow(TypeError);
    expect(() => resolveCurveOptions({ curveServerKey: s.publicKey, curvePublicKey: s.publicKey, curveSecretKey: c.secretKey })).toThrow(TypeError);
  });
});

describe("CURVE command layouts (RFC 26)", () => {
  test("nonces: 16-octet prefix + 8-octet counter, 8-octet prefix + 16 octets", () => {
    expect(shortNonce(NONCE_PREFIX.messageClient, 0x0102030405)).toEqual(Buffer.concat([Buffer.from("CurveZMQMESSAGEC"), hex("00 00 00 01 02 03 04 05")]));
    expect(longNonce(NONCE_PREFIX.cookie, Buffer.alloc(16, 9))).toEqual(Buffer.concat([Buffer.from("COOKIE--"), Buffer.alloc(16, 9)]));
    expect(readCounter(hex("00 00 00 01 02 03 04 05"), 0)).toBe(0x0102030405);
    expect(() => readCounter(hex("00 20 00 00 00 00 00 00"), 0)).toThrow("2^53");
  });

  test("HELLO: 200 octets, name, version 1.0, 72 zero octets, C', nonce, signature", () => {
    const frame = encodeHello({ clientShortKey: Buffer.alloc(32, 0xc1), nonce: hex("00 00 00 00 00 00 00 01"), signature: Buffer.alloc(80, 0x5a) });
    expect(frame.subarray(0, 2)).toEqual(hex("04 c8")); // COMMAND, 200
    expect(frame.subarray(2, 8)).toEqual(Buffer.from("\x05HELLO"));
    expect(frame.subarray(8, 10)).toEqual(hex("01 00"));
    expect(frame.subarray(10, 82)).toEqual(Buffer.alloc(72));
    expect(frame.subarray(82, 114)).toEqual(Buffer.alloc(32, 0xc1));
    expect(frame.subarray(114, 122)).toEqual(hex("00 00 00 00 00 00 00 01"));
    expect(frame.subarray(122)).toEqual(Buffer.alloc(80, 0x5a));
    const data = command(frame).data;
    expect(decodeHello(data).clientShortKey).toEqual(Buffer.alloc(32, 0xc1));
    expect(() => decodeHello(data.subarray(1))).toThrow("193 octets");
    expect(() => decodeHello(Buffer.concat([data, Buffer.alloc(1)]))).toThrow("195 octets");
    const v2 = Buffer.from(data);
    v2[0] = 2;
    expect(() => decodeHello(v2)).toThrow("version 2.0");
  });

  test("WELCOME 160, INITIATE >= 248, READY >= 24 octets of data; MESSAGE needs its name and >= 33 octets", () => {
    expect(decodeWelcome(Buffer.alloc(160)).box).toHaveLength(144);
    expect(() => decodeWelcome(Buffer.alloc(159))).toThrow("159 octets");
    expect(() => decodeWelcome(Buffer.alloc(161))).toThrow("161 octets");
    expect(INITIATE_MIN_DATA_SIZE).toBe(248);
    const init = decodeInitiate(Buffer.alloc(248));
    expect([init.cookie.length, init.nonce.length, init.box.length]).toEqual([96, 8, 144]);
    expect(() => decodeInitiate(Buffer.alloc(247))).toThrow("fewer than 248");
    expect(decodeCurveReady(Buffer.alloc(24)).box).toHaveLength(16);
    expect(() => decodeCurveReady(Buffer.alloc(23))).toThrow("fewer than 24");
    const msg = Buffer.concat([Buffer.from("\x07MESSAGE"), Buffer.alloc(25)]);
    expect(decodeMessage(msg).box).toHaveLength(17);
    expect(() => decodeMessage(msg.subarray(0, 32))).toThrow("fewer than 33");
    expect(() => decodeMessage(Buffer.concat([Buffer.from("\x07MESSAGF"), Buffer.alloc(25)]))).toThrow("expected a MESSAGE");
    expect(MESSAGE_OVERHEAD).toBe(33);
  });
});

/** Runs a handshake between the two mechanisms in memory; returns both and the commands the client sent. */
function handshake(serverKeys: CurveKeys, clientKeys: CurveKeys) {
  const client = new CurveClientMechanism(box, clientKeys, [["Socket-Type", "DEALER"], ["X-Hi", "1"]]);
  const server = new CurveServerMechanism(box, serverKeys, [["Socket-Type", "ROUTER"]]);
  const [hello] = client.start();
  expect(hello).toHaveLength(202);
  const [welcome] = server.onCommand(command(hello as Buffer)).reply;
  expect(welcome).toHaveLength(170); // 168 + header
  const [initiate] = client.onCommand(command(welcome as Buffer)).reply;
  const atServer = server.onCommand(command(initiate as Buffer));
  const atClient = client.onCommand(command(atServer.reply[0] as Buffer));
  return { client, server, hello: hello as Buffer, initiate: initiate as Buffer, atServer, atClient };
}

function keysOf(pair = curveKeyPair(), serverKey: Buffer | null = null): CurveKeys {
  return { publicKey: z85Decode(pair.publicKey), secretKey: z85Decode(pair.secretKey), serverKey };
}

describe("CURVE handshake (mechanisms in memory)", () => {
  test("completes: metadata both ways, the client's long-term key proven to the server", () => {
    const s = keysOf();
    const cPair = curveKeyPair();
    const { server, atServer, atClient } = handshake(s, keysOf(cPair, s.publicKey));
    expect(atServer.peerMetadata?.get("socket-type")?.toString()).toBe("DEALER");
    expect(atServer.peerMetadata?.get("x-hi")?.toString()).toBe("1");
    expect(atClient.peerMetadata?.get("socket-type")?.toString()).toBe("ROUTER");
    expect(server.peerPublicKey).toBe(cPair.publicKey);
  });

  test("a client with the wrong server key is refused at HELLO", () => {
    const s = keysOf();
    const client = new CurveClientMechanism(box, keysOf(curveKeyPair(), keysOf().publicKey), [["Socket-Type", "DEALER"]]);
    const server = new CurveServerMechanism(box, s, [["Socket-Type", "ROUTER"]]);
    expect(() => server.onCommand(command(client.start()[0] as Buffer))).toThrow("HELLO does not authenticate");
  });

  test("a tampered WELCOME, INITIATE or READY is refused; a cookie works once", () => {
    const s = keysOf();
    const c = keysOf(curveKeyPair(), s.publicKey);
    const flip = (frame: Buffer, at: number) => {
      const copy = Buffer.from(frame);
      copy[at] = (copy[at] as number) ^ 1;
      return copy;
    };
    // WELCOME
    let client = new CurveClientMechanism(box, c, [["Socket-Type", "DEALER"]]);
    let server = new CurveServerMechanism(box, s, [["Socket-Type", "ROUTER"]]);
    const welcome = server.onCommand(command(client.start()[0] as Buffer)).reply[0] as Buffer;
    expect(() => client.onCommand(command(flip(welcome, 100)))).toThrow("WELCOME does not authenticate");
    // INITIATE: cookie, then box
    for (const [at, message] of [[20, "bad cookie"], [200, "INITIATE does not authenticate"]] as const) {
      client = new CurveClientMechanism(box, c, [["Socket-Type", "DEALER"]]);
      server = new CurveServerMechanism(box, s, [["Socket-Type", "ROUTER"]]);
      const w = server.onCommand(command(client.start()[0] as Buffer)).reply[0] as Buffer;
      const initiate = client.onCommand(command(w)).reply[0] as Buffer;
      expect(() => server.onCommand(command(flip(initiate, at)))).toThrow(message);
    }
    // READY, and the same INITIATE a second time
    const run = handshake(s, c);
    expect(() => run.server.onCommand(command(run.initiate))).toThrow("unexpected INITIATE");
    client = new CurveClientMechanism(box, c, [["Socket-Type", "DEALER"]]);
    server = new CurveServerMechanism(box, s, [["Socket-Type", "ROUTER"]]);
    const w2 = server.onCommand(command(client.start()[0] as Buffer)).reply[0] as Buffer;
    const ready = server.onCommand(command(client.onCommand(command(w2)).reply[0] as Buffer)).reply[0] as Buffer;
    expect(() => client.onCommand(command(flip(ready, ready.length - 1)))).toThrow("READY does not authenticate");
  });

  test("a server that authorizes holds READY until accepted()", () => {
    const s = keysOf();
    const client = new CurveClientMechanism(box, keysOf(curveKeyPair(), s.publicKey), [["Socket-Type", "DEALER"]]);
    const server = new CurveServerMechanism(box, s, [["Socket-Type", "ROUTER"]], true);
    const w = server.onCommand(command(client.start()[0] as Buffer)).reply[0] as Buffer;
    const step = server.onCommand(command(client.onCommand(command(w)).reply[0] as Buffer));
    expect(step.reply).toEqual([]);
    expect(step.peerMetadata).toBeDefined();
    const [ready] = server.accepted();
    expect(client.onCommand(command(ready as Buffer)).peerMetadata?.get("socket-type")?.toString()).toBe("ROUTER");
    expect(server.accepted()).toEqual([]);
  });
});

describe("CURVE MESSAGE boxes", () => {
  function pair() {
    const s = keysOf();
    const run = handshake(s, keysOf(curveKeyPair(), s.publicKey));
    return { client: run.client.cipher() as CurveCipher, server: run.server.cipher() as CurveCipher };
  }
  const wire = (body: Buffer): Frame => ({ more: false, command: false, body });

  test("1,000 messages: nonces strictly increasing and unique, each opens once, a replay is refused", () => {
    const { client, server } = pair();
    const sealed = Array.from({ length: 1000 }, (_, i) => client.seal(i % 3 === 0 ? FLAG_MORE : 0, `m${i}`));
    const nonces = sealed.map((b) => readCounter(b, 8));
    expect(new Set(nonces).size).toBe(1000);
    for (let i = 1; i < nonces.length; i++) expect(nonces[i] as number).toBeGreaterThan(nonces[i - 1] as number);
    expect(nonces[0]).toBe(3); // HELLO used 1, INITIATE 2 (as libzmq)
    for (let i = 0; i < 1000; i++) {
      const frame = server.open(wire(sealed[i] as Buffer));
      expect(frame.body.toString()).toBe(`m${i}`);
      expect(frame.more).toBe(i % 3 === 0);
    }
    expect(() => server.open(wire(sealed[999] as Buffer))).toThrow("replayed");
    expect(() => server.open(wire(sealed[500] as Buffer))).toThrow("replayed");
  });

  test("flags round trip (COMMAND), sizes are plaintext + 33, tampering and reflection are refused", () => {
    const { client, server } = pair();
    const ping = server.seal(FLAG_COMMAND, Buffer.from("\x04PING\x00\x00"));
    expect(ping).toHaveLength(7 + 33);
    expect(readCounter(ping, 8)).toBe(2); // the server's READY used 1
    const opened = client.open(wire(ping));
    expect(opened.command).toBe(true);
    expect(opened.body.toString("latin1")).toBe("\x04PING\x00\x00");
    const msg = client.seal(0, Buffer.alloc(0));
    const tampered = Buffer.from(msg);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
    expect(() => server.open(wire(tampered))).toThrow("does not authenticate");
    expect(server.open(wire(msg)).body).toHaveLength(0); // a refused box does not move the counter
    const own = client.seal(0, "reflected");
    expect(() => client.open(wire(own))).toThrow("does not authenticate"); // the other direction's nonce prefix
  });
});
