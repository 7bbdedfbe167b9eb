/** READY/INITIATE metadata properties: `name-size name value-size value` pairs (RFC 37 section "The NULL Security Mechanism" / metadata grammar). */
import { protocolError } from "./zmtp-error.ts";

/** Metadata as a list of properties; names compare case-insensitively (RFC 37). */
export type Metadata = Map<string, Buffer>;

const NAME_RE = /^[A-Za-z0-9\-_.+]{1,255}$/;

/**
 * Encodes properties: each is a 1-octet name length, the ASCII name, a 4-octet network-order
 * value length and the value. Throws on names that the RFC grammar forbids.
 */
export function encodeMetadata(props: Iterable<readonly [string, Uint8Array | string]>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of props) {
    if (!NAME_RE.test(name)) throw new TypeError(`invalid metadata property name ${JSON.stringify(name)}`);
    const v = typeof value === "string" ? Buffer.from(value, "utf8") : Buffer.from(value.buffer, value.byteOffset, value.length);
    const head = Buffer.allocUnsafe(1 + name.length + 4);
    head[0] = name.length;
    head.write(name, 1, "latin1");
    head.writeUInt32BE(v.length, 1 + name.length);
    parts.push(head, v);
  }
  return Buffer.concat(parts);
}

/**
 * Decodes properties; keys are lower-cased so lookups are case-insensitive. Throws a protocol
 * error for a truncated property, an invalid name or a duplicate name.
 */
export function decodeMetadata(buf: Uint8Array): Metadata {
  const data = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  const out: Metadata = new Map();
  let at = 0;
  while (at < data.length) {
    const nameLen = data[at] ?? 0;
    if (nameLen === 0) throw protocolError("bad metadata: empty property name");
    if (at + 1 + nameLen + 4 > data.length) throw protocolError("bad metadata: truncated property");
    const name = data.toString("latin1", at + 1, at + 1 + nameLen);
    if (!NAME_RE.test(name)) throw protocolError(`bad metadata: invalid property name ${JSON.stringify(name)}`);
    at += 1 + nameLen;
    const valueLen = data.readUInt32BE(at);
    at += 4;
    if (at + valueLen > data.length) throw protocolError(`bad metadata: truncated value of ${name}`);
    const key = name.toLowerCase();
    if (out.has(key)) throw protocolError(`bad metadata: duplicate property ${name}`);
    out.set(key, data.subarray(at, at + valueLen));
    at += valueLen;
  }
  return out;
}
