/** The worker credentials a ZMTP handshake carries: the `X-Faas-Auth` READY property (`version workerId secret`), its encoding and validating decoding. */
import { MAX_ID_BYTES, MAX_SECRET_BYTES, readId, readText } from "./frame-reader.ts";
import type { WorkerAuth } from "./messages.ts";

/**
 * Name of the READY metadata property (RFC 37 "The NULL Security Mechanism": application properties start with `X-`)
 * in which every worker socket presents its credentials, so the dispatcher's ROUTER authorizes the connection at
 * handshake, before it reads a single message from it. Under CURVE (later) the client's public key takes the secret's place.
 */
export const AUTH_PROPERTY = "X-Faas-Auth";

/** Longest {@link AUTH_PROPERTY} value we accept: both ids, the secret and two spaces. */
export const MAX_AUTH_PROPERTY_BYTES = 2 * MAX_ID_BYTES + MAX_SECRET_BYTES + 2;

/**
 * The property's value: `version SP workerId SP secret`, UTF-8. Version and worker id are ids (printable ASCII without
 * spaces); the secret is the rest and may hold spaces or be empty. Every protocol version keeps `version SP` first.
 */
export function encodeHandshakeAuth(auth: WorkerAuth): string {
  return `${auth.version} ${auth.workerId} ${auth.secret}`;
}

/** The credentials in a property value, or null when it is malformed or too long (never throws). */
export function decodeHandshakeAuth(value: Uint8Array | undefined): WorkerAuth | null {
  if (value === undefined || value.length > MAX_AUTH_PROPERTY_BYTES) return null;
  const buf = Buffer.from(value.buffer, value.byteOffset, value.length);
  const first = buf.indexOf(0x20);
  const second = first < 0 ? -1 : buf.indexOf(0x20, first + 1);
  if (second < 0) return null;
  const version = readId(buf.subarray(0, first));
  const workerId = readId(buf.subarray(first + 1, second));
  const secret = readText(buf.subarray(second + 1), MAX_SECRET_BYTES);
  if (version === null || workerId === null || secret === null) return null;
  return { version, workerId, secret };
}
