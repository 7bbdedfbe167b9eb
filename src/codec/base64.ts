/** Base64 of bytes with the built-in `Uint8Array` methods where they exist, and `btoa`/`atob` where not (Node 20, older browsers). */

type WithBase64 = Uint8Array & { toBase64?: () => string };
const fromBase64 = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array }).fromBase64;

/** Standard base64 (with padding) of `bytes`. */
export function bytesToBase64(bytes: Uint8Array): string {
  const native = (bytes as WithBase64).toBase64;
  if (typeof native === "function") return native.call(bytes);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** The bytes of standard base64 text; throws on text that is not base64. */
export function base64ToBytes(text: string): Uint8Array<ArrayBuffer> {
  if (typeof fromBase64 === "function") return fromBase64(text) as Uint8Array<ArrayBuffer>;
  if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(text)) throw new SyntaxError("not base64");
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
