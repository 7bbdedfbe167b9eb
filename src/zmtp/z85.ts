/** Z85, ZeroMQ's printable encoding of binary keys: 4 octets ↔ 5 characters (RFC 32 "Z85"). */

/** The 85 characters of Z85, in value order (RFC 32 "Formal Specification"). */
const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/** Character code → value, -1 for a character outside the alphabet. */
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** Encodes octets as Z85 text; the length must be a multiple of 4 (RFC 32: the frame is the caller's business). */
export function z85Encode(data: Uint8Array): string {
  if (data.length % 4 !== 0) throw new TypeError(`Z85 needs a multiple of 4 octets, got ${data.length}`);
  let out = "";
  for (let i = 0; i < data.length; i += 4) {
    // big-endian 32-bit value, then 5 base-85 digits, most significant first
    let value = ((data[i] as number) * 0x100_0000 + ((data[i + 1] as number) << 16) + ((data[i + 2] as number) << 8) + (data[i + 3] as number)) >>> 0;
    let chunk = "";
    for (let d = 0; d < 5; d++) {
      chunk = ALPHABET[value % 85] + chunk;
      value = Math.floor(value / 85);
    }
    out += chunk;
  }
  return out;
}

/** Decodes Z85 text into octets; throws TypeError for a length not a multiple of 5, a foreign character or a group over 2^32-1. */
export function z85Decode(text: string): Buffer {
  if (text.length % 5 !== 0) throw new TypeError(`Z85 text must be a multiple of 5 characters, got ${text.length}`);
  const out = Buffer.allocUnsafe((text.length / 5) * 4);
  for (let i = 0, o = 0; i < text.length; i += 5, o += 4) {
    let value = 0;
    for (let d = 0; d < 5; d++) {
      const code = text.charCodeAt(i + d);
      const digit = code < 128 ? (DECODE[code] as number) : -1;
      if (digit < 0) throw new TypeError(`invalid Z85 character ${JSON.stringify(text[i + d])}`);
      value = value * 85 + digit;
    }
    if (value > 0xffff_ffff) throw new TypeError("invalid Z85 text: a group exceeds 32 bits");
    out.writeUInt32BE(value, o);
  }
  return out;
}
