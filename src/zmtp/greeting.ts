/** The 64-octet ZMTP greeting: encoding, incremental validation and parsing (RFC 37 section "Version Negotiation" / "Greeting"). */
import { protocolError } from "./zmtp-error.ts";

/** Length of a full ZMTP 3.x greeting in octets. */
export const GREETING_SIZE = 64;
/** Length of the signature part (0xFF, 8 octets padding, 0x7F). */
export const SIGNATURE_SIZE = 10;
/** Length of the mechanism field: ASCII name padded with NULs. */
export const MECHANISM_SIZE = 20;

/** The fields of a greeting. */
export interface Greeting {
  /** Protocol major version; 3 for ZMTP 3.x. */
  major: number;
  /** Protocol minor version; 1 for ZMTP 3.1, 0 for ZMTP 3.0 (RFC 23). */
  minor: number;
  /** Security mechanism name, e.g. "NULL". */
  mechanism: string;
  /** The as-server flag (meaningful for PLAIN and CURVE only). */
  asServer: boolean;
}

/**
 * Encodes our greeting: signature, version 3.1, mechanism, as-server, 31 octets of filler.
 * RFC 37: `greeting = signature version mechanism as-server filler`.
 */
export function encodeGreeting(mechanism: string, asServer: boolean): Buffer {
  if (mechanism.length === 0 || mechanism.length > MECHANISM_SIZE || !/^[A-Z0-9_-]+$/.test(mechanism)) {
    throw new TypeError(`invalid mechanism name ${JSON.stringify(mechanism)}`);
  }
  const buf = Buffer.alloc(GREETING_SIZE); // padding and filler are zeroes
  buf[0] = 0xff;
  buf[9] = 0x7f;
  buf[10] = 3;
  buf[11] = 1;
  buf.write(mechanism, 12, "latin1");
  buf[32] = asServer ? 1 : 0;
  return buf;
}

/**
 * Checks the octets of a greeting received so far (any prefix, possibly partial) so that a
 * non-ZMTP peer is refused as early as possible. Throws a protocol error on the first bad octet.
 * RFC 37: the signature is 0xFF, 8 octets of padding that are not significant, then 0x7F;
 * a peer MUST accept versions >= 3.0 (RFC 23) and we do not speak ZMTP 1.0/2.0.
 */
export function checkGreetingPrefix(prefix: Uint8Array): void {
  if (prefix.length > 0 && prefix[0] !== 0xff) {
    throw protocolError(`bad greeting signature: first octet 0x${hex(prefix[0])}, expected 0xff`);
  }
  // libzmq checks only the low bit of octet 9 to tell ZMTP 1.0 from later; we require 0x7f exactly.
  if (prefix.length > 9 && prefix[9] !== 0x7f) {
    throw protocolError(`bad greeting signature: octet 9 is 0x${hex(prefix[9])}, expected 0x7f`);
  }
  if (prefix.length > 10 && (prefix[10] ?? 0) < 3) {
    throw protocolError(`unsupported ZMTP version ${prefix[10]}.x (need 3.0 or later)`);
  }
}

/** Parses a complete 64-octet greeting; throws a protocol error if it is malformed. */
export function parseGreeting(buf: Uint8Array): Greeting {
  if (buf.length < GREETING_SIZE) {
    throw protocolError(`truncated greeting: ${buf.length} of ${GREETING_SIZE} octets`);
  }
  checkGreetingPrefix(buf);
  const major = buf[10] ?? 0;
  const minor = buf[11] ?? 0;
  let end = 12;
  while (end < 12 + MECHANISM_SIZE && buf[end] !== 0) end++;
  const mechanism = Buffer.from(buf.buffer, buf.byteOffset + 12, end - 12).toString("latin1");
  for (let i = end; i < 12 + MECHANISM_SIZE; i++) {
    if (buf[i] !== 0) throw protocolError("bad greeting: mechanism name not NUL-padded");
  }
  if (!/^[A-Z0-9_-]+$/.test(mechanism)) {
    throw protocolError(`bad greeting: invalid mechanism name ${JSON.stringify(mechanism)}`);
  }
  const asServerOctet = buf[32] ?? 0;
  if (asServerOctet > 1) throw protocolError(`bad greeting: as-server octet is ${asServerOctet}`);
  // The filler "MUST be zeroes" for the sender; like libzmq we do not reject a peer for it.
  return { major, minor, mechanism, asServer: asServerOctet === 1 };
}

function hex(n: number | undefined): string {
  return (n ?? 0).toString(16).padStart(2, "0");
}
