/** Constant-time comparison of the shared secret a worker presents with the dispatcher's. */
import { createHash, timingSafeEqual } from "node:crypto";

/** Checks presented secrets in constant time (both sides hashed first, so lengths leak nothing). No secret = accept all. */
export class SecretCheck {
  private readonly digest: Buffer | null;

  constructor(secret: string | undefined) {
    this.digest = secret ? sha256(secret) : null;
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
