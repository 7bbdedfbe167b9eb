/** The data dir of `faas up`: created private (0700) and held by one live `faas up` at a time, through a pid lock file. */
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { FaasError } from "../faas-error.ts";

/** A held data dir; `release()` removes the lock file if it is still ours. */
export interface DataDirLock {
  /** The absolute path of the data dir. */
  readonly dir: string;
  /** The lock file: `dir/up.pid`, holding the pid of the `faas up` that owns the dir. */
  readonly file: string;
  release(): void;
}

/**
 * Create `dataDir` (mode 0700, also when it already exists) and take its lock for process `pid`
 * (default: this one). A lock whose pid is no longer alive (a killed `faas up`) is taken over;
 * one held by a live process throws FaasError("CONFIG") naming that pid.
 */
export function lockDataDir(dataDir: string, pid = process.pid): DataDirLock {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const file = resolve(dir, "up.pid");
  // Written aside, then hard-linked into place: the link fails if a lock exists, so two takers never both win.
  const mine = resolve(dir, `up.pid.${pid}.${crypto.randomUUID()}`);
  writeFileSync(mine, `${pid}\n`, { mode: 0o600 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(mine, file);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      const holder = readPid(file);
      if (holder !== undefined && holder !== pid && isAlive(holder)) {
        throw new FaasError("CONFIG", `the data dir ${dir} is in use by another faas up (pid ${holder}); stop it first or pass another --data-dir`);
      }
      if (attempt >= 3) throw new FaasError("CONFIG", `cannot take the lock ${file}`);
      // Stale (its process is gone) or unreadable: take it over.
      rmSync(file, { force: true });
    }
  } finally {
    rmSync(mine, { force: true });
  }
  return {
    dir,
    file,
    release() {
      if (readPid(file) === pid) unlinkSync(file);
    },
  };
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True while `pid` is a running (not zombie) process. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    return !/^\d+ \(.*\) Z /s.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true; // no /proc (not Linux): kill(0) is the answer
  }
}
