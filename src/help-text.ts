/** The usage texts printed by `faas --help` and `faas <role> --help`. */
import type { Role } from "./config.ts";

const COMMON = `  --redis URL          Redis URL (redis://host:port or unix:///path); default $REDIS_URL, else redis://127.0.0.1:6379
  --result-ttl S       keep finished tasks S seconds (default 86400)
  --log-level L        debug | info | warn | error | silent (default $FAAS_LOG_LEVEL, else info)
  -h, --help           show this help`;

const TEXTS: Record<Role | "main", string> = {
  main: `faas — bunfaas, a function-as-a-service platform

Usage: faas <role> [options]

Roles:
  up           all-in-one on this machine: Redis (managed), REST API and a local dispatcher
  api          the REST API (register, execute, status, result)
  dispatcher   takes queued tasks from Redis and runs them on worker threads

Options:
  -h, --help     show help (faas <role> --help for a role's options)
  -v, --version  print the version`,
  up: `Usage: faas up [options]

Starts Redis (unless --redis/REDIS_URL is given; persisted in --data-dir), the API and a local dispatcher.

Options:
  --host H             listen address (default 127.0.0.1)
  -p, --port N         listen port, 0 for any free port (default 8000)
  -w, --workers N      worker threads (default: number of CPUs)
  --task-timeout S     default per-task timeout in seconds (default 300)
  --max-attempts N     starts per task before it fails as lost (default 3)
  --max-body BYTES     largest request body (default 1048576)
  --data-dir DIR       where the managed Redis keeps its append-only file (default ./.faas)
${COMMON}`,
  api: `Usage: faas api [options]

Options:
  --host H             listen address (default 127.0.0.1)
  -p, --port N         listen port, 0 for any free port (default 8000)
  --max-body BYTES     largest request body (default 1048576)
${COMMON}`,
  dispatcher: `Usage: faas dispatcher -m local [options]

Options:
  -m, --mode MODE      local (default)
  -w, --workers N      worker threads (default: number of CPUs)
  --task-timeout S     default per-task timeout in seconds (default 300)
  --max-attempts N     starts per task before it fails as lost (default 3)
${COMMON}`,
};

/** Usage text of `role`, or of the whole command. */
export function helpText(role?: Role): string {
  return TEXTS[role ?? "main"];
}
