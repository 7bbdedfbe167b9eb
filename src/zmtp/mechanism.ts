/** The security-mechanism seam and the NULL mechanism (RFC 37 sections "Authentication and Confidentiality", "The NULL Security Mechanism"). */
import { authRefusal } from "./authorize.ts";
import { type Command, decodeError, decodeReady, encodeReady } from "./command.ts";
import type { FrameCipher } from "./curve-cipher.ts";
import type { Metadata } from "./metadata.ts";
import { ZmtpError, protocolError } from "./zmtp-error.ts";

/** Result of feeding one handshake command to a mechanism. */
export interface MechanismStep {
  /** Command frames to send back to the peer. */
  reply: Buffer[];
  /** Set when the handshake is complete: the peer's metadata. */
  peerMetadata?: Metadata;
}

/**
 * A security mechanism drives the handshake that follows the greeting. NULL needs one READY
 * each way; CURVE (`curve-mechanism.ts`) adds HELLO/WELCOME/INITIATE steps and frame encryption
 * through the optional {@link Mechanism.cipher} seam (absent for NULL, so its frames cost nothing extra).
 */
export interface Mechanism {
  /** Name carried in the greeting, e.g. "NULL". */
  readonly name: string;
  /** Value of our greeting's as-server field. */
  readonly asServer: boolean;
  /** Commands to send once the greetings are exchanged. */
  start(): Buffer[];
  /** Handles a command received before the handshake is complete. */
  onCommand(command: Command): MechanismStep;
  /** Commands to send once the application authorized the peer (what the mechanism held back until then), else none. */
  accepted(): Buffer[];
  /** The peer's long-term public key (Z85) the handshake proved it holds (CURVE server); absent or null otherwise. */
  readonly peerPublicKey?: string | null;
  /** After the handshake: what seals and opens every frame (CURVE MESSAGE boxes); absent or null to send frames as they are. */
  cipher?(): FrameCipher | null;
}

/**
 * NULL: no security; each side sends READY with its metadata and waits for the peer's READY. A side that authorizes
 * its peers holds its READY until the peer's READY was judged (as libzmq's NULL server does until its ZAP reply), so
 * a refused peer sees an ERROR instead of a completed handshake.
 */
export class NullMechanism implements Mechanism {
  readonly name = "NULL";
  readonly asServer = false;
  private held: boolean;

  /**
   * @param metadata - our READY properties (`Socket-Type`, optional `Identity`, application `X-` properties).
   * @param holdReady - send our READY only from {@link accepted}, after the peer's READY was authorized. Default: false.
   */
  constructor(
    private readonly metadata: ReadonlyArray<readonly [string, Uint8Array | string]>,
    holdReady = false,
  ) {
    this.held = holdReady;
  }

  start(): Buffer[] {
    return this.held ? [] : [encodeReady(this.metadata)];
  }

  accepted(): Buffer[] {
    if (!this.held) return [];
    this.held = false;
    return [encodeReady(this.metadata)];
  }

  onCommand(command: Command): MechanismStep {
    if (command.name === "READY") return { reply: [], peerMetadata: decodeReady(command.data) };
    if (command.name === "ERROR") {
      const reason = decodeError(command.data);
      throw authRefusal(reason) ?? new ZmtpError("EPROTO", `peer refused the handshake: ${reason}`);
    }
    throw protocolError(`unexpected ${command.name} command during NULL handshake`);
  }
}
