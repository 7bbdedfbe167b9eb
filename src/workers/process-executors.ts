/** Executor processes: each runs one Bun Worker thread (`faas executor`), confined by the sandbox, one job at a time. */
import { silentLog, type Log } from "../log.ts";
import type { ExecutorCallbacks, ExecutorFactory, ExecutorHandle } from "./executor-handle.ts";
import { limitJobMemory, logLines, processEnd, randomJobSeq } from "./executor-process.ts";
import { chooseSandbox, type ExecutorSandbox } from "./executor-sandbox.ts";
import type { PoolJob } from "./outcome.ts";
import { DEFAULT_EXECUTOR_ENV, type ProcessExecutorOptions } from "./process-executor-options.ts";
import { SealedChannel } from "./sealed-channel.ts";
import type { RunMessage, SkipMessage } from "./thread-messages.ts";


/**
 * How long a job may go without a word from its executor before the executor is taken to have lost the job's
 * message (code left behind by an earlier job read it off the channel) and is replaced; the job runs again.
 * The executor says `got` for a job still running after {@link GOT_AFTER_MS} (see executor-main.ts).
 */
const JOB_RECEIPT_MS = 5000;

/**
 * Starts executor processes for a `ThreadPool` (see {@link ProcessExecutorOptions}). The channel to each is Bun's
 * `ipc` (a socketpair, JSON messages): the user's stdout and stderr are separate pipes, read and logged at debug
 * level, so printing cannot corrupt it. User code in the executor can still reach the socket's descriptor, so every
 * message on it is sealed ({@link SealedChannel}, keys sent first, before any job): what it reads there is
 * ciphertext, what it writes there breaks the channel and the executor is replaced. Job sequence numbers are random
 * too, so leftover code of an earlier job cannot guess the next job's number.
 */
export class ProcessExecutors implements ExecutorFactory {
  readonly kind = "process";
  readonly trains = true;
  readonly #command: string[];
  readonly #env: Record<string, string>;
  readonly #memoryMb: number;
  readonly #log: Log;
  readonly #sandbox: ExecutorSandbox;

  constructor(opts: ProcessExecutorOptions) {
    if (opts.command.length === 0) throw new RangeError("command must name the executor program");
    const memoryMb = opts.memoryMb ?? 512;
    if (!(memoryMb >= 16)) throw new RangeError(`memoryMb must be at least 16: ${memoryMb}`);
    this.#command = opts.command;
    this.#env = { ...(opts.env ?? DEFAULT_EXECUTOR_ENV) };
    this.#memoryMb = memoryMb;
    this.#log = opts.log ?? silentLog;
    this.#sandbox = chooseSandbox({ sandbox: opts.sandbox ?? true, runAs: opts.runAs ?? "nobody", name: opts.name ?? "pool", log: this.#log });
  }

  /** Whether executors get the full sandbox (root: PID namespace, run-as user, memory cgroup). */
  get sandboxed(): boolean {
    return this.#sandbox.full;
  }

  nextSeq(previous: number): number {
    return randomJobSeq(previous);
  }

  start(index: number, label: string, callbacks: ExecutorCallbacks): ExecutorHandle {
    const cgroup = this.#sandbox.cgroups?.slot(index) ?? null;
    if (cgroup !== null && cgroup.limitMb !== this.#memoryMb && !cgroup.setLimit(this.#memoryMb)) {
      // A fresh cgroup whose old processes are not gone yet; the new limit applies with the first job.
      this.#log.warn("could not set the executor's memory limit yet", { executor: label, memoryMb: this.#memoryMb });
    }
    const oomBefore = cgroup?.oomKills() ?? 0;
    let killed = false;
    /** Why we killed it, when the channel was tampered with or lost a job. */
    let killReason: string | undefined;
    const { channel, peerKeys } = SealedChannel.create();
    /** The job posted last and when (cleared by any word about it). */
    let awaited: { seq: number; at: number } | null = null;
    // One receipt timer per executor, armed when a job is posted and none is pending, re-armed for what is left of
    // the newest job's deadline: no setTimeout/clearTimeout per job.
    let receiptTimer: Timer | null = null;
    const checkReceipt = () => {
      receiptTimer = null;
      if (awaited === null || killed) return;
      const left = awaited.at + JOB_RECEIPT_MS - performance.now();
      if (left > 0) receiptTimer = setTimeout(checkReceipt, left);
      else kill("its job never reached it (code it ran earlier read the channel)");
    };
    const heard = (message: unknown) => {
      if (awaited !== null && (message as { seq?: unknown } | null)?.seq === awaited.seq) awaited = null;
    };
    const proc = Bun.spawn(this.#sandbox.argv(this.#command, cgroup, this.#memoryMb), {
      env: this.#env,
      cwd: "/",
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      detached: true,
      serialization: "json",
      ipc: (sealed) => {
        if (killed) return;
        const messages = channel.openAll(sealed);
        if (messages === null) return kill("its channel carried a message it did not seal (code it ran wrote there)");
        for (const one of messages) {
          if (killed) return;
          heard(one);
          if ((one as { kind?: unknown } | null)?.kind !== "got") callbacks.message(one);
        }
      },
    });
    proc.send(peerKeys); // the first message, in the clear: nothing but our code runs in the executor yet
    const log = this.#log.child(label);
    void logLines(proc.stdout, (line) => log.debug("executor stdout", { line }));
    void logLines(proc.stderr, (line) => log.debug("executor stderr", { line }));
    const gone = proc.exited.then(() => {});
    void proc.exited.then(() => {
      awaited = null;
      if (receiptTimer !== null) clearTimeout(receiptTimer);
      const end = processEnd(proc, cgroup, oomBefore);
      callbacks.ended(killReason !== undefined && end.memoryLimitMb === undefined ? { code: null, reason: killReason } : end);
    });
    const kill = (reason?: string) => {
      if (!killed) killReason = reason;
      killed = true;
      try {
        process.kill(-proc.pid, "SIGKILL"); // its process group: what it spawned, without a sandbox too
      } catch {
        // already gone
      }
      proc.kill("SIGKILL");
    };
    // What the pool posts in one turn of the event loop (a train of jobs, a skip) travels sealed together as one
    // `batch`: a turn, not a microtask, so tasks a remote worker read in one go (one per message of its socket's
    // iterator, a microtask apart) go out together, as a local dispatcher's do.
    let outbox: (RunMessage | SkipMessage)[] = [];
    const flush = () => {
      const messages = outbox;
      outbox = [];
      if (killed || messages.length === 0) return;
      try {
        proc.send(channel.sealAll(messages));
      } catch {
        kill(); // the channel is broken: the executor is useless, and its end fails the job
      }
    };
    const enqueue = (message: RunMessage | SkipMessage) => {
      if (outbox.length === 0) setImmediate(flush);
      outbox.push(message);
    };
    return {
      post: (message: RunMessage, job: PoolJob) => {
        if (killed) return;
        limitJobMemory(cgroup, job, this.#memoryMb, this.#log, label, "executor");
        enqueue(message);
        awaited = { seq: message.seq, at: performance.now() };
        receiptTimer ??= setTimeout(checkReceipt, JOB_RECEIPT_MS);
      },
      skip: (seq: number) => {
        if (!killed) enqueue({ kind: "skip", seq });
      },
      terminate: () => kill(),
      gone,
    };
  }

  async close(): Promise<void> {
    await this.#sandbox.cgroups?.remove();
  }
}

