/** CURVE command bodies: HELLO, WELCOME, INITIATE, READY, MESSAGE layouts and their nonces (RFC 26 "The CurveZMQ Handshake", RFC 37 "The CURVE Security Mechanism"); boxes stay opaque here. */
import { encodeCommand } from "./command.ts";
import { MAC_SIZE, NONCE_SIZE } from "./curve-box.ts";
import { protocolError } from "./zmtp-error.ts";

/** Octets of a public key, and of a box over one (32 + MAC). */
const KEY = 32;
/** HELLO data after its name: version (2), padding (72), C' (32), short nonce (8), signature box (80). RFC 26 "The HELLO Command". */
export const HELLO_DATA_SIZE = 2 + 72 + KEY + 8 + 64 + MAC_SIZE;
/** WELCOME data: long nonce (16), box of S' (32) + cookie (96) (RFC 26 "The WELCOME Command"). */
export const WELCOME_DATA_SIZE = 16 + KEY + 96 + MAC_SIZE;
/** A cookie: long nonce (16), secretbox of C' + s' (64). */
export const COOKIE_SIZE = 16 + 2 * KEY + MAC_SIZE;
/** A vouch: long nonce (16), box of C' + S (64) (RFC 26 "The INITIATE Command"). */
export const VOUCH_SIZE = 16 + 2 * KEY + MAC_SIZE;
/** Smallest INITIATE data: cookie, short nonce, box of C (32) + vouch + no metadata. */
export const INITIATE_MIN_DATA_SIZE = COOKIE_SIZE + 8 + KEY + VOUCH_SIZE + MAC_SIZE;
/** Smallest READY data: short nonce, box of no metadata (RFC 26 "The READY Command"). */
export const READY_MIN_DATA_SIZE = 8 + MAC_SIZE;
/** Smallest MESSAGE data: short nonce, box of the flags octet (RFC 26 "The MESSAGE Command"). */
export const MESSAGE_MIN_DATA_SIZE = 8 + MAC_SIZE + 1;

/** The 16-octet prefixes of short nonces (+ an 8-octet counter) and the 8-octet ones of long nonces (+ 16 random octets). */
export const NONCE_PREFIX = {
  hello: Buffer.from("CurveZMQHELLO---"),
  initiate: Buffer.from("CurveZMQINITIATE"),
  ready: Buffer.from("CurveZMQREADY---"),
  /** Messages the client sends. */
  messageClient: Buffer.from("CurveZMQMESSAGEC"),
  /** Messages the server sends. */
  messageServer: Buffer.from("CurveZMQMESSAGES"),
  welcome: Buffer.from("WELCOME-"),
  cookie: Buffer.from("COOKIE--"),
  vouch: Buffer.from("VOUCH---"),
} as const;

/** The flags octet inside a MESSAGE box (libzmq's msg_t flags): bit 0 MORE, bit 1 COMMAND; others must be zero. */
export const BOX_FLAG_MORE = 0x01;
export const BOX_FLAG_COMMAND = 0x02;

/** A 24-octet short nonce: 16-octet prefix, then `counter` as 8 octets, network order. */
export function shortNonce(prefix: Buffer, counter: number): Buffer {
  const nonce = Buffer.allocUnsafe(NONCE_SIZE);
  prefix.copy(nonce, 0);
  writeCounter(nonce, 16, counter);
  return nonce;
}

/** A 24-octet long nonce: 8-octet prefix, then 16 octets (random, carried in the command). */
export function longNonce(prefix: Buffer, tail: Uint8Array): Buffer {
  const nonce = Buffer.allocUnsafe(NONCE_SIZE);
  prefix.copy(nonce, 0);
  nonce.set(tail, 8);
  return nonce;
}

/** Writes an 8-octet network-order counter (below 2^53) at `at`. */
export function writeCounter(target: Buffer, at: number, counter: number): void {
  target.writeUInt32BE(Math.floor(counter / 0x1_0000_0000), at);
  target.writeUInt32BE(counter >>> 0, at + 4);
}

/** Reads an 8-octet network-order counter; one of 2^53 or more is a protocol error (we never get that far). */
export function readCounter(source: Buffer, at: number): number {
  const high = source.readUInt32BE(at);
  if (high >= 0x20_0000) throw protocolError("CURVE nonce counter beyond 2^53");
  return high * 0x1_0000_0000 + source.readUInt32BE(at + 4);
}

/** HELLO: the client's short-term public key C' and the signature box proving it knows the server's key. */
export interface Hello {
  clientShortKey: Buffer;
  /** The 8-octet short nonce (the client's counter, 1 for libzmq). */
  nonce: Buffer;
  /** Box[64 zero octets](C'->S). */
  signature: Buffer;
}

/** The HELLO command frame: version 1.0, 72 octets of padding (anti-amplification: HELLO is as long as WELCOME + 32). */
export function encodeHello(h: Hello): Buffer {
  const data = Buffer.alloc(HELLO_DATA_SIZE);
  data[0] = 1;
  data[1] = 0;
  h.clientShortKey.copy(data, 74);
  h.nonce.copy(data, 106);
  h.signature.copy(data, 114);
  return encodeCommand("HELLO", data);
}

/** Decodes HELLO data; throws EPROTO for a wrong length or a version other than 1.0. */
export function decodeHello(data: Buffer): Hello {
  if (data.length !== HELLO_DATA_SIZE) throw protocolError(`bad CURVE HELLO: ${data.length} octets of data, not ${HELLO_DATA_SIZE}`);
  if (data[0] !== 1 || data[1] !== 0) throw protocolError(`bad CURVE HELLO: version ${data[0]}.${data[1]}, not 1.0`);
  return { clientShortKey: data.subarray(74, 106), nonce: data.subarray(106, 114), signature: data.subarray(114) };
}

/** WELCOME: a long nonce and Box[S' + cookie](S->C'). */
export interface Welcome {
  nonce: Buffer;
  box: Buffer;
}

/** The WELCOME command frame. */
export function encodeWelcome(w: Welcome): Buffer {
  return encodeCommand("WELCOME", Buffer.concat([w.nonce, w.box]));
}

/** Decodes WELCOME data; throws EPROTO for a wrong length. */
export function decodeWelcome(data: Buffer): Welcome {
  if (data.length !== WELCOME_DATA_SIZE) throw protocolError(`bad CURVE WELCOME: ${data.length} octets of data, not ${WELCOME_DATA_SIZE}`);
  return { nonce: data.subarray(0, 16), box: data.subarray(16) };
}

/** INITIATE: the server's cookie back, a short nonce and Box[C + vouch + metadata](C'->S'). */
export interface Initiate {
  cookie: Buffer;
  nonce: Buffer;
  box: Buffer;
}

/** The INITIATE command frame. */
export function encodeInitiate(i: Initiate): Buffer {
  return encodeCommand("INITIATE", Buffer.concat([i.cookie, i.nonce, i.box]));
}

/** Decodes INITIATE data; throws EPROTO when it is shorter than a cookie, a nonce and a box of C + vouch. */
export function decodeInitiate(data: Buffer): Initiate {
  if (data.length < INITIATE_MIN_DATA_SIZE) throw protocolError(`bad CURVE INITIATE: ${data.length} octets of data, fewer than ${INITIATE_MIN_DATA_SIZE}`);
  return { cookie: data.subarray(0, COOKIE_SIZE), nonce: data.subarray(COOKIE_SIZE, COOKIE_SIZE + 8), box: data.subarray(COOKIE_SIZE + 8) };
}

/** READY (CURVE) and MESSAGE: a short nonce and a box. */
export interface NoncedBox {
  nonce: Buffer;
  box: Buffer;
}

/** The CURVE READY command frame: short nonce, Box[metadata](S'->C'). */
export function encodeCurveReady(r: NoncedBox): Buffer {
  return encodeCommand("READY", Buffer.concat([r.nonce, r.box]));
}

/** Decodes CURVE READY data; throws EPROTO when shorter than a nonce and an empty box. */
export function decodeCurveReady(data: Buffer): NoncedBox {
  if (data.length < READY_MIN_DATA_SIZE) throw protocolError(`bad CURVE READY: ${data.length} octets of data, fewer than ${READY_MIN_DATA_SIZE}`);
  return { nonce: data.subarray(0, 8), box: data.subarray(8) };
}

/** The name part of a MESSAGE body (`\x07MESSAGE`), which opens every encrypted frame. */
export const MESSAGE_NAME = Buffer.from("\x07MESSAGE", "latin1");

/** Decodes a MESSAGE frame body (name included); throws EPROTO for another command or one too short to hold the flags. */
export function decodeMessage(body: Buffer): NoncedBox {
  if (body.length < MESSAGE_NAME.length || !MESSAGE_NAME.equals(body.subarray(0, MESSAGE_NAME.length))) {
    throw protocolError("CURVE: expected a MESSAGE command");
  }
  if (body.length < MESSAGE_NAME.length + MESSAGE_MIN_DATA_SIZE) throw protocolError(`bad CURVE MESSAGE: ${body.length} octets, fewer than ${MESSAGE_NAME.length + MESSAGE_MIN_DATA_SIZE}`);
  return { nonce: body.subarray(8, 16), box: body.subarray(16) };
}
