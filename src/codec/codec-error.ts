/** CodecError: the one error the codec throws, for any value it cannot encode or payload it cannot decode. */

/** A value could not be encoded, or payload text could not be decoded; `message` says what and where. */
export class CodecError extends Error {
  override readonly name = "CodecError";
  /** Stable machine-readable code, always `"CODEC"`. */
  readonly code = "CODEC" as const;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The message of a caught foreign error, for quoting inside a CodecError message; never throws. */
export function quoteError(err: unknown): string {
  try {
    if (err instanceof Error) return err.message;
    return String(err);
  } catch {
    return "unprintable error";
  }
}
