/** Validating an arguments payload: codec JSON text of an array (JavaScript), or base64 of a pickle (Python), never unpickled. */
import { decodeArgs } from "../codec/index.ts";
import { checkPythonPayload, decodePythonBase64 } from "../codec/python-payload.ts";

/**
 * Why `payload` is not an arguments payload, or null when it is one: codec JSON text of an array, or a Python
 * payload (base64 of a well-formed pickle, as the Python clients send `((args…), {kwargs…})`), passed through
 * opaque: only its structure is checked, nothing is unpickled.
 */
export function argumentsProblem(payload: string): string | null {
  if (decodePythonBase64(payload) !== null) {
    const python = checkPythonPayload(payload);
    return python.ok ? null : `the Python arguments are ${python.reason}`;
  }
  try {
    decodeArgs(payload);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
