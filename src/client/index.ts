/** The typed bunfaas client (`bunfaas/client`): register, run, submit batches, collect and stream results over the REST API. */
export { DEFAULT_TIMEOUT_MS, FaasClient, taskValue } from "./faas-client.ts";
export { FaasClientError } from "./faas-client-error.ts";
export type { WaitOptions } from "./deadline.ts";
export { readSse, type SseEvent } from "./sse-reader.ts";
export type {
  Batch, EventsOptions, ExecuteOptions, FaasClientOptions, MapOptions, ResultOptions, ResultResponse, ResultsOptions, Settled, StatusResponse,
  SubmitOptions, TaskEvent, TaskStatus, FunctionInfo, FunctionList, TaskRecord,
} from "./types.ts";
/** The codec's decoding, so a raw `/result` text can be turned back into its value (or Error). */
export { CodecError, decode, toError } from "../codec/index.ts";
