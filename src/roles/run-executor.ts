/** `faas executor` (hidden): an executor process of process isolation, started by a thread pool over an ipc channel. */
export { runExecutor } from "../workers/executor-main.ts";
