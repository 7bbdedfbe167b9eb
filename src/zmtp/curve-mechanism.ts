/** The CURVE security mechanism (RFC 26 CurveZMQ as RFC 37 "The CURVE Security Mechanism" carries it): the client's and the server's half of HELLO, WELCOME, INITIATE, READY. */
import { authRefusal } from "./authorize.ts";
import { type Command, decodeError } from "./command.ts";
import type { BoxKeyPair, CurveBox } from "./curve-box.ts";
import { CurveCipher, type FrameCipher } from "./curve-cipher.ts";
import {
  COOKIE_SIZE,
  NONCE_PREFIX,
  decodeCurveReady,
  decodeHello,
  decodeInitiate,
  decodeWelcome,
  encodeCurveReady,
  encodeHello,
  encodeInitiate,
  encodeWelcome,
  longNonce,
  readCounter,
  shortNonce,
} from "./curve-codec.ts";
import type { Mechanism, MechanismStep } from "./mechanism.ts";
import { decodeMetadata, encodeMetadata } from "./metadata.ts";
import { z85Encode } from "./z85.ts";
import { ZmtpError, protocolError } from "./zmtp-error.ts";

/** Our long-term keys, 32 octets each; a client also knows the server's public key. */
export interface CurveKeys {
  publicKey: Buffer;
  secretKey: Buffer;
  /** The server's long-term public key S (client only). */
  serverKey: Buffer | null;
}

type Props = ReadonlyArray<readonly [string, Uint8Array | string]>;

/** The 8 octets of a short nonce's counter, as a command carries them. */
function counterOctets(n: number): Buffer {
  return shortNonce(NONCE_PREFIX.hello, n).subarray(16);
}

/** An ERROR received during the handshake: an authentication refusal (EACCES) or another protocol failure. */
function peerError(data: Buffer): ZmtpError {
  const reason = decodeError(data);
  return authRefusal(reason) ?? new ZmtpError("EPROTO", `peer refused the handshake: ${reason}`);
}

/**
 * The client side (the side that knows the server's public key; it dials in practice): HELLO at start, WELCOME →
 * INITIATE (with our long-term key, the vouch and our metadata), then the server's READY ends the handshake.
 */
export class CurveClientMechanism implements Mechanism {
  readonly name = "CURVE";
  readonly asServer = false;
  readonly peerPublicKey = null;
  private state: "start" | "welcome" | "ready" | "done" = "start";
  private readonly short: BoxKeyPair;
  private helloKey: Uint8Array | null = null; // (S, c'): HELLO's signature and WELCOME
  private sessionKey: Uint8Array | null = null; // (S', c'): INITIATE, READY, MESSAGE
  private received = 0;

  /**
   * @param box - the primitives (libsodium).
   * @param keys - our long-term key pair and the server's public key.
   * @param metadata - the properties INITIATE carries (`Socket-Type`, `Identity`, `X-…`).
   */
  constructor(
    private readonly box: CurveBox,
    private readonly keys: CurveKeys,
    private readonly metadata: Props,
  ) {
    if (keys.serverKey === null) throw new TypeError("a CURVE client needs the server's public key");
    this.short = box.keyPair(); // C', c': for this connection only
  }

  start(): Buffer[] {
    this.helloKey = this.box.before(this.keys.serverKey as Buffer, this.short.secretKey);
    // RFC 26 "The HELLO Command": counter 1, Box[64 zero octets](C'->S)
    const signature = this.box.seal(Buffer.alloc(64), shortNonce(NONCE_PREFIX.hello, 1), this.helloKey);
    this.state = "welcome";
    return [encodeHello({ clientShortKey: this.short.publicKey, nonce: counterOctets(1), signature })];
  }

  onCommand(command: Command): MechanismStep {
    if (command.name === "ERROR") throw peerError(command.data);
    if (this.state === "welcome" && command.name === "WELCOME") return { reply: [this.onWelcome(command.data)] };
    if (this.state === "ready" && command.name === "READY") return this.onReady(command.data);
    throw protocolError(`unexpected ${command.name} command during CURVE handshake (expecting ${this.state.toUpperCase()})`);
  }

  accepted(): Buffer[] {
    return [];
  }

  cipher(): FrameCipher | null {
    return this.sessionKey === null ? null : new CurveCipher(this.box, this.sessionKey, true, 2, this.received);
  }

  /** RFC 26 "The WELCOME Command" → "The INITIATE Command". */
  private onWelcome(data: Buffer): Buffer {
    const welcome = decodeWelcome(data);
    const plain = this.box.open(welcome.box, longNonce(NONCE_PREFIX.welcome, welcome.nonce), this.helloKey as Uint8Array);
    this.helloKey = null;
    if (plain === null) throw protocolError("CURVE WELCOME does not authenticate (wrong server key?)");
    const serverShort = plain.subarray(0, 32);
    const cookie = plain.subarray(32, 32 + COOKIE_SIZE);
    // the vouch: Box[C' + S](C->S') under a long nonce, proves our long-term key belongs to this connection
    const vouchNonce = this.box.random(16);
    const vouchKey = this.box.before(serverShort, this.keys.secretKey);
    const vouchBox = this.box.seal(Buffer.concat([this.short.publicKey, this.keys.serverKey as Buffer]), longNonce(NONCE_PREFIX.vouch, vouchNonce), vouchKey);
    this.sessionKey = this.box.before(serverShort, this.short.secretKey);
    const plainInitiate = Buffer.concat([this.keys.publicKey, vouchNonce, vouchBox, encodeMetadata(this.metadata)]);
    const box = this.box.seal(plainInitiate, shortNonce(NONCE_PREFIX.initiate, 2), this.sessionKey);
    this.state = "ready";
    return encodeInitiate({ cookie, nonce: counterOctets(2), box });
  }

  /** RFC 26 "The READY Command": the server's metadata under the session key. */
  private onReady(data: Buffer): MechanismStep {
    const ready = decodeCurveReady(data);
    const counter = readCounter(ready.nonce, 0);
    const plain = this.box.open(ready.box, shortNonce(NONCE_PREFIX.ready, counter), this.sessionKey as Uint8Array);
    if (plain === null) throw protocolError("CURVE READY does not authenticate");
    this.received = counter;
    this.state = "done";
    return { reply: [], peerMetadata: decodeMetadata(plain) };
  }
}

/**
 * The server side: HELLO → WELCOME (its cookie a secretbox under a key used once and then forgotten, with our
 * short-term secret key inside, so nothing else of the handshake is kept), INITIATE → READY. The client's
 * long-term key, proven by the vouch, is {@link peerPublicKey} for the `authorize` hook.
 */
export class CurveServerMechanism implements Mechanism {
  readonly name = "CURVE";
  readonly asServer = true;
  /** The client's long-term public key (Z85) once INITIATE was verified, else null. */
  peerPublicKey: string | null = null;
  private state: "hello" | "initiate" | "done" = "hello";
  private clientShort: Buffer | null = null;
  private helloCounter = 0;
  private cookieKey: Buffer | null = null;
  private sessionKey: Uint8Array | null = null;
  private received = 0;
  private held: boolean;

  /**
   * @param box - the primitives (libsodium).
   * @param keys - our long-term key pair.
   * @param metadata - the properties our READY carries.
   * @param holdReady - send READY only from {@link accepted}, once the `authorize` hook let the client in. Default: false.
   */
  constructor(
    private readonly box: CurveBox,
    private readonly keys: CurveKeys,
    private readonly metadata: Props,
    holdReady = false,
  ) {
    this.held = holdReady;
  }

  start(): Buffer[] {
    return []; // the client speaks first
  }

  onCommand(command: Command): MechanismStep {
    if (command.name === "ERROR") throw peerError(command.data);
    if (this.state === "hello" && command.name === "HELLO") return { reply: [this.onHello(command.data)] };
    if (this.state === "initiate" && command.name === "INITIATE") return this.onInitiate(command.data);
    throw protocolError(`unexpected ${command.name} command during CURVE handshake (expecting ${this.state.toUpperCase()})`);
  }

  accepted(): Buffer[] {
    if (!this.held) return [];
    this.held = false;
    return [this.ready()];
  }

  cipher(): FrameCipher | null {
    return this.sessionKey === null || this.state !== "done" ? null : new CurveCipher(this.box, this.sessionKey, false, 1, this.received);
  }

  /** RFC 26 "The HELLO Command" → "The WELCOME Command". */
  private onHello(data: Buffer): Buffer {
    const hello = decodeHello(data);
    this.helloCounter = readCounter(hello.nonce, 0);
    this.clientShort = Buffer.from(hello.clientShortKey);
    const key = this.box.before(this.clientShort, this.keys.secretKey);
    const signature = this.box.open(hello.signature, shortNonce(NONCE_PREFIX.hello, this.helloCounter), key);
    if (signature === null || signature.some((b) => b !== 0)) throw protocolError("CURVE HELLO does not authenticate (client has the wrong server key?)");
    const short = this.box.keyPair(); // S', s'
    this.cookieKey = this.box.random(32);
    const cookieNonce = this.box.random(16);
    const cookieBox = this.box.secretSeal(Buffer.concat([this.clientShort, short.secretKey]), longNonce(NONCE_PREFIX.cookie, cookieNonce), this.cookieKey);
    short.secretKey.fill(0); // from now on s' lives only in the cookie
    const welcomeNonce = this.box.random(16);
    const box = this.box.seal(Buffer.concat([short.publicKey, cookieNonce, cookieBox]), longNonce(NONCE_PREFIX.welcome, welcomeNonce), key);
    this.state = "initiate";
    return encodeWelcome({ nonce: welcomeNonce, box });
  }

  /** RFC 26 "The INITIATE Command": cookie, then the client's long-term key and its vouch, then its metadata. */
  private onInitiate(data: Buffer): MechanismStep {
    const initiate = decodeInitiate(data);
    const cookieKey = this.cookieKey as Buffer;
    const cookie = this.box.secretOpen(initiate.cookie.subarray(16), longNonce(NONCE_PREFIX.cookie, initiate.cookie.subarray(0, 16)), cookieKey);
    cookieKey.fill(0); // the cookie key is used once
    this.cookieKey = null;
    if (cookie === null || !cookie.subarray(0, 32).equals(this.clientShort as Buffer)) throw protocolError("CURVE INITIATE carries a bad cookie");
    const serverShortSecret = cookie.subarray(32, 64);
    const counter = readCounter(initiate.nonce, 0);
    if (counter <= this.helloCounter) throw protocolError("CURVE INITIATE nonce is not above HELLO's");
    const sessionKey = this.box.before(this.clientShort as Buffer, serverShortSecret);
    const plain = this.box.open(initiate.box, shortNonce(NONCE_PREFIX.initiate, counter), sessionKey);
    if (plain === null) throw protocolError("CURVE INITIATE does not authenticate");
    const clientLong = plain.subarray(0, 32);
    const vouch = plain.subarray(32, 128);
    const vouchPlain = this.box.open(vouch.subarray(16), longNonce(NONCE_PREFIX.vouch, vouch.subarray(0, 16)), this.box.before(clientLong, serverShortSecret));
    serverShortSecret.fill(0);
    if (vouchPlain === null) throw protocolError("CURVE INITIATE vouch does not authenticate");
    if (!vouchPlain.subarray(0, 32).equals(this.clientShort as Buffer) || !vouchPlain.subarray(32, 64).equals(this.keys.publicKey)) {
      throw protocolError("CURVE INITIATE vouch is for another connection or server");
    }
    const peerMetadata = decodeMetadata(plain.subarray(128));
    this.sessionKey = sessionKey;
    this.received = counter;
    this.peerPublicKey = z85Encode(clientLong);
    this.state = "done";
    return { reply: this.held ? [] : [this.ready()], peerMetadata };
  }

  /** Our READY: counter 1, Box[metadata](S'->C'). */
  private ready(): Buffer {
    const box = this.box.seal(encodeMetadata(this.metadata), shortNonce(NONCE_PREFIX.ready, 1), this.sessionKey as Uint8Array);
    return encodeCurveReady({ nonce: counterOctets(1), box });
  }
}
