/** The usage texts printed by `faas --help` and `faas <role> --help`. */
import type { Role } from "./config.ts";

const COMMON = `  --redis URL          Redis URL (redis://host:port or unix:///path); default $REDIS_URL, else redis://127.0.0.1:6379
  --result-ttl S       keep finished tasks S seconds (default 86400)
  --log-level L        debug | info | warn | error | silent (default $FAAS_LOG_LEVEL, else info)
  -h, --help           show this help`;
const RUN = `  --task-timeout S     default per-task timeout in seconds (default 300; a call may override it)
  --max-attempts N     starts per task before it fails as lost, for infrastructure faults (default 3)`;
const ISOLATE = `  --isolation I        process (default): each executor thread in a process of its own, sandboxed when run as root
                       (own PID namespace, --run-as user, memory limit); thread: threads in this process (trusted code only)
  --task-memory MB     memory limit of each executor process, runtime included (default 512): MemoryLimitError above it
  --run-as USER        the account executor processes run as when started by root (default nobody)
  --max-result BYTES   largest result a task may return (default 10485760): ResultTooLargeError above it
  --task-log-lines N   log lines kept per task (default 1000; 64 KiB at most): GET /tasks/{id}/logs, and printed
                       with the task id at --log-level debug
  --python-path DIR    put DIR first on the Python runners' sys.path, for functions pickled by reference (repeatable);
                       Python functions run when python3 with dill is on the executors' PATH`;
const AUTH = `  --auth MODE          required: every call but /health and the docs needs Authorization: Bearer <key> (faas keys);
                       off: no keys, everything is tenant "default" (default: required unless --host is loopback)
  --insecure           allow --auth off on a non-loopback --host
  --rate-limit N       requests per second per key (default 1000)
  --max-queued N       queued or running tasks per tenant (default 100000)
  --max-functions N    functions per tenant (default 10000)`;
const SECRET = `  --secret S           shared secret remote workers must present (default $FAAS_SECRET, else none)`;

const CLIENT = `  --url URL            the API (default $FAAS_URL, else http://127.0.0.1:8000)
  --key KEY            an API key (default $FAAS_KEY; faas keys create)
  -h, --help           show this help
Exit status: 0 done, 1 the call or the task failed (one line on stderr), 2 bad usage.`;

const TEXTS: Record<Role | "main", string> = {
  main: `faas — bunfaas, a function-as-a-service platform

Usage: faas <role> [options]

Roles:
  up           all-in-one on this machine: Redis (managed), the API, a dispatcher and its workers
  api          the REST API (register, execute, status, result)
  dispatcher   takes queued tasks from Redis and runs them: on its own threads (local) or on remote workers (pull, push)
  worker       a remote worker process: faas worker pull|push N tcp://HOST:PORT
  keys         API keys: faas keys create --name NAME [--tenant T] [--admin] | list | revoke ID
  keygen       a CURVE key pair for the worker link: faas keygen [--out FILE]
  fn           functions of a running API: faas fn deploy FILE --name NAME | list | rm ID
  call         run a function and print its result: faas call NAME_OR_ID [ARGS_JSON] [--wait S]
  task         a task's record: faas task ID

Options:
  -h, --help     show help (faas <role> --help for a role's options)
  -v, --version  print the version`,
  up: `Usage: faas up [options]

Starts Redis (unless --redis/REDIS_URL is given; persisted in --data-dir), a dispatcher, its workers (pull/push)
and the API, each as a child process; Ctrl-C or SIGTERM stops them all.

Options:
  -m, --mode MODE      local (default), pull or push
  -w, --threads N      threads of the local dispatcher, or of each worker process (default: number of CPUs)
  --workers K          worker processes in pull/push mode (default 2)
  --host H             API listen address (default 127.0.0.1)
  -p, --port N         API port, 0 for any free port (default 8000)
  --max-body BYTES     largest request body (default 1048576)
  --allowed-hosts LIST more Host names answered: name (any port) or name:port, comma-separated, * for any
                       (default: the API's own address; any Host when --host is 0.0.0.0 or ::)
  --cors-origin ORIGIN browser origins allowed to call the API, e.g. https://app.example.com (repeatable; default none)
  --data-dir DIR       where the managed Redis keeps its append-only file (default ./.faas)
  --curve on|off       pull/push: CURVE on the worker link (default on): keys made once and kept in --data-dir
                       (dispatcher.key, worker.key, authorized-workers; 0600); off (or --secret given): a shared
                       secret, sent in clear text
${AUTH}
${RUN}
${ISOLATE}
${SECRET} (pull/push with --curve off: a random one if not given)
${COMMON}`,
  api: `Usage: faas api [options]

Options:
  --host H             listen address (default 127.0.0.1)
  -p, --port N         listen port, 0 for any free port (default 8000)
  --max-body BYTES     largest request body (default 1048576)
  --allowed-hosts LIST more Host names answered: name (any port) or name:port, comma-separated, * for any
                       (default: the API's own address; any Host when --host is 0.0.0.0 or ::)
  --cors-origin ORIGIN browser origins allowed to call the API, e.g. https://app.example.com (repeatable; default none)
${AUTH}
${COMMON}`,
  keys: `Usage: faas keys create --name NAME [--tenant T] [--admin] [--redis URL | --data-dir DIR]
       faas keys list [--redis URL | --data-dir DIR]
       faas keys revoke ID [--redis URL | --data-dir DIR]

API keys, stored hashed (SHA-256) in Redis. create prints the new key alone on its last line: it is shown once.
A key belongs to a tenant: its functions and tasks are invisible to other tenants' keys; an admin key sees all.
A revoked key stops working within 2 s. Without --redis (or $REDIS_URL), the Redis of the faas up running on
--data-dir (default ./.faas) is used.

Options:
  --name NAME          create: what the key is for (1-100 characters)
  --tenant T           create: its tenant, 1-64 of A-Z a-z 0-9 _ . - (default "default")
  --admin              create: an admin key (sees every tenant; GET /keys, DELETE /keys/{id})
  --data-dir DIR       the data dir of a running faas up (default ./.faas)
  --redis URL          any Redis instead (default $REDIS_URL)
  -h, --help           show this help`,
  fn: `Usage: faas fn deploy FILE --name NAME | faas fn list | faas fn rm ID

deploy registers the function expression in FILE (JavaScript or TypeScript, e.g. "(x: number) => x * 2") under
NAME and prints its id; list prints the functions (ID, NAME, CREATED); rm deletes one.

Options:
  --name NAME          deploy: the function's name
${CLIENT}`,
  call: `Usage: faas call NAME_OR_ID [ARGS_JSON] [--wait S]

Runs the function (by id, or the newest function of that name) with ARGS_JSON (a JSON array, default [])
and prints its result: JSON for plain values, else inspected. A task that FAILED prints its error and exits 1.

Options:
  --wait S             longest wait for the result in seconds (default 300); then exit 1
${CLIENT}`,
  task: `Usage: faas task ID

Prints the task's record as JSON (GET /tasks/{id}): status, attempts, executor, times and its result.

Options:
${CLIENT}`,
  dispatcher: `Usage: faas dispatcher -m local|pull|push [options]

Options:
  -m, --mode MODE      local (default): run tasks on this process's threads;
                       pull: workers ask for tasks (REQ → ROUTER); push: tasks are pushed to registered workers (DEALER ↔ ROUTER)
  -w, --threads N      local mode: worker threads (default: number of CPUs)
  --host H             pull/push: interface to bind (default 127.0.0.1; 0.0.0.0 exposes it: see docs/deployment.md)
  -p, --port N         pull/push: port to bind, 0 for any free port (default 5555)
  --ipc PATH           pull/push: also bind the unix socket PATH, for workers on this machine
                       (faas worker … ipc://PATH: cheaper than loopback TCP; default: none)
${RUN}
${ISOLATE} (local mode)
${SECRET}; visible in process listings
  --secret-file PATH   read the secret from PATH at start (a file not group/world readable; - for stdin)
  --curve-key FILE     pull/push: CURVE on the worker link with this key pair (faas keygen --out FILE), instead of a secret;
                       workers need its public key (FILE.pub) as --dispatcher-key
  --authorized-workers FILE
                       with --curve-key: the public keys of the workers accepted, one per line (# comments)
${COMMON}`,
  worker: `Usage: faas worker pull|push N tcp://HOST:PORT [options]
       faas worker pull|push N ipc:///PATH [options]

Connects to a dispatcher in pull or push mode and runs its tasks on N threads. Needs no Redis.
ipc:// reaches a dispatcher on this machine started with --ipc PATH.

Options:
  --task-timeout S     default per-task timeout in seconds (default 300; the task's own value wins)
  --queue N            most tasks each thread holds ready beyond the running one, as many as fit 20 ms of their
                       measured run time (pull 0-7, default 7; push 0-32, default 32): a finished thread starts its
                       next task without a round trip; 0: none waits here while another worker is idle
${ISOLATE}
${SECRET}; visible in process listings
  --secret-file PATH   read the secret from PATH at start (a file not group/world readable; - for stdin)
  --curve-key FILE     CURVE on the link with this worker's key pair (faas keygen --out FILE), instead of a secret;
                       its public key must be in the dispatcher's --authorized-workers
  --dispatcher-key Z85 with --curve-key: the dispatcher's public key (40 characters; its key file's .pub)
  --log-level L        debug | info | warn | error | silent (default info)
  -h, --help           show this help`,
  keygen: `Usage: faas keygen [--out FILE]

Makes a CURVE key pair (Curve25519, Z85 text) for the worker link. Without --out it prints the key pair file:
  # bunfaas CURVE key pair (faas keygen): keep this file private (mode 0600)
  public=<40 characters>
  secret=<40 characters>
With --out FILE it writes that to FILE (created 0600; an existing FILE is refused) and the public key alone to
FILE.pub, and prints the public key alone on its last line. Give the file to --curve-key (dispatcher or worker);
put a worker's public key in the dispatcher's --authorized-workers and the dispatcher's in a worker's --dispatcher-key.

Options:
  --out FILE           write the key pair to FILE and FILE.pub instead of printing it
  -h, --help           show this help`,
};

/** Usage text of `role`, or of the whole command. */
export function helpText(role?: Role): string {
  return TEXTS[role ?? "main"];
}
