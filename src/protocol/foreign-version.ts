/** Recognising a worker message of another protocol version by its head, which every version keeps the same. */
import { type ForeignVersion, PROTOCOL_VERSION } from "./messages.ts";
import { AUTH_FRAMES, readAuth } from "./result-frames.ts";

/**
 * For a message whose frames start `type version workerId secret`: undefined when it speaks
 * {@link PROTOCOL_VERSION} (decode the rest), FOREIGN when the head is valid and names another version (the
 * dispatcher denies it with the reason), null when the head itself is malformed. Never throws.
 */
export function readForeign(frames: readonly Buffer[]): ForeignVersion | null | undefined {
  const version = frames[1];
  if (version !== undefined && version.length === PROTOCOL_VERSION.length && version.toString("latin1") === PROTOCOL_VERSION) return undefined;
  if (frames.length < 1 + AUTH_FRAMES) return null;
  const auth = readAuth(frames, 1);
  return auth === null ? null : { type: "FOREIGN", auth };
}
