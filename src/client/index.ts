/** The typed bunfaas client (`bunfaas/client`): register, execute, poll and run functions over the REST API. */
export { FaasClient } from "./faas-client.ts";
export { FaasClientError } from "./faas-client-error.ts";
export type { ExecuteOptions, FaasClientOptions, ResultOptions, ResultResponse, StatusResponse, TaskStatus } from "./types.ts";
