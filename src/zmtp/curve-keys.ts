/** CURVE long-term keys: key pairs as Z85 text (zeromq.js `curveKeyPair()`), and reading a key given as Z85 text or 32 octets (RFC 26, RFC 32). */
import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { z85Decode, z85Encode } from "./z85.ts";

/** Octets of a Curve25519 public or secret key. */
export const CURVE_KEY_SIZE = 32;

/** A CURVE key pair as 40-character Z85 text, as zeromq.js's `curveKeyPair()` returns it. */
export interface CurveKeyPair {
  /** The public key (Z85, 40 characters). */
  publicKey: string;
  /** The secret key (Z85, 40 characters); keep it private. */
  secretKey: string;
}

/** Generates a new long-term Curve25519 key pair (the platform's X25519), as Z85 text (zmq_curve_keypair). */
export function curveKeyPair(): CurveKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync("x25519");
  const pub = Buffer.from(publicKey.export({ format: "jwk" }).x as string, "base64url");
  const sec = Buffer.from(privateKey.export({ format: "jwk" }).d as string, "base64url");
  return { publicKey: z85Encode(pub), secretKey: z85Encode(sec) };
}

/** The DER head of a PKCS#8 X25519 private key (RFC 8410), followed by the 32 raw octets. */
const PKCS8_X25519 = Buffer.from("302e020100300506032b656e04220420", "hex");

/** The public key of a Curve25519 secret key (zmq_curve_public), 32 octets. */
export function curvePublicOf(secretKey: Uint8Array): Buffer {
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_X25519, secretKey]), format: "der", type: "pkcs8" });
  return createPublicKey(key).export({ format: "der", type: "spki" }).subarray(-CURVE_KEY_SIZE);
}

/** The public key (Z85) of a secret key given as Z85 text or 32 octets (zmq_curve_public). */
export function curvePublicKey(secretKey: string | Uint8Array): string {
  return z85Encode(curvePublicOf(curveKeyBytes(secretKey, "secretKey")));
}

/** A key given as 40 characters of Z85 or 32 octets, as 32 octets (a copy); throws TypeError naming `what` otherwise. */
export function curveKeyBytes(key: string | Uint8Array, what: string): Buffer {
  if (typeof key === "string") {
    if (key.length !== 40) throw new TypeError(`${what} must be 40 characters of Z85 or 32 octets, got ${key.length} characters`);
    return z85Decode(key);
  }
  if (!(key instanceof Uint8Array) || key.length !== CURVE_KEY_SIZE) throw new TypeError(`${what} must be 40 characters of Z85 or 32 octets`);
  return Buffer.from(key);
}
