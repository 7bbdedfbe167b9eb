/** The runtimes a worker has, as its ZMTP handshake advertises them: the `X-Faas-Runtimes` READY property (`js python`), its encoding and validating decoding. */

/**
 * Name of the READY metadata property in which every worker socket lists the runtimes its executors have, space
 * separated: `js` always, `python` when a `python3` with dill is there. A worker that predates it sends none and is
 * taken as `js` only (the property is new in protocol 3's handshake; older dispatchers ignore it).
 */
export const RUNTIMES_PROPERTY = "X-Faas-Runtimes";

/** The runtimes a function can need. */
export type Runtime = "js" | "python";

const KNOWN: ReadonlySet<string> = new Set<Runtime>(["js", "python"]);
/** Longest property value read. */
const MAX_BYTES = 256;

/** The property's value for these runtimes. */
export function encodeRuntimes(runtimes: readonly Runtime[]): string {
  return [...new Set(runtimes)].join(" ");
}

/** The runtimes a property value lists (unknown names ignored); `js` only when it is missing or malformed. Never throws. */
export function decodeRuntimes(value: Uint8Array | undefined): ReadonlySet<Runtime> {
  const out = new Set<Runtime>(["js"]);
  if (value === undefined || value.length > MAX_BYTES) return out;
  for (const name of Buffer.from(value.buffer, value.byteOffset, value.length).toString("latin1").split(" ")) {
    if (KNOWN.has(name)) out.add(name as Runtime);
  }
  return out;
}
