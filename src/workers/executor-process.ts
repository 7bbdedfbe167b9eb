/** What every sandboxed executor process shares, JS executor or Python runner: job numbers, its job's memory limit, how it ended, its output logged line by line. */
import type { Log } from "../log.ts";
import type { ExecutorEnd } from "./executor-handle.ts";
import type { MemoryCgroup } from "./memory-cgroup.ts";
import type { PoolJob } from "./outcome.ts";

/** Longest line of executor output logged (the rest is cut). */
const MAX_OUTPUT_LINE = 1000;

/**
 * A random job sequence number (53 bits, never 0 nor `previous`): leftover code of an earlier job in the same
 * process cannot guess the next job's number to forge its outcome.
 */
export function randomJobSeq(previous: number): number {
  for (;;) {
    const [hi, lo] = crypto.getRandomValues(new Uint32Array(2));
    const seq = (hi! & 0x1fffff) * 0x1_0000_0000 + lo!;
    if (seq !== previous && seq !== 0) return seq;
  }
}

/**
 * Apply `job`'s memory limit (its `memoryMb`, else `defaultMb`) to its executor's cgroup before it starts. Lowering a
 * limit below what the process holds now fails: the job then runs under the higher limit, with a warning naming `what`.
 */
export function limitJobMemory(cgroup: MemoryCgroup | null, job: PoolJob, defaultMb: number, log: Log, label: string, what: string): void {
  if (cgroup === null) return;
  const mb = job.memoryMb !== undefined && job.memoryMb > 0 ? job.memoryMb : defaultMb;
  if (cgroup.limitMb === mb || cgroup.setLimit(mb)) return;
  log.warn(`could not lower the ${what}'s memory limit for this task; it runs under the previous one`, {
    executor: label, taskId: job.taskId, memoryMb: mb, previousMb: cgroup.limitMb,
  });
}

/** How the process ended: an OOM kill in its cgroup (OOM kills counted `oomBefore` at its start), a signal (also as the shells' 128 + n), or its exit code. */
export function processEnd(proc: Bun.Subprocess, cgroup: MemoryCgroup | null, oomBefore: number): ExecutorEnd {
  if (cgroup !== null && cgroup.oomKills() > oomBefore) return { code: null, memoryLimitMb: cgroup.limitMb };
  const signal = proc.signalCode ?? (proc.exitCode !== null && proc.exitCode > 128 && proc.exitCode < 160 ? signalName(proc.exitCode - 128) : null);
  if (signal !== null) return { code: null, reason: `killed by ${signal}` };
  return { code: proc.exitCode };
}

const SIGNALS: Record<number, string> = { 1: "SIGHUP", 2: "SIGINT", 4: "SIGILL", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL", 11: "SIGSEGV", 13: "SIGPIPE", 15: "SIGTERM", 24: "SIGXCPU", 25: "SIGXFSZ" };

function signalName(n: number): string {
  return SIGNALS[n] ?? `signal ${n}`;
}

/** Read a stream line by line (lines cut at {@link MAX_OUTPUT_LINE}) until it ends. */
export async function logLines(stream: ReadableStream<Uint8Array>, line: (text: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buf = "";
  try {
    for await (const chunk of stream) {
      buf += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        line(buf.slice(0, Math.min(nl, MAX_OUTPUT_LINE)));
        buf = buf.slice(nl + 1);
      }
      if (buf.length > MAX_OUTPUT_LINE) {
        line(buf.slice(0, MAX_OUTPUT_LINE));
        buf = "";
      }
    }
  } catch {
    // the process is gone
  }
  if (buf.length > 0) line(buf);
}
