/** ZMTP command bodies: READY, ERROR, PING, PONG encoding and decoding (RFC 37 sections "Commands", "Connection Heartbeating"). */
import { FLAG_COMMAND, encodeFrame } from "./frame.ts";
import { type Metadata, decodeMetadata, encodeMetadata } from "./metadata.ts";
import { protocolError } from "./zmtp-error.ts";

/** A command split into its name and data. */
export interface Command {
  /** Command name, e.g. "READY" (case-sensitive per RFC 37). */
  name: string;
  /** The command data after the name. */
  data: Buffer;
}

/** Largest PING context we send or accept (RFC 37: `ping-context = 0*16OCTET`). */
export const MAX_PING_CONTEXT = 16;

/** Encodes a complete command frame: `command-size command-name-size name data`. */
export function encodeCommand(name: string, data: Uint8Array = Buffer.alloc(0)): Buffer {
  if (name.length === 0 || name.length > 255) throw new TypeError(`invalid command name ${JSON.stringify(name)}`);
  const body = Buffer.allocUnsafe(1 + name.length + data.length);
  body[0] = name.length;
  body.write(name, 1, "latin1");
  body.set(data, 1 + name.length);
  return encodeFrame(FLAG_COMMAND, body);
}

/** Splits a command frame body into name and data; throws a protocol error if malformed. */
export function parseCommand(body: Buffer): Command {
  const nameLen = body[0] ?? 0;
  if (nameLen === 0) throw protocolError("bad command: empty name");
  if (1 + nameLen > body.length) throw protocolError("bad command: truncated name");
  const name = body.toString("latin1", 1, 1 + nameLen);
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw protocolError(`bad command: invalid name ${JSON.stringify(name)}`);
  return { name, data: body.subarray(1 + nameLen) };
}

/** READY with the given metadata (`Socket-Type`, optionally `Identity`). */
export function encodeReady(props: Iterable<readonly [string, Uint8Array | string]>): Buffer {
  return encodeCommand("READY", encodeMetadata(props));
}

/** Decodes READY data into metadata. */
export function decodeReady(data: Buffer): Metadata {
  return decodeMetadata(data);
}

/** ERROR with a reason of at most 255 octets (RFC 37: `error-reason = OCTET 0*255VCHAR`). */
export function encodeError(reason: string): Buffer {
  const text = Buffer.from(reason, "latin1").subarray(0, 255);
  const data = Buffer.allocUnsafe(1 + text.length);
  data[0] = text.length;
  data.set(text, 1);
  return encodeCommand("ERROR", data);
}

/** Decodes ERROR data into its reason text. */
export function decodeError(data: Buffer): string {
  const len = data[0];
  if (len === undefined || 1 + len > data.length) throw protocolError("bad ERROR command: truncated reason");
  return data.toString("latin1", 1, 1 + len);
}

/** The fields of a PING. */
export interface Ping {
  /** Time-to-live in deciseconds (RFC 37: 16-bit, network order); 0 means none. */
  ttlDeciseconds: number;
  /** Opaque context, echoed back in the PONG. */
  context: Buffer;
}

/** PING with a TTL in deciseconds (clamped to 0..65535) and up to 16 octets of context. */
export function encodePing(ttlDeciseconds: number, context: Uint8Array = Buffer.alloc(0)): Buffer {
  if (context.length > MAX_PING_CONTEXT) throw new TypeError("PING context longer than 16 octets");
  const data = Buffer.allocUnsafe(2 + context.length);
  data.writeUInt16BE(Math.max(0, Math.min(0xffff, Math.round(ttlDeciseconds))), 0);
  data.set(context, 2);
  return encodeCommand("PING", data);
}

/** Decodes PING data; throws a protocol error if the TTL is missing or the context too long. */
export function decodePing(data: Buffer): Ping {
  if (data.length < 2) throw protocolError("bad PING command: missing TTL");
  if (data.length > 2 + MAX_PING_CONTEXT) throw protocolError("bad PING command: context longer than 16 octets");
  return { ttlDeciseconds: data.readUInt16BE(0), context: data.subarray(2) };
}

/** PONG echoing a PING's context. */
export function encodePong(context: Uint8Array): Buffer {
  if (context.length > MAX_PING_CONTEXT) throw new TypeError("PONG context longer than 16 octets");
  return encodeCommand("PONG", context);
}

/** Decodes PONG data into its context; throws a protocol error if it is too long. */
export function decodePong(data: Buffer): Buffer {
  if (data.length > MAX_PING_CONTEXT) throw protocolError("bad PONG command: context longer than 16 octets");
  return data;
}
