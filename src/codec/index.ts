/** The value codec: the payload wire format for function arguments, results and errors. */
export { CodecError } from "./codec-error.ts";
export { encode } from "./encode.ts";
export { decode, decodeArgs } from "./decode.ts";
export { encodeError, type EncodeErrorOptions } from "./encode-error.ts";
export { toError } from "./to-error.ts";
