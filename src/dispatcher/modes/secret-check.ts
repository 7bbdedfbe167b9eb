/** Constant-time comparison of the shared secret a worker presents with the dispatcher's, and the version check. */
import { createHash, timingSafeEqual } from "node:crypto";
import { PROTOCOL_VERSION, type WorkerAuth } from "../../protocol/index.ts";

/** Checks presented secrets in constant time (both sides hashed first, so lengths leak nothing). No secret = accept all. */
export class SecretCheck {
  private readonly digest: Buffer | null;

  constructor(secret: string | undefined) {
    this.digest = secret ? sha256(secret) : null;
  }

  /** Null when a worker presenting `auth` may talk to us, else why not (its protocol version, then its secret). */
  denial(auth: WorkerAuth): string | null {
    if (auth.version !== PROTOCOL_VERSION) return `protocol version ${auth.version} is not supported (dispatcher speaks ${PROTOCOL_VERSION})`;
    if (!this.accepts(auth.secret)) return auth.secret === "" ? "this dispatcher requires a secret" : "wrong secret";
    return null;
  }

  /** Whether `presented` is the secret (always true when the dispatcher has none). */
  accepts(presented: string): boolean {
    if (this.digest === null) return true;
    return timingSafeEqual(this.digest, sha256(presented));
  }
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
