/** FaasClientError: an error answer of the bunfaas API (or a failure to reach it), as seen by the client. */

/** The API answered with an error (`status`, `code` from its `{"error": {code, message}}` body), or could not be reached (`status` 0). */
export class FaasClientError extends Error {
  override readonly name = "FaasClientError";
  constructor(
    /** HTTP status; 0 when no response arrived (network failure). */
    readonly status: number,
    /** The API's error code, e.g. "INVALID_FUNCTION"; "NETWORK" or "UNEXPECTED_RESPONSE" for client-side failures. */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
