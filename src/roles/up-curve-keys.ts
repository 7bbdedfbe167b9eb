/** The CURVE keys `faas up` keeps in its data dir for the worker link: made once (0600), reused across restarts. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type { CurveKeyPair } from "../zmtp/index.ts";
import { readAuthorizedKeys, readKeyPairFile, writeKeyPairFiles } from "./curve-key-files.ts";

/** Where the keys are and what the children are started with. */
export interface UpCurveKeys {
  /** `DIR/dispatcher.key`: the dispatcher's key pair (its public key also in `dispatcher.key.pub`). */
  dispatcherKeyFile: string;
  /** `DIR/worker.key`: the key pair of the workers `faas up` starts. */
  workerKeyFile: string;
  /** `DIR/authorized-workers`: the worker keys the dispatcher accepts (ours, plus any added by hand). */
  authorizedFile: string;
  dispatcher: CurveKeyPair;
  worker: CurveKeyPair;
}

/**
 * The data dir's keys, made on first use: `dispatcher.key` and `worker.key` (0600, with `.pub` companions), and
 * `authorized-workers` (0600), which always lists our workers' key; keys added to it by hand stay (workers on other
 * machines). The directory is created 0700 if missing.
 */
export function upCurveKeys(dataDir: string): UpCurveKeys {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const dispatcherKeyFile = resolve(dir, "dispatcher.key");
  const workerKeyFile = resolve(dir, "worker.key");
  const authorizedFile = resolve(dir, "authorized-workers");
  const pair = (path: string) => (existsSync(path) ? readKeyPairFile(path, "key file") : writeKeyPairFiles(path));
  const dispatcher = pair(dispatcherKeyFile);
  const worker = pair(workerKeyFile);
  if (!existsSync(authorizedFile)) {
    writeFileSync(authorizedFile, `# public keys of the workers this dispatcher accepts, one per line (faas keygen)\n# the workers faas up starts:\n${worker.publicKey}\n`, { mode: 0o600 });
  } else if (!readAuthorizedKeys(authorizedFile, "key list").has(worker.publicKey)) {
    const text = readFileSync(authorizedFile, "utf8");
    writeFileSync(authorizedFile, `${text}${text.endsWith("\n") || text === "" ? "" : "\n"}# the workers faas up starts:\n${worker.publicKey}\n`);
  }
  return { dispatcherKeyFile, workerKeyFile, authorizedFile, dispatcher, worker };
}
