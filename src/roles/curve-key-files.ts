/** CURVE key files of the worker link: a key pair file (`public=`/`secret=` lines, 0600), its `.pub` companion, and the authorized-workers list. */
import { closeSync, fstatSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { FaasError } from "../faas-error.ts";
import { curveKeyPair, curvePublicKey, type CurveKeyPair } from "../zmtp/index.ts";
import { z85Decode } from "../zmtp/z85.ts";

/**
 * The text of a key pair file, as `faas keygen` writes it:
 * ```
 * # bunfaas CURVE key pair (faas keygen): keep this file private
 * public=<40 characters of Z85>
 * secret=<40 characters of Z85>
 * ```
 */
export function formatKeyPair(pair: CurveKeyPair): string {
  return `# bunfaas CURVE key pair (faas keygen): keep this file private (mode 0600)\npublic=${pair.publicKey}\nsecret=${pair.secretKey}\n`;
}

/** The `.pub` companion: the public key alone on a line, ready to paste into an authorized-workers file. */
export function formatPublicKey(pair: CurveKeyPair): string {
  return `${pair.publicKey}\n`;
}

/** Whether `text` is a CURVE key: 40 characters of Z85. */
export function isCurveKey(text: string): boolean {
  if (text.length !== 40) return false;
  try {
    z85Decode(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Read a key pair file written by `faas keygen` (`flag` names it in errors). Refuses (FaasError CONFIG) a file group
 * or others may read, one without a valid `secret=` line, and a `public=` line that is not the secret's public key
 * (the line may be left out: the public key is derived from the secret).
 */
export function readKeyPairFile(path: string, flag: string): CurveKeyPair {
  const text = readPrivate(path, flag);
  const fields = new Map<string, string>();
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    const name = eq < 0 ? "" : line.slice(0, eq).trim();
    if (name !== "public" && name !== "secret") throw bad(flag, path, i, `expected public=KEY or secret=KEY (made by faas keygen)`);
    const value = line.slice(eq + 1).trim();
    if (!isCurveKey(value)) throw bad(flag, path, i, `${name}= must be a 40-character Z85 key`);
    fields.set(name, value);
  }
  const secretKey = fields.get("secret");
  if (secretKey === undefined) throw new FaasError("CONFIG", `${flag} ${path} holds no secret= line (make one with faas keygen --out FILE)`);
  const publicKey = curvePublicKey(secretKey);
  const given = fields.get("public");
  if (given !== undefined && given !== publicKey) throw new FaasError("CONFIG", `${flag} ${path}: public= is not the public key of its secret=`);
  return { publicKey, secretKey };
}

/**
 * The public keys of an authorized-workers file: one per line, optionally followed by a `#` comment; blank lines
 * and lines starting with `#` are skipped (no key begins with `#`: a Z85 group starting with it exceeds 32 bits).
 * Any other line → FaasError CONFIG naming the line.
 */
export function readAuthorizedKeys(path: string, flag = "--authorized-workers"): Set<string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new FaasError("CONFIG", `cannot read ${flag} ${path}: ${(err as Error).message}`);
  }
  const keys = new Set<string>();
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const [word = "", ...rest] = line.split(/\s+/);
    if (isCurveKey(word) && (rest.length === 0 || rest[0]!.startsWith("#"))) keys.add(word);
    else throw bad(flag, path, i, `expected a 40-character Z85 public key (faas keygen prints one) or a # comment`);
  }
  return keys;
}

/** Write a new key pair to `path` (0600, which must not exist) and its public key to `path.pub` (0644); returns the pair. */
export function writeKeyPairFiles(path: string, pair: CurveKeyPair = curveKeyPair()): CurveKeyPair {
  try {
    writeFileSync(path, formatKeyPair(pair), { mode: 0o600, flag: "wx" });
    writeFileSync(`${path}.pub`, formatPublicKey(pair), { mode: 0o644 });
  } catch (err) {
    throw new FaasError("CONFIG", `cannot write the key pair to ${path}: ${(err as Error).message}`);
  }
  return pair;
}

function readPrivate(path: string, flag: string): string {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    throw new FaasError("CONFIG", `cannot open ${flag} ${path}: ${(err as Error).message}`);
  }
  try {
    const mode = fstatSync(fd).mode;
    if ((mode & 0o077) !== 0) throw new FaasError("CONFIG", `${flag} ${path} may be read by other users (mode ${(mode & 0o777).toString(8)}): chmod 600 it`);
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}

function bad(flag: string, path: string, index: number, what: string): FaasError {
  return new FaasError("CONFIG", `${flag} ${path} line ${index + 1}: ${what}`);
}
