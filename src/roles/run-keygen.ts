/** `faas keygen [--out FILE]`: a new CURVE key pair for the worker link, printed or written to FILE (0600) and FILE.pub. */
import type { KeygenConfig } from "../config.ts";
import { curveKeyPair } from "../zmtp/index.ts";
import { formatKeyPair, writeKeyPairFiles } from "./curve-key-files.ts";

/**
 * Without `--out`: print the key pair file (a `#` line, `public=…`, `secret=…`) on stdout. With `--out FILE`: write it
 * to FILE (created 0600; an existing FILE is refused, never overwritten) and the public key alone to FILE.pub, and print
 * the public key alone on the last stdout line (for a dispatcher's `--authorized-workers` or a worker's `--dispatcher-key`).
 */
export function runKeygen(cfg: KeygenConfig, print: (line: string) => void): void {
  const pair = curveKeyPair();
  if (cfg.out === undefined) {
    print(formatKeyPair(pair).trimEnd());
    return;
  }
  writeKeyPairFiles(cfg.out, pair);
  print(`# key pair written to ${cfg.out} (0600), public key to ${cfg.out}.pub; the public key:`);
  print(pair.publicKey);
}
