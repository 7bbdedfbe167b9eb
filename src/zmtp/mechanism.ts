/** The security-mechanism seam and the NULL mechanism (RFC 37 sections "Authentication and Confidentiality", "The NULL Security Mechanism"). */
import { type Command, decodeError, decodeReady, encodeReady } from "./command.ts";
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
 * each way; CURVE or PLAIN would add HELLO/WELCOME/INITIATE steps (and, for CURVE, frame
 * encryption, which would be an extra `wrap`/`unwrap` seam on this interface).
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
}

/** NULL: no security; each side sends READY with its metadata and waits for the peer's READY. */
export class NullMechanism implements Mechanism {
  readonly name = "NULL";
  readonly asServer = false;

  /** @param metadata - our READY properties (`Socket-Type`, optional `Identity`). */
  constructor(private readonly metadata: ReadonlyArray<readonly [string, Uint8Array | string]>) {}

  start(): Buffer[] {
    return [encodeReady(this.metadata)];
  }

  onCommand(command: Command): MechanismStep {
    if (command.name === "READY") return { reply: [], peerMetadata: decodeReady(command.data) };
    if (command.name === "ERROR") {
      throw new ZmtpError("EPROTO", `peer refused the handshake: ${decodeError(command.data)}`);
    }
    throw protocolError(`unexpected ${command.name} command during NULL handshake`);
  }
}
