/** The CURVE socket options (zeromq.js v6 names `curveServer`, `curvePublicKey`, `curveSecretKey`, `curveServerKey`) and their resolution into keys. */
import { curveKeyBytes, curvePublicOf } from "./curve-keys.ts";
import type { CurveKeys } from "./curve-mechanism.ts";

/** The CURVE options of a socket; none set means the NULL mechanism. Keys are 40 characters of Z85 or 32 octets. */
export interface CurveOptions {
  /** Be the CURVE server (needs `curveSecretKey`; clients must know our public key). Default: false. */
  curveServer?: boolean;
  /** Our long-term public key; derived from `curveSecretKey` when absent (must match it when given). Default: derived. */
  curvePublicKey?: string | Uint8Array;
  /** Our long-term secret key: required for a CURVE server or client. Default: none. */
  curveSecretKey?: string | Uint8Array;
  /** The server's long-term public key: setting it makes this socket a CURVE client. Default: none. */
  curveServerKey?: string | Uint8Array;
}

/** Resolved CURVE settings: our keys and role. */
export interface CurveSettings extends CurveKeys {
  /** True for the server role. */
  server: boolean;
}

/** The CURVE settings of the options, or null for NULL; throws TypeError for a bad key or an incomplete or ambiguous set. */
export function resolveCurveOptions(o: CurveOptions): CurveSettings | null {
  const server = o.curveServer ?? false;
  if (typeof server !== "boolean") throw new TypeError("option curveServer must be a boolean");
  const anyKey = o.curvePublicKey !== undefined || o.curveSecretKey !== undefined || o.curveServerKey !== undefined;
  if (!server && !anyKey) return null;
  if (server && o.curveServerKey !== undefined) throw new TypeError("option curveServerKey is for CURVE clients; a curveServer knows its own keys");
  if (!server && o.curveServerKey === undefined) throw new TypeError("CURVE keys need curveServer: true (server) or curveServerKey (client)");
  if (o.curveSecretKey === undefined) throw new TypeError(`a CURVE ${server ? "server" : "client"} needs option curveSecretKey`);
  const secretKey = curveKeyBytes(o.curveSecretKey, "option curveSecretKey");
  const publicKey = curvePublicOf(secretKey);
  if (o.curvePublicKey !== undefined && !curveKeyBytes(o.curvePublicKey, "option curvePublicKey").equals(publicKey)) {
    throw new TypeError("option curvePublicKey is not the public key of curveSecretKey");
  }
  const serverKey = o.curveServerKey === undefined ? null : curveKeyBytes(o.curveServerKey, "option curveServerKey");
  return { server, publicKey, secretKey, serverKey };
}
